// The route-tracing workspace's data: API shapes it uses and the small pure helpers its panels share.
import type { ApiResponse, ApiBody } from '../api/client.ts';

export type Case = ApiResponse<'/api/v1/cases/{id}', 'get'>['case'];
export type Member = ApiResponse<'/api/v1/cases/{id}', 'get'>['members'][number];
export type Route = ApiResponse<'/api/v1/cases/{id}/sightings', 'get'>;
export type Sighting = Route['items'][number];
export type RouteCamera = Route['cameras'][number];
export type Timeline = ApiResponse<'/api/v1/cases/{id}/timeline', 'get'>;
export type Reach = ApiResponse<'/api/v1/cases/{id}/reachable', 'post'>;
export type ReachBody = ApiBody<'/api/v1/cases/{id}/reachable', 'post'>;
export type ReachCamera = Reach['cameras'][number];
export type CaseRequests = ApiResponse<'/api/v1/cases/{id}/requests', 'post'>;
export type Corridor = ApiResponse<'/api/v1/cases/{id}/corridor', 'post'>;

/** A search for cameras: reachable from one sighting, or along the route through all of them. */
export type SearchParams =
  | { kind: 'reach'; from: string; mode: TravelMode; minutes: number; direction: 'after' | 'before' }
  | { kind: 'corridor'; mode: TravelMode; widthM: number };

/** What either search found, as the results panel and the map show it. */
export interface Finding {
  params: SearchParams;
  cameras: ReachCamera[];
  capped: boolean;
  cap: number;
  /** The reach circle (reachable searches only). */
  circle: { lat: number; lon: number; radiusM: number } | null;
}

export function fromReach(params: SearchParams, r: Reach): Finding {
  return { params, cameras: r.cameras, capped: r.capped, cap: r.cap, circle: { lat: r.origin.lat, lon: r.origin.lon, radiusM: r.radiusM } };
}
export function fromCorridor(params: SearchParams, r: Corridor): Finding {
  return { params, cameras: r.cameras, capped: r.capped, cap: r.cap, circle: null };
}

export function readSearch(q: URLSearchParams): SearchParams | null {
  const mode = q.get('mode') as TravelMode | null;
  if (!mode || !TRAVEL_MODES.includes(mode)) return null;
  if (q.get('kind') === 'corridor') {
    const widthM = Number(q.get('w'));
    return widthM >= 10 ? { kind: 'corridor', mode, widthM } : null;
  }
  const from = q.get('from');
  const minutes = Number(q.get('min'));
  if (!from || !(minutes > 0)) return null;
  return { kind: 'reach', from, mode, minutes, direction: q.get('dir') === 'before' ? 'before' : 'after' };
}

export function searchQuery(p: SearchParams): Record<string, string | null> {
  return p.kind === 'corridor'
    ? { kind: 'corridor', mode: p.mode, w: String(p.widthM), from: null, min: null, dir: null }
    : { kind: null, mode: p.mode, from: p.from, min: String(p.minutes), dir: p.direction, w: null };
}

export const TRAVEL_MODES = ['foot', 'ebike', 'car'] as const;
export type TravelMode = (typeof TRAVEL_MODES)[number];
export const TABS = ['route', 'reach', 'grants', 'members', 'report'] as const;
export type Tab = (typeof TABS)[number];
/** What "request all" asks for: footage to look at and to export as evidence. */
export const REQUEST_ACTIONS = ['playback', 'export'] as const;

export interface StationGroup {
  stationId: string;
  stationName: string;
  own: boolean;
  agreement: ReachCamera['agreement'];
  contacts: ReachCamera['contacts'];
  cameras: ReachCamera[];
}

/** Reachable cameras by owning station: own station first, then by the earliest arrival. */
export function byStation(cams: ReachCamera[]): StationGroup[] {
  const m = new Map<string, StationGroup>();
  for (const c of cams) {
    let g = m.get(c.ownerStation.id);
    if (!g) m.set(c.ownerStation.id, (g = { stationId: c.ownerStation.id, stationName: c.ownerStation.name, own: c.ownStation, agreement: c.agreement, contacts: c.contacts, cameras: [] }));
    g.cameras.push(c);
  }
  return [...m.values()].sort((a, b) => Number(b.own) - Number(a.own) || (a.cameras[0]?.arrivalMinutes ?? 0) - (b.cameras[0]?.arrivalMinutes ?? 0));
}

/** The window covering every camera's own window (what one grant request per station asks for). */
export function hull(ws: Array<{ from: string; to: string }>): { from: string; to: string } | null {
  if (!ws.length) return null;
  const from = Math.min(...ws.map((w) => Date.parse(w.from)));
  const to = Math.max(...ws.map((w) => Date.parse(w.to)));
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** Metres between two points (equirectangular: good enough to find the camera nearest a click). */
export function nearM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const x = ((b.lon - a.lon) * Math.PI / 180) * Math.cos(((a.lat + b.lat) / 2) * Math.PI / 180);
  const y = (b.lat - a.lat) * Math.PI / 180;
  return Math.sqrt(x * x + y * y) * 6_371_000;
}

export function minutesBetween(a: string, b: string): number {
  return Math.round((Date.parse(b) - Date.parse(a)) / 60_000);
}
