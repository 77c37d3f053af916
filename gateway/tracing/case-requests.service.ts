// One-step requests from a reachable/corridor list: per camera a footage window, grouped into one grant
// request per owning station (the grants service splits home cameras to their approvers and joins
// requests of the same case), cameras already viewable skipped, and per camera what happened.
import type { Action, TimeWindow, Uuid } from '../domain/types.ts';
import { errors, isAppError } from '../errors.ts';
import type { AccessRuntime } from '../access/runtime.ts';
import type { GrantsService } from '../grants/grants.service.ts';
import type { GrantsRepository } from '../repositories/grants.repository.ts';
import type { CasesService, Actor } from './cases.service.ts';
import type { SyncedIndex } from './index-sync.ts';
import { caseWindow, type TracingConfig } from './reachable.service.ts';
import { accessStatus, grantsByCamera } from './access-status.ts';
import { ringAreaKm2, selfIntersects } from './reachability.ts';

export interface CaseRequestInput {
  cameras?: Array<{ cameraId: Uuid; from: Date; to: Date }>;
  polygon?: { ring: [number, number][]; from: Date; to: Date };
  reason: string;
  actions: Action[];
}

export type CameraOutcome =
  | { cameraId: Uuid; outcome: 'created' | 'joined' | 'extended' | 'existing'; grantId: Uuid; ownerStationId: Uuid }
  | { cameraId: Uuid; outcome: 'already_viewable'; grantId: Uuid | null; ownerStationId: Uuid }
  | { cameraId: Uuid; outcome: 'not_requested'; code: string; reason: string; message: string; ownerStationId: Uuid | null };

const hull = (ws: TimeWindow[]): TimeWindow => ({
  from: new Date(Math.min(...ws.map((w) => w.from.getTime()))),
  to: new Date(Math.max(...ws.map((w) => w.to.getTime()))),
});

