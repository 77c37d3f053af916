// In-memory spatial index of every camera (position + the facts decide() needs) for near-a-point,
// along-a-polyline and inside-a-polygon at province scale. A static Flatbush over the cameras as loaded,
// plus a small overlay of cameras changed since (tombstoned in the base); rebuilt when the overlay grows.
import Flatbush from 'flatbush';
import type { CameraPosition } from '../repositories/camera-positions.repository.ts';
import { haversineM, placeOnRoute, pointInRing, type LatLon, type RoutePoint } from './reachability.ts';

const M_PER_DEG = 111_320;

export interface Hit {
  cam: CameraPosition;
  distanceM: number;
}

export interface RouteHit extends Hit {
  segment: number;
  t: number;
  at: Date | null;
}

export interface Found<T> {
  items: T[];
  /** More cameras matched than the limit allowed. */
  more: boolean;
}

export class CameraIndex {
  private readonly tree: Flatbush | null;
  private readonly dead: Uint8Array;
  /** 1 where the base camera is alive and enabled: the default filter without touching the objects. */
  private readonly usable: Uint8Array;
  private readonly slotOf = new Map<string, number>();
  private readonly overlay = new Map<string, CameraPosition | null>();
  /** x = lon · kx, y = lat: degrees of latitude as the unit, longitude shrunk by cos(reference latitude). */
  private readonly kx: number;

  private constructor(private readonly base: CameraPosition[], refLat: number) {
    this.kx = Math.cos((refLat * Math.PI) / 180);
    this.dead = new Uint8Array(base.length);
    this.usable = new Uint8Array(base.length);
    if (base.length === 0) {
      this.tree = null;
      return;
    }
    const tree = new Flatbush(base.length);
    for (let i = 0; i < base.length; i++) {
      const c = base[i]!;
      tree.add(c.lon * this.kx, c.lat);
      this.slotOf.set(c.id, i);
      this.usable[i] = c.enabled ? 1 : 0;
    }
    tree.finish();
    this.tree = tree;
  }

  static build(cams: CameraPosition[]): CameraIndex {
    let sum = 0;
    for (const c of cams) sum += c.lat;
    return new CameraIndex(cams, cams.length ? sum / cams.length : 35);
  }

  get size(): number {
    let n = this.base.length;
    for (let i = 0; i < this.dead.length; i++) n -= this.dead[i]!;
    for (const v of this.overlay.values()) if (v) n++;
    return n;
  }

  /** Cameras changed since the build; the owner rebuilds past a threshold. */
  get overlaySize(): number {
    return this.overlay.size;
  }

  /** Every camera currently held (for a rebuild). */
  all(): CameraPosition[] {
    const out: CameraPosition[] = [];
    for (let i = 0; i < this.base.length; i++) if (!this.dead[i]) out.push(this.base[i]!);
    for (const v of this.overlay.values()) if (v) out.push(v);
    return out;
  }

  get(id: string): CameraPosition | undefined {
    if (this.overlay.has(id)) return this.overlay.get(id) ?? undefined;
    const s = this.slotOf.get(id);
    return s === undefined || this.dead[s] ? undefined : this.base[s];
  }

  /** A camera added or changed (null: removed). O(1): tombstone in the base, entry in the overlay. */
  apply(id: string, cam: CameraPosition | null): void {
    const s = this.slotOf.get(id);
    if (s !== undefined) {
      this.dead[s] = 1;
      this.usable[s] = 0;
    }
    if (cam === null && s === undefined) this.overlay.delete(id);
    else this.overlay.set(id, cam);
  }

  /** Cameras within radiusM of a point, nearest first, at most `limit` (exact great-circle distances). */
  nearest(p: LatLon, radiusM: number, limit: number, keep?: (c: CameraPosition) => boolean): Found<Hit> {
    const usable = this.usable;
    const base = this.base;
    const accept = keep ? (i: number) => usable[i] === 1 && keep(base[i]!) : (i: number) => usable[i] === 1;
    const keepOverlay = keep ?? isUsable;
    // Index distances understate true ones by at most cos(lat)/kx; widen the search by that much, then filter exactly.
    const ratio = Math.min(1, Math.cos((p.lat * Math.PI) / 180) / this.kx);
    const maxIdx = (radiusM / M_PER_DEG / ratio) * 1.01;
    const x = p.lon * this.kx;
    const hits: Hit[] = [];
    for (const c of this.overlay.values()) {
      if (!c || !keepOverlay(c)) continue;
      const d = haversineM(p.lat, p.lon, c.lat, c.lon);
      if (d <= radiusM) hits.push({ cam: c, distanceM: d });
    }
    if (this.tree) {
      let want = limit + 1 + 16;
      for (;;) {
        const ids = this.tree.neighbors(x, p.lat, want, maxIdx, accept);
        const found: Hit[] = [];
        for (const i of ids) {
          const c = this.base[i]!;
          const d = haversineM(p.lat, p.lon, c.lat, c.lon);
          if (d <= radiusM) found.push({ cam: c, distanceM: d });
        }
        if (ids.length < want) {
          hits.push(...found);
          break;
        }
        // Exact once every unreturned camera (index distance ≥ the last one's) is truly farther than the limit-th hit.
        const last = this.base[ids[ids.length - 1]!]!;
        const lastIdx = Math.hypot(last.lon * this.kx - x, last.lat - p.lat);
        const merged = [...hits, ...found].sort((a, b) => a.distanceM - b.distanceM);
        const kth = merged[limit]?.distanceM ?? radiusM;
        if (lastIdx * M_PER_DEG * ratio * 0.99 >= kth) {
          hits.push(...found);
          break;
        }
        want *= 2;
      }
    }
    hits.sort((a, b) => a.distanceM - b.distanceM || (a.cam.id < b.cam.id ? -1 : a.cam.id > b.cam.id ? 1 : 0));
    return { items: hits.slice(0, limit), more: hits.length > limit };
  }

