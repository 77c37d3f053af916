// "Which cameras could the subject have passed?" — around a sighting within N minutes, or along a route —
// across every jurisdiction, each with its owner, agreement (or whom to call), the investigator's access
// status (decide()), whether footage is recorded for the window, and the window to request.
import type { CameraResource, Subject, Uuid } from '../domain/types.ts';
import { errors } from '../errors.ts';
import type { AccessRuntime } from '../access/runtime.ts';
import type { CameraPosition } from '../repositories/camera-positions.repository.ts';
import type { CasesRepository } from '../repositories/cases.repository.ts';
import type { AgreementsRepository, Agreement } from '../repositories/agreements.repository.ts';
import type { GrantsRepository } from '../repositories/grants.repository.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import type { SightingsRepository, Sighting } from '../repositories/sightings.repository.ts';
import type { UsersRepository } from '../repositories/users.repository.ts';
import type { CasesService } from './cases.service.ts';
import type { SyncedIndex } from './index-sync.ts';
import type { CameraIndex } from './spatial-index.ts';
import { accessStatus, grantsByCamera, type AccessStatus } from './access-status.ts';
import {
  bearingDeg, footageWindow, headingAgreement, rankKey, reachRadiusM, travelMinutes, vertexTimes,
  type LatLon, type RoutePoint, type TravelConfig, type TravelMode,
} from './reachability.ts';

export interface TracingConfig extends TravelConfig {
  maxMinutes: number;
  defaultSlackMinutes: number;
  maxCamerasPerAnswer: number;
  maxCorridorWidthM: number;
  maxPolygonKm2: number;
}

export interface ReachableInput {
  from: { sightingId: Uuid } | { lat: number; lon: number; at: Date };
  mode: TravelMode;
  minutes: number;
  direction: 'after' | 'before';
  slackMinutes?: number;
}

export interface CorridorInput {
  polyline?: RoutePoint[];
  useSightings?: boolean;
  widthM: number;
  mode?: TravelMode;
  slackMinutes?: number;
}

export interface CameraAnswer {
  cameraId: Uuid;
  name: string;
  lat: number;
  lon: number;
  ownerClass: string;
  sharingMode: string | null;
  ownerStation: { id: Uuid; name: string };
  ownStation: boolean;
  distanceM: number;
  arrivalMinutes: number | null;
  arrivalAt: Date;
  headingAgreement: number | null;
  footage: { from: Date; to: Date };
  agreement: { id: Uuid; code: string; name: string; tier: number } | null;
  /** Without an agreement: whom to call at the partner station. */
  contacts: Array<{ name: string; phone: string | null }>;
  access: AccessStatus;
  footageRecorded: boolean;
}

const TTL_MS = 60_000;

/**
 * The window to request, inside the case's time: a window reaching back before the case opened (slack before a
 * sighting just after the incident) starts when the case opened, as a case request would refuse the rest.
 */
export function caseWindow(w: { from: Date; to: Date }, openedAt: Date): { from: Date; to: Date } {
  return w.from < openedAt && w.to > openedAt ? { from: openedAt, to: w.to } : w;
}

/** A small per-process cache for what rarely changes (station names, agreements, duty officers). */
function ttlCache<V>() {
  const m = new Map<string, { v: Promise<V>; at: number }>();
  return (key: string, load: () => Promise<V>): Promise<V> => {
    const hit = m.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.v;
    if (m.size > 10_000) m.clear();
    const v = load();
    m.set(key, { v, at: Date.now() });
    v.catch(() => m.delete(key));
    return v;
  };
}