export function caseRequestsService(deps: { index: SyncedIndex; cases: CasesService; grants: GrantsService; grantsRepo: GrantsRepository; access: AccessRuntime; config: TracingConfig }) {
  const { access, config } = deps;

  async function select(input: CaseRequestInput): Promise<Array<{ cameraId: Uuid; from: Date; to: Date }>> {
    const ways = (input.cameras ? 1 : 0) + (input.polygon ? 1 : 0);
    if (ways !== 1) throw errors.validation("name the cameras one way: 'cameras' or 'polygon'");
    if (input.cameras) return input.cameras.map((w) => ({ ...w }));
    const { ring, from, to } = input.polygon!;
    if (selfIntersects(ring)) throw errors.polygonSelfIntersects('the polygon crosses itself; draw its outline without crossings', { reason: 'polygon_self_intersects' });
    const km2 = ringAreaKm2(ring);
    if (km2 > config.maxPolygonKm2) {
      throw errors.areaTooLarge(`the polygon covers ${Math.round(km2)} km²; at most ${config.maxPolygonKm2} km² per request`, { reason: 'area_too_large', areaKm2: Math.round(km2), maxKm2: config.maxPolygonKm2 });
    }
    const found = (await deps.index.get()).inPolygon(ring, config.maxCamerasPerAnswer);
    if (found.more) {
      throw errors.tooManyCameras(`the polygon holds more than ${config.maxCamerasPerAnswer} cameras; draw it smaller`, { reason: 'too_many_cameras', max: config.maxCamerasPerAnswer });
    }
    if (found.items.length === 0) throw errors.validation('no cameras inside the polygon', { reason: 'no_cameras' });
    return found.items.map((c) => ({ cameraId: c.id, from, to }));
  }

  return {
    async request(actor: Actor, caseId: Uuid, input: CaseRequestInput, now = new Date()) {
      const { c, subject } = await deps.cases.workable(actor.id, caseId);
      const wanted = await select(input);
      if (wanted.length > config.maxCamerasPerAnswer) {
        throw errors.tooManyCameras(`at most ${config.maxCamerasPerAnswer} cameras per request`, { reason: 'too_many_cameras', max: config.maxCamerasPerAnswer });
      }
      for (const w of wanted) {
        if (w.from >= w.to) throw errors.validation(`camera ${w.cameraId}: 'from' must be before 'to'`, { reason: 'window_invalid', cameraId: w.cameraId });
        deps.cases.checkTime(c, w.to, `camera ${w.cameraId}: the window's end`, new Date(now.getTime() + 24 * 3_600_000));
        // a window reaching back before the case opened asks for the part inside the case (as reachable answers do)
        const inCase = caseWindow(w, c.openedAt);
        w.from = inCase.from;
        deps.cases.checkTime(c, w.from, `camera ${w.cameraId}: the window's start`, now);
      }
      const reason = input.reason.normalize('NFC').trim();
      if (!reason) throw errors.validation("'reason' is empty");
      const mine = grantsByCamera(await deps.grantsRepo.list({ requesterUserId: actor.id, states: ['approved'], limit: 5000 }));
      const ctx = { now, villageCommitteeMayView: access.config.villageCommitteeMayView, isRevoked: (id: Uuid) => access.revocations.isGrantRevoked(id) };

      const outcomes = new Map<Uuid, CameraOutcome>();
      const byStation = new Map<Uuid, Array<{ cameraId: Uuid; from: Date; to: Date }>>();
      for (const w of wanted) {
        if (outcomes.has(w.cameraId)) continue;
        const cam = await access.camera(w.cameraId);
        if (!cam) {
          outcomes.set(w.cameraId, { cameraId: w.cameraId, outcome: 'not_requested', code: 'not_found', reason: 'no_such_camera', message: 'No such camera.', ownerStationId: null });
          continue;
        }
        const st = accessStatus(subject, cam, { from: w.from, to: w.to }, mine, ctx);
        if (st.canView) {
          outcomes.set(w.cameraId, { cameraId: w.cameraId, outcome: 'already_viewable', grantId: st.grantId, ownerStationId: cam.stationId });
          continue;
        }
        // Named cameras nobody can approve would refuse the whole station's request: leave them out up front.
        if (!cam.enabled) {
          outcomes.set(w.cameraId, { cameraId: w.cameraId, outcome: 'not_requested', code: 'camera_not_requestable', reason: 'camera_disabled', message: 'The camera is disabled.', ownerStationId: cam.stationId });
          continue;
        }
        if (cam.ownerClass === 'household' && cam.ownerUserId === null && !cam.delegatedToCommittee) {
          outcomes.set(w.cameraId, { cameraId: w.cameraId, outcome: 'not_requested', code: 'camera_not_requestable', reason: 'no_approver', message: 'This home camera has no owner account or delegated committee to approve requests.', ownerStationId: cam.stationId });
          continue;
        }
        const list = byStation.get(cam.stationId) ?? [];
        list.push(w);
        byStation.set(cam.stationId, list);
      }

      // One call per owning station, so one station's refusal (no agreement, window too long) never blocks the others.
      const requests: Array<{ ownerStationId: Uuid; footage: TimeWindow; grants: Array<{ grantId: Uuid; dedup: string; state: string; approverKind: string }> }> = [];
      for (const [stationId, all] of byStation) {
        let list = all;
        let footage = hull(list);
        try {
          let r;
          for (;;) {
            try {
              r = await deps.grants.request(actor, { cameraIds: list.map((w) => w.cameraId), caseNo: c.caseNo, reason, actions: input.actions, footage }, now);
              break;
            } catch (e) {
              // One camera the grants service will not take (e.g. its owner never activated an account): say so, ask for the rest.
              const bad = isAppError(e) && e.code === 'camera_not_requestable' ? String(e.details?.cameraId ?? '') : '';
              if (!bad || !list.some((w) => w.cameraId === bad) || list.length === 1) throw e;
              outcomes.set(bad, { cameraId: bad, outcome: 'not_requested', code: (e as { code: string }).code, reason: String((e as { details?: Record<string, unknown> }).details?.reason ?? ''), message: (e as Error).message, ownerStationId: stationId });
              list = list.filter((w) => w.cameraId !== bad);
              footage = hull(list);
            }
          }
          requests.push({ ownerStationId: stationId, footage, grants: r.grants.map((g) => ({ grantId: g.grant.id, dedup: g.dedup, state: g.grant.state, approverKind: g.grant.approverKind })) });
          for (const g of r.grants) {
            for (const id of g.grant.requestedCameraIds) {
              if (list.some((w) => w.cameraId === id)) outcomes.set(id, { cameraId: id, outcome: g.dedup, grantId: g.grant.id, ownerStationId: stationId });
            }
          }
          for (const e of r.excluded) {
            outcomes.set(e.cameraId, { cameraId: e.cameraId, outcome: 'not_requested', code: e.reason, reason: e.reason, message: e.message, ownerStationId: stationId });
          }
        } catch (e) {
          if (!isAppError(e) || e.status >= 500) throw e;
          for (const w of list) {
            outcomes.set(w.cameraId, { cameraId: w.cameraId, outcome: 'not_requested', code: e.code, reason: String(e.details?.reason ?? e.code), message: e.message, ownerStationId: stationId });
          }
        }
      }
      return { caseId: c.id, caseNo: c.caseNo, requests, cameras: [...new Set(wanted.map((w) => w.cameraId))].map((id): CameraOutcome => outcomes.get(id)
        ?? { cameraId: id, outcome: 'not_requested', code: 'not_requested', reason: 'not_in_any_grant', message: 'The grants service left this camera out.', ownerStationId: null }) };
    },
  };
}
export type CaseRequestsService = ReturnType<typeof caseRequestsService>;