  /** Cameras inside a ring of [lon, lat]. */
  inPolygon(ring: [number, number][], limit: number, keep: (c: CameraPosition) => boolean = isUsable): Found<CameraPosition> {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [lon, lat] of ring) {
      minX = Math.min(minX, lon); maxX = Math.max(maxX, lon); minY = Math.min(minY, lat); maxY = Math.max(maxY, lat);
    }
    const out: CameraPosition[] = [];
    const take = (c: CameraPosition) => {
      if (keep(c) && c.lon >= minX && c.lon <= maxX && c.lat >= minY && c.lat <= maxY && pointInRing(c.lon, c.lat, ring)) out.push(c);
    };
    for (const c of this.overlay.values()) if (c) take(c);
    if (this.tree) {
      for (const i of this.tree.search(minX * this.kx, minY, maxX * this.kx, maxY, (i) => !this.dead[i])) {
        take(this.base[i]!);
        if (out.length > limit) break;
      }
    }
    return { items: out.slice(0, limit), more: out.length > limit };
  }

  /** Cameras within widthM of a polyline, with where along it they lie (and when, given vertex times). */
  nearPolyline(points: RoutePoint[], widthM: number, limit: number, times: Date[] | null, keep: (c: CameraPosition) => boolean = isUsable): Found<RouteHit> {
    const seen = new Set<string>();
    const candidates: CameraPosition[] = [];
    const consider = (c: CameraPosition) => {
      if (!seen.has(c.id) && keep(c)) {
        seen.add(c.id);
        candidates.push(c);
      }
    };
    for (const c of this.overlay.values()) if (c) consider(c);
    if (this.tree) {
      // Long segments are cut into ≤ 1 km pieces so each box stays close to the corridor.
      for (let i = 0; i + 1 < Math.max(2, points.length); i++) {
        const a = points[i]!;
        const b = points[i + 1] ?? a;
        const pieces = Math.max(1, Math.ceil(haversineM(a.lat, a.lon, b.lat, b.lon) / 1000));
        for (let k = 0; k < pieces; k++) {
          const f0 = k / pieces, f1 = (k + 1) / pieces;
          const lat0 = a.lat + (b.lat - a.lat) * f0, lat1 = a.lat + (b.lat - a.lat) * f1;
          const lon0 = a.lon + (b.lon - a.lon) * f0, lon1 = a.lon + (b.lon - a.lon) * f1;
          const dLat = widthM / M_PER_DEG;
          const dLon = widthM / (M_PER_DEG * Math.max(0.01, Math.cos((Math.max(Math.abs(lat0), Math.abs(lat1)) * Math.PI) / 180)));
          const ids = this.tree.search(
            (Math.min(lon0, lon1) - dLon) * this.kx, Math.min(lat0, lat1) - dLat,
            (Math.max(lon0, lon1) + dLon) * this.kx, Math.max(lat0, lat1) + dLat,
            (j) => !this.dead[j],
          );
          for (const j of ids) consider(this.base[j]!);
        }
      }
    }
    const hits: RouteHit[] = [];
    for (const c of candidates) {
      const r = placeOnRoute(c, points, times);
      if (r.distanceM <= widthM) hits.push({ cam: c, distanceM: r.distanceM, segment: r.segment, t: r.t, at: r.at });
    }
    hits.sort((x, y) => x.segment - y.segment || x.t - y.t);
    return { items: hits.slice(0, limit), more: hits.length > limit };
  }
}

/** Removed cameras never reach the index; disabled ones give no video, so searches leave them out. */
export const isUsable = (c: CameraPosition): boolean => c.enabled;
