import { errors } from '../errors.ts';

export type Position = [number, number];
export type Ring = Position[];
export interface PolygonPart {
  outer: Ring;
  holes: Ring[];
}

const MAX_VERTICES = 20_000;

function ring(raw: unknown, where: string): Ring {
  if (!Array.isArray(raw) || raw.length < 4) throw errors.validation(`${where}: a ring needs at least 4 positions`);
  const out: Ring = raw.map((p, i) => {
    if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') {
      throw errors.validation(`${where}[${i}]: a position is [lon, lat]`);
    }
    const [lon, lat] = p as [number, number];
    if (!Number.isFinite(lon) || !Number.isFinite(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90) {
      throw errors.validation(`${where}[${i}]: [${lon}, ${lat}] is not a longitude/latitude`);
    }
    return [lon, lat];
  });
  const first = out[0]!;
  const last = out[out.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) throw errors.validation(`${where}: ring is not closed`);
  return out;
}

/** GeoJSON Polygon or MultiPolygon (or a Feature wrapping one) → polygon parts. */
export function parseBoundary(geo: unknown): PolygonPart[] {
  let g = geo as { type?: string; coordinates?: unknown; geometry?: unknown } | null;
  if (g && g.type === 'Feature') g = g.geometry as typeof g;
  if (!g || typeof g !== 'object') throw errors.validation('boundary must be a GeoJSON Polygon or MultiPolygon');
  const polys: unknown[] =
    g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' && Array.isArray(g.coordinates) ? g.coordinates : [];
  if (polys.length === 0) throw errors.validation(`boundary must be a GeoJSON Polygon or MultiPolygon (got ${String(g.type)})`);
  let vertices = 0;
  const parts = polys.map((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw errors.validation(`boundary polygon ${i} has no rings`);
    const rings = p.map((r, j) => ring(r, `boundary polygon ${i} ring ${j}`));
    vertices += rings.reduce((n, r) => n + r.length, 0);
    return { outer: rings[0]!, holes: rings.slice(1) };
  });
  if (vertices > MAX_VERTICES) throw errors.validation(`boundary has ${vertices} vertices; at most ${MAX_VERTICES}`);
  return parts;
}

/** PostgreSQL polygon literal; points are (lon, lat) and the closing position is dropped. */
export function pgPolygon(r: Ring): string {
  return '(' + r.slice(0, -1).map(([x, y]) => `(${x},${y})`).join(',') + ')';
}

export function pgBox(r: Ring): string {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of r) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return `((${maxX},${maxY}),(${minX},${minY}))`;
}

export function toGeoJson(parts: PolygonPart[]): { type: 'MultiPolygon'; coordinates: Position[][][] } {
  return { type: 'MultiPolygon', coordinates: parts.map((p) => [p.outer, ...p.holes]) };
}

/** PostgreSQL polygon text '((x,y),…)' → closed ring. */
export function parsePgPolygon(text: string): Ring {
  const nums = text.match(/-?\d+(\.\d+)?(e-?\d+)?/gi)?.map(Number) ?? [];
  const r: Ring = [];
  for (let i = 0; i + 1 < nums.length; i += 2) r.push([nums[i]!, nums[i + 1]!]);
  if (r.length) r.push([r[0]![0], r[0]![1]]);
  return r;
}

/** Even-odd ray casting; ring of [lon, lat]. One definition for tracing, grant areas and the simulator. */
export function pointInRing(lon: number, lat: number, ring: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
