// Gathers a case into a route report, signs it with the gateway's key ring and audits every export of it.
import type { Uuid } from '../domain/types.ts';
import { AUDIT } from '../audit/actions.ts';
import { isAppError } from '../errors.ts';
import type { AccessRuntime } from '../access/runtime.ts';
import type { AuditRepository } from '../repositories/audit.repository.ts';
import type { CamerasRepository } from '../repositories/cameras.repository.ts';
import type { GrantsRepository } from '../repositories/grants.repository.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import type { CasesRepository } from '../repositories/cases.repository.ts';
import type { SightingsRepository } from '../repositories/sightings.repository.ts';
import type { Actor, CasesService } from './cases.service.ts';
import type { SightingsService } from './sightings.service.ts';
import { routeReportHtml, signRouteReport, REPORT_VERSION, type RouteReport, type SignedRouteReport } from './route-report.ts';

/** Boundaries are drawn, not measured: a few hundred vertices per ring is plenty on paper. */
const MAX_RING_VERTICES = 400;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function routeReportService(deps: {
  cases: CasesService;
  casesRepo: CasesRepository;
  sightings: SightingsRepository;
  sightingsService: SightingsService;
  grants: GrantsRepository;
  cameras: CamerasRepository;
  jurisdictions: JurisdictionsRepository;
  audit: AuditRepository;
  access: AccessRuntime;
}) {
  async function build(actor: Actor, caseId: Uuid, now: Date): Promise<RouteReport> {
    const { c } = await deps.cases.readable(actor.id, caseId);
    const [members, sightings, grants, exports] = await Promise.all([
      deps.casesRepo.members(c.id),
      deps.sightings.forCase(c.id),
      deps.grants.list({ caseNo: c.caseNo, limit: 1000 }),
      deps.audit.query({ caseNo: c.caseNo, action: AUDIT.exportCreate, limit: 500 }),
    ]);
    const camIds = [...new Set([...sightings.map((s) => s.cameraId), ...grants.flatMap((g) => g.cameraIds)])];
    const cams = camIds.length ? await deps.cameras.list({ ids: camIds, includeRemoved: true, limit: camIds.length }) : [];
    const stationIds = [...new Set([c.ownerStationId, ...cams.map((x) => x.stationId)])];
    const stations = new Map<Uuid, string>();
    for (const id of stationIds) stations.set(id, (await deps.jurisdictions.byId(id))?.name ?? id);
    const boundaries = await Promise.all(stationIds.map(async (id) => ({
      stationId: id,
      name: stations.get(id)!,
      rings: (await deps.jurisdictions.boundary(id)).map((p) => {
        const step = Math.ceil(p.outer.length / MAX_RING_VERTICES);
        return p.outer.filter((_, i) => i % step === 0 || i === p.outer.length - 1);
      }),
    })));
    return {
      version: REPORT_VERSION,
      generatedAt: now.toISOString(),
      generatedBy: { userId: actor.id, username: actor.username },
      case: { id: c.id, caseNo: c.caseNo, title: c.title, status: c.status, openedAt: c.openedAt.toISOString(), ownerStation: { id: c.ownerStationId, name: stations.get(c.ownerStationId)! } },
      members: members.map((m) => ({ userId: m.userId, username: m.username, role: m.role })),
      sightings: sightings.map((s, i) => ({ id: s.id, order: i + 1, cameraId: s.cameraId, seenAt: s.seenAt.toISOString(), note: s.note, confidence: s.confidence, snapshotSha256: s.snapshotSha256, version: s.version })),
      cameras: cams.map((x) => ({ id: x.id, name: x.name, lat: x.lat, lon: x.lon, ownerClass: x.ownerClass, ownerStation: { id: x.stationId, name: stations.get(x.stationId)! } })),
      grants: grants.map((g) => ({
        id: g.id, state: g.state, ownerStationId: g.ownerStationId, requesterUserId: g.requesterUserId, cameraIds: g.cameraIds, actions: g.actions,
        footage: g.footageFrom && g.footageTo ? { from: g.footageFrom.toISOString(), to: g.footageTo.toISOString() } : null,
        decidedAt: iso(g.decidedAt), dedupParentId: g.parentId,
      })),
      evidence: exports.filter((e) => e.outcome !== 'deny').map((e) => {
        const d = (e.details ?? {}) as Record<string, unknown>;
        const str = (v: unknown) => (typeof v === 'string' ? v : null);
        return {
          auditId: e.id, exportId: str(d.exportId), cameraId: e.cameraId, at: e.at.toISOString(), grantId: e.grantId,
          footage: e.windowFrom && e.windowTo ? { from: e.windowFrom.toISOString(), to: e.windowTo.toISOString() } : null,
          clipSha256: str(d.clipSha256), merkleRoot: str(d.merkleRoot), manifestSha256: str(d.manifestSha256),
        };
      }),
      boundaries,
    };
  }

  async function signed(actor: Actor, caseId: Uuid, format: 'json' | 'html', now: Date): Promise<SignedRouteReport> {
    const doc = await signRouteReport(await build(actor, caseId, now), deps.access.keyRing);
    await deps.audit.append({
      action: AUDIT.routeReport, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, stationId: null, caseNo: doc.report.case.caseNo,
      details: { caseId, format, sha256: doc.signature.sha256, kid: doc.signature.kid, sightings: doc.report.sightings.length, grants: doc.report.grants.length },
    });
    return doc;
  }

  return {
    json: (actor: Actor, caseId: Uuid, now = new Date()) => signed(actor, caseId, 'json', now),

    async html(actor: Actor, caseId: Uuid, now = new Date()): Promise<string> {
      const doc = await signed(actor, caseId, 'html', now);
      const snaps = new Map<string, Buffer>();
      for (const s of doc.report.sightings) {
        if (!s.snapshotSha256) continue;
        try {
          snaps.set(s.id, await deps.sightingsService.snapshot(actor.id, caseId, s.id, now));
        } catch (e) {
          // A reader without a grant for that camera gets the hash, not the picture.
          if (!isAppError(e)) throw e;
        }
      }
      return routeReportHtml(doc, snaps);
    },
  };
}
export type RouteReportService = ReturnType<typeof routeReportService>;
