// The cameras the map draws, from GET /api/v1/map/cameras (columns, revalidated by ETag so a reload is a 304),
// decoded into small records. Pages that need a camera's full record (the card) ask GET /api/v1/cameras/{id}.
import { api, type ApiResponse } from '../api/client.ts';

export interface MapCamera {
  id: string;
  name: string;
  ownerClass: string;
  stationId: string;
  villageId: string | null;
  sharingMode: string | null;
  lon: number;
  lat: number;
  enabled: boolean;
  state: string;
}

type Listing = ApiResponse<'/api/v1/map/cameras', 'get'>;

export function decodeMapCameras(l: Listing): MapCamera[] {
  const out: MapCamera[] = new Array(l.ids.length);
  for (let i = 0; i < l.ids.length; i++) {
    const v = l.village[i]!;
    const s = l.sharingMode[i]!;
    out[i] = {
      id: l.ids[i]!, name: l.names[i]!, ownerClass: l.ownerClasses[l.ownerClass[i]!]!, stationId: l.stations[l.station[i]!]!,
      villageId: v < 0 ? null : l.villages[v]!, sharingMode: s < 0 ? null : l.sharingModes[s]!,
      lon: l.lon[i]!, lat: l.lat[i]!, enabled: l.enabled[i] === 1, state: l.states[l.state[i]!]!,
    };
  }
  return out;
}

async function fetchMapCameras(): Promise<MapCamera[]> {
  const out: MapCamera[] = [];
  let afterId: string | undefined;
  // bounded: 50 pages of 20,000
  for (let page = 0; page < 50; page++) {
    const l = await api('get', '/api/v1/map/cameras', { query: { afterId } });
    out.push(...decodeMapCameras(l));
    if (!l.next) break;
    afterId = l.next;
  }
  return out;
}

let prefetched: Promise<MapCamera[]> | null = null;

/** Starts loading at boot, beside /me, so the map does not wait for two round trips in a row. */
export function prefetchMapCameras(): void {
  prefetched = fetchMapCameras();
  prefetched.catch(() => undefined);
}

export function loadMapCameras(): Promise<MapCamera[]> {
  const p = prefetched ?? fetchMapCameras();
  prefetched = null;
  return p;
}

/** A prefetch belongs to the session that started it. */
export function dropPrefetchedMapCameras(): void {
  prefetched = null;
}
