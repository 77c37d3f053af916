// A village's boundary from a jurisdictions file, and deterministic points inside it (for --village CSVs).
import { readFileSync } from 'node:fs';
import { SimulatorError } from './errors.ts';
import { pointInRing } from '../../gateway/geo/geojson.ts';

type Ring = [number, number][];
export type Boundary = { type: 'Polygon'; coordinates: Ring[] } | { type: 'MultiPolygon'; coordinates: Ring[][] };

export interface VillageArea {
  code: string;
  /** The local name (the part before the first space), for house addresses. */
  name: string;
  boundary: Boundary;
}

export const DEMO_JURISDICTIONS = new URL('../../config/demo/jurisdictions.json', import.meta.url);

/** Reads one village from a jurisdictions file (`{ jurisdictions: [{ code, name, kind, boundary }] }`). */
export function loadVillage(code: string, file: string | URL = DEMO_JURISDICTIONS): VillageArea {
  const { jurisdictions } = JSON.parse(readFileSync(file, 'utf8')) as { jurisdictions: { code: string; name: string; kind: string; boundary: Boundary | null }[] };
  const village = jurisdictions.find((j) => j.code === code && j.kind === 'village');
  if (!village || !village.boundary) {
    const known = jurisdictions.filter((j) => j.kind === 'village').map((j) => `${j.code} ${j.name}`);
    throw new SimulatorError('invalid_option', `'--village' ${JSON.stringify(code)} is not a village with a boundary; villages: ${known.join(', ')}`);
  }
  return { code: village.code, name: village.name.split(' ')[0] ?? village.name, boundary: village.boundary };
}

function polygons(b: Boundary): Ring[][] {
  return b.type === 'Polygon' ? [b.coordinates] : b.coordinates;
}

/** Inside the outer ring and outside every hole. */
export function insideBoundary(b: Boundary, lon: number, lat: number): boolean {
  return polygons(b).some((rings) => pointInRing(lon, lat, rings[0]!) && !rings.slice(1).some((hole) => pointInRing(lon, lat, hole)));
}

/**
 * A point inside the boundary, drawn with `rand` by rejection from the bounding box shrunk by `margin` of its size,
 * so the points stay clear of the edge (a neighbour's boundary may be drawn with a slightly different line).
 */
export function pointInside(b: Boundary, rand: () => number, margin = 0.1): { lat: number; lon: number } {
  const all = polygons(b).flatMap((rings) => rings[0]!);
  const lons = all.map((p) => p[0]);
  const lats = all.map((p) => p[1]);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const [w, h] = [maxLon - minLon, maxLat - minLat];
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const lon = minLon + w * (margin + rand() * (1 - 2 * margin));
    const lat = minLat + h * (margin + rand() * (1 - 2 * margin));
    if (insideBoundary(b, lon, lat)) return { lat, lon };
  }
  throw new SimulatorError('invalid_option', 'village boundary too thin to place cameras in');
}
