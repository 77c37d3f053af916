// Station and village boundaries for the map, fetched once per page load (a few dozen GeoJSON polygons).
import { api, type Jurisdiction } from '../api/client.ts';
import type { MapShape } from './canvas-map.tsx';

let cache: Promise<MapShape[]> | null = null;

function rings(geo: { type: string; coordinates: unknown[] } | null): number[][][] {
  if (!geo) return [];
  if (geo.type === 'Polygon') return geo.coordinates as number[][][];
  if (geo.type === 'MultiPolygon') return (geo.coordinates as number[][][][]).flat();
  return [];
}

export function loadBoundaries(list: Jurisdiction[]): Promise<MapShape[]> {
  cache ??= (async () => {
    const wanted = list.filter((j) => j.kind === 'station' || j.kind === 'village');
    const out: MapShape[] = [];
    // a few at a time: the gateway serves other users too
    for (let i = 0; i < wanted.length; i += 8) {
      const part = await Promise.all(wanted.slice(i, i + 8).map((j) => api('get', '/api/v1/jurisdictions/{id}', { params: { id: j.id } }).catch(() => null)));
      for (const r of part) {
        if (!r) continue;
        const rs = rings(r.boundary as { type: string; coordinates: unknown[] } | null);
        if (!rs.length) continue;
        // stations are labelled along their north edge, villages at their centre, so the two do not overlap
        const lons = rs.flat().map((p) => p[0]!);
        const lats = rs.flat().map((p) => p[1]!);
        const labelAt: [number, number] = r.jurisdiction.kind === 'village' && r.jurisdiction.centreLon !== null && r.jurisdiction.centreLat !== null
          ? [r.jurisdiction.centreLon, r.jurisdiction.centreLat]
          : [(Math.min(...lons) + Math.max(...lons)) / 2, Math.max(...lats)];
        out.push({ kind: r.jurisdiction.kind, name: r.jurisdiction.name, rings: rs, labelAt });
      }
    }
    // stations drawn over villages
    return out.sort((a, b) => (a.kind === 'village' ? 0 : 1) - (b.kind === 'village' ? 0 : 1));
  })();
  return cache;
}

/** Full camera records (health detail, owners) for the pages that manage cameras; the map uses map-cameras.ts. */
export async function loadAllCameras(stationId?: string) {
  const items = [];
  let afterId: string | undefined;
  for (let page = 0; page < 100; page++) {
    const r = await api('get', '/api/v1/cameras', { query: { limit: 5000, afterId, stationId } });
    items.push(...r.items);
    if (r.items.length < 5000) break;
    afterId = r.items[r.items.length - 1]!.id;
  }
  return items;
}
