// Pure geometry and time for route tracing: how far a subject gets, when they reach a camera, which way
// they were heading, where a camera lies along a route, and whether a drawn polygon is usable.

export type TravelMode = 'foot' | 'ebike' | 'car';
export const TRAVEL_MODES: readonly TravelMode[] = ['foot', 'ebike', 'car'];

export interface TravelConfig {
  speedsKmh: Record<TravelMode, number>;
  /** Road distance ÷ straight-line distance (≥ 1). */
  roadFactor: number;
}

export interface LatLon {
  lat: number;
  lon: number;
}

const R = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDeg(a: LatLon, b: LatLon): number {
  const y = Math.sin(rad(b.lon - a.lon)) * Math.cos(rad(b.lat));
  const x = Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) - Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lon - a.lon));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

/** Straight-line radius the subject can cover in `minutes` (road distance ÷ road factor). */
export function reachRadiusM(mode: TravelMode, minutes: number, cfg: TravelConfig): number {
  return (cfg.speedsKmh[mode] * 1000 * minutes) / 60 / cfg.roadFactor;
}

/** Minutes to cover a straight-line distance by road. */
export function travelMinutes(distanceM: number, mode: TravelMode, cfg: TravelConfig): number {
  return (distanceM * cfg.roadFactor) / ((cfg.speedsKmh[mode] * 1000) / 60);
}

/**
 * How well a camera's direction from the origin agrees with the route's heading: cos of the angle
 * (1 straight ahead, 0 to the side, −1 behind); null without a heading or at the origin itself.
 */
export function headingAgreement(headingDeg: number | null, origin: LatLon, cam: LatLon, distanceM: number): number | null {
  if (headingDeg === null || distanceM < 1) return null;
  return Math.cos(rad(bearingDeg(origin, cam) - headingDeg));
}

/**
 * Sort key: arrival minutes, stretched by up to 25 % for cameras behind the heading, so at equal
 * arrival a camera ahead of the subject comes first but a much nearer one behind still leads.
 */
export function rankKey(arrivalMinutes: number, agreement: number | null): number {
  return agreement === null ? arrivalMinutes : arrivalMinutes * (1.125 - 0.125 * agreement);
}

/** The window of footage to ask for at a camera reached `arrivalMinutes` after (or before) `at`. */
export function footageWindow(at: Date, arrivalMinutes: number, direction: 'after' | 'before', slackMinutes: number): { arrival: Date; from: Date; to: Date } {
  const t = at.getTime() + (direction === 'after' ? 1 : -1) * arrivalMinutes * 60_000;
  return { arrival: new Date(t), from: new Date(t - slackMinutes * 60_000), to: new Date(t + slackMinutes * 60_000) };
}

/** Local planar metres around a reference latitude (accurate to well under 1 % over a corridor's few km). */
function toXY(p: LatLon, refLat: number): [number, number] {
  return [rad(p.lon) * R * Math.cos(rad(refLat)), rad(p.lat) * R];
}

/** Distance from p to segment ab and where along ab (0..1) the nearest point lies. */
export function pointToSegment(p: LatLon, a: LatLon, b: LatLon): { distanceM: number; t: number } {
  const ref = (a.lat + b.lat) / 2;
  const [px, py] = toXY(p, ref);
  const [ax, ay] = toXY(a, ref);
  const [bx, by] = toXY(b, ref);
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return { distanceM: Math.hypot(px - (ax + t * dx), py - (ay + t * dy)), t };
}

export interface RoutePoint extends LatLon {
  at?: Date | null;
}

/** Cumulative metres along a polyline at each vertex. */
export function cumulativeM(points: LatLon[]): number[] {
  const out = [0];
  for (let i = 1; i < points.length; i++) out.push(out[i - 1]! + haversineM(points[i - 1]!.lat, points[i - 1]!.lon, points[i]!.lat, points[i]!.lon));
  return out;
}

/**
 * Times at every vertex: given times kept, the others interpolated by distance between the nearest timed
 * vertices (extrapolated at `speedMps` past the ends). Null when no vertex has a time.
 */
export function vertexTimes(points: RoutePoint[], speedMps: number): Date[] | null {
  const cum = cumulativeM(points);
  const timed = points.map((p, i) => (p.at ? i : -1)).filter((i) => i >= 0);
  if (timed.length === 0) return null;
  return points.map((p, i) => {
    if (p.at) return p.at;
    const prev = [...timed].reverse().find((j) => j < i);
    const next = timed.find((j) => j > i);
    if (prev !== undefined && next !== undefined) {
      const f = (cum[i]! - cum[prev]!) / Math.max(1e-9, cum[next]! - cum[prev]!);
      const t0 = points[prev]!.at!.getTime();
      return new Date(t0 + f * (points[next]!.at!.getTime() - t0));
    }
    if (prev !== undefined) return new Date(points[prev]!.at!.getTime() + ((cum[i]! - cum[prev]!) / speedMps) * 1000);
    return new Date(points[next!]!.at!.getTime() - ((cum[next!]! - cum[i]!) / speedMps) * 1000);
  });
}

/** Where a camera lies along a route: nearest segment, distance off the route, interpolated passing time. */
export function placeOnRoute(cam: LatLon, points: RoutePoint[], times: Date[] | null): { distanceM: number; segment: number; t: number; at: Date | null } {
  let best = { distanceM: Infinity, segment: 0, t: 0 };
  if (points.length === 1) best = { distanceM: haversineM(cam.lat, cam.lon, points[0]!.lat, points[0]!.lon), segment: 0, t: 0 };
  for (let i = 0; i + 1 < points.length; i++) {
    const r = pointToSegment(cam, points[i]!, points[i + 1]!);
    if (r.distanceM < best.distanceM) best = { distanceM: r.distanceM, segment: i, t: r.t };
  }
  let at: Date | null = null;
  if (times) {
    const t0 = times[best.segment]!.getTime();
    const t1 = (times[best.segment + 1] ?? times[best.segment]!).getTime();
    at = new Date(t0 + best.t * (t1 - t0));
  }
  return { ...best, at };
}

function segmentsCross(a: [number, number], b: [number, number], c: [number, number], d: [number, number]): boolean {
  const o = (p: [number, number], q: [number, number], r: [number, number]) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  const o1 = o(a, b, c);
  const o2 = o(a, b, d);
  const o3 = o(c, d, a);
  const o4 = o(c, d, b);
  return o1 !== o2 && o3 !== o4 && o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0;
}

/** True when two non-adjacent edges of the ring ([lon, lat], closing edge implied) cross. */
export function selfIntersects(ring: [number, number][]): boolean {
  const pts = ring.length > 1 && ring[0]![0] === ring.at(-1)![0] && ring[0]![1] === ring.at(-1)![1] ? ring.slice(0, -1) : ring;
  const n = pts.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue;
      if (segmentsCross(pts[i]!, pts[(i + 1) % n]!, pts[j]!, pts[(j + 1) % n]!)) return true;
    }
  }
  return false;
}

/** Area of a ring of [lon, lat] in km² (planar around its mean latitude: fine below a few hundred km). */
export function ringAreaKm2(ring: [number, number][]): number {
  const ref = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  let a = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = toXY({ lon: ring[i]![0], lat: ring[i]![1] }, ref);
    const [x2, y2] = toXY({ lon: ring[(i + 1) % ring.length]![0], lat: ring[(i + 1) % ring.length]![1] }, ref);
    a += x1 * y2 - x2 * y1;
  }
  return Math.abs(a) / 2 / 1e6;
}

export { pointInRing } from '../geo/geojson.ts';