export function reachableService(deps: {
  index: SyncedIndex;
  cases: CasesService;
  casesRepo: CasesRepository;
  sightings: SightingsRepository;
  grants: GrantsRepository;
  agreements: AgreementsRepository;
  jurisdictions: JurisdictionsRepository;
  users: UsersRepository;
  access: AccessRuntime;
  config: TracingConfig;
}) {
  const { access, config } = deps;
  const stationName = ttlCache<string>();
  const agreementFor = ttlCache<Agreement | null>();
  const contactsOf = ttlCache<Array<{ name: string; phone: string | null }>>();

  /** Enriches hits (already capped) with owner, agreement, access status and recorded footage. */
  async function answer(subject: Subject, rows: Array<{ cam: CameraPosition; distanceM: number; arrivalMinutes: number | null; arrivalAt: Date; agreement: number | null; slack: number }>, now: Date, openedAt: Date): Promise<CameraAnswer[]> {
    const grants = grantsByCamera(await deps.grants.list({ requesterUserId: subject.userId, states: ['approved'], limit: 5000 }));
    const stations = [...new Set(rows.map((r) => r.cam.stationId))];
    const names = new Map<Uuid, string>();
    const agreements = new Map<Uuid, Agreement | null>();
    const contacts = new Map<Uuid, Array<{ name: string; phone: string | null }>>();
    await Promise.all(stations.map(async (st) => {
      names.set(st, await stationName(st, async () => (await deps.jurisdictions.byId(st))?.name ?? st));
      if (st === subject.stationId || !subject.stationId) return;
      const a = await agreementFor(`${subject.stationId}|${st}`, async () => (await deps.agreements.between(subject.stationId!, st, now))[0] ?? null);
      agreements.set(st, a);
      if (!a) {
        contacts.set(st, await contactsOf(st, async () => (await deps.users.list({ jurisdictionId: st, role: 'duty_officer' })).map((u) => ({ name: u.displayName, phone: u.phone }))));
      }
    }));
    const ctx = { now, villageCommitteeMayView: access.config.villageCommitteeMayView, isRevoked: (id: Uuid) => access.revocations.isGrantRevoked(id) };
    const out: CameraAnswer[] = rows.map((r) => {
      const footage = caseWindow({ from: new Date(r.arrivalAt.getTime() - r.slack * 60_000), to: new Date(r.arrivalAt.getTime() + r.slack * 60_000) }, openedAt);
      const res: CameraResource = r.cam;
      const a = agreements.get(r.cam.stationId) ?? null;
      return {
        cameraId: r.cam.id, name: r.cam.name, lat: r.cam.lat, lon: r.cam.lon, ownerClass: r.cam.ownerClass, sharingMode: r.cam.sharingMode,
        ownerStation: { id: r.cam.stationId, name: names.get(r.cam.stationId) ?? r.cam.stationId },
        ownStation: r.cam.stationId === subject.stationId,
        distanceM: Math.round(r.distanceM), arrivalMinutes: r.arrivalMinutes === null ? null : Math.round(r.arrivalMinutes * 10) / 10,
        arrivalAt: r.arrivalAt, headingAgreement: r.agreement === null ? null : Math.round(r.agreement * 100) / 100, footage,
        agreement: a ? { id: a.id, code: a.code, name: a.name, tier: a.tier } : null,
        contacts: contacts.get(r.cam.stationId) ?? [],
        access: accessStatus(subject, res, footage, grants, ctx),
        footageRecorded: false,
      };
    });
    const recorded = await deps.casesRepo.footageExists(out.map((c) => ({ cameraId: c.cameraId, from: c.footage.from, to: c.footage.to })));
    for (const c of out) c.footageRecorded = recorded.has(c.cameraId);
    return out;
  }

  function position(index: CameraIndex, cameraId: Uuid): CameraPosition {
    const p = index.get(cameraId);
    if (!p) throw errors.notFound('the sighting’s camera is no longer enrolled');
    return p;
  }

  /** The route's heading arriving at sighting i (after), or leaving it backwards (before). */
  function headingAt(index: CameraIndex, route: Sighting[], i: number, direction: 'after' | 'before'): number | null {
    const other = direction === 'after' ? route[i - 1] : route[i + 1];
    if (!other) return null;
    const a = index.get(other.cameraId);
    const b = index.get(route[i]!.cameraId);
    if (!a || !b || (a.lat === b.lat && a.lon === b.lon)) return null;
    return bearingDeg(a, b);
  }

  return {
    async reachable(actorId: Uuid, caseId: Uuid, input: ReachableInput, now = new Date()) {
      const { c, subject } = await deps.cases.workable(actorId, caseId);
      if (input.minutes > config.maxMinutes) {
        throw errors.travelTimeTooLong(`a search covers at most ${config.maxMinutes} minutes of travel`, { reason: 'travel_time_too_long', maxMinutes: config.maxMinutes });
      }
      const index = await deps.index.get();
      let origin: LatLon & { at: Date; sightingId: Uuid | null; headingDeg: number | null };
      if ('sightingId' in input.from) {
        const route = await deps.sightings.forCase(c.id);
        const i = route.findIndex((s) => s.id === (input.from as { sightingId: Uuid }).sightingId);
        if (i < 0) throw errors.notFound('no such sighting in this case');
        const p = position(index, route[i]!.cameraId);
        origin = { lat: p.lat, lon: p.lon, at: route[i]!.seenAt, sightingId: route[i]!.id, headingDeg: headingAt(index, route, i, input.direction) };
      } else {
        origin = { lat: input.from.lat, lon: input.from.lon, at: input.from.at, sightingId: null, headingDeg: null };
      }
      deps.cases.checkTime(c, origin.at, 'the starting time', now);
      const slack = input.slackMinutes ?? config.defaultSlackMinutes;
      const radiusM = reachRadiusM(input.mode, input.minutes, config);
      const found = index.nearest(origin, radiusM, config.maxCamerasPerAnswer);
      const rows = found.items.map((h) => {
        const minutes = travelMinutes(h.distanceM, input.mode, config);
        const { arrival } = footageWindow(origin.at, minutes, input.direction, slack);
        return { cam: h.cam, distanceM: h.distanceM, arrivalMinutes: minutes, arrivalAt: arrival, agreement: headingAgreement(origin.headingDeg, origin, h.cam, h.distanceM), slack };
      });
      rows.sort((a, b) => rankKey(a.arrivalMinutes, a.agreement) - rankKey(b.arrivalMinutes, b.agreement));
      return {
        caseId: c.id, caseNo: c.caseNo,
        origin, mode: input.mode, minutes: input.minutes, direction: input.direction, slackMinutes: slack, radiusM: Math.round(radiusM),
        capped: found.more, cap: config.maxCamerasPerAnswer,
        ...(found.more && { note: `more than ${config.maxCamerasPerAnswer} cameras are reachable: the nearest are listed; shorten the time or pick a slower mode` }),
        cameras: await answer(subject, rows, now, c.openedAt),
      };
    },

    async corridor(actorId: Uuid, caseId: Uuid, input: CorridorInput, now = new Date()) {
      const { c, subject } = await deps.cases.workable(actorId, caseId);
      if (input.widthM > config.maxCorridorWidthM) throw errors.validation(`'widthM' is at most ${config.maxCorridorWidthM}`, { reason: 'corridor_too_wide' });
      const index = await deps.index.get();
      let points: RoutePoint[];
      if (input.useSightings) {
        points = (await deps.sightings.forCase(c.id)).map((s) => ({ ...position(index, s.cameraId), at: s.seenAt }));
        if (points.length < 2) throw errors.validation('the case needs two sightings to make a route, or draw a polyline', { reason: 'route_too_short' });
      } else {
        points = input.polyline ?? [];
        if (points.length < 2) throw errors.validation('a polyline needs at least two points', { reason: 'route_too_short' });
      }
      for (const p of points) if (p.at) deps.cases.checkTime(c, p.at, 'a route time', now);
      const mode = input.mode ?? 'car';
      const times = vertexTimes(points, (config.speedsKmh[mode] * 1000) / 3600 / config.roadFactor);
      if (!times) throw errors.validation('give a time on at least one point of the route', { reason: 'route_untimed' });
      const slack = input.slackMinutes ?? config.defaultSlackMinutes;
      const found = index.nearPolyline(points, input.widthM, config.maxCamerasPerAnswer, times);
      const rows = found.items.map((h) => ({ cam: h.cam, distanceM: h.distanceM, arrivalMinutes: null, arrivalAt: h.at!, agreement: null, slack }));
      return {
        caseId: c.id, caseNo: c.caseNo, widthM: input.widthM, slackMinutes: slack,
        route: points.map((p, i) => ({ lat: p.lat, lon: p.lon, at: times[i]! })),
        capped: found.more, cap: config.maxCamerasPerAnswer,
        ...(found.more && { note: `more than ${config.maxCamerasPerAnswer} cameras lie along the route: the first along it are listed; narrow the corridor` }),
        cameras: await answer(subject, rows, now, c.openedAt),
      };
    },
  };
}
export type ReachableService = ReturnType<typeof reachableService>;
