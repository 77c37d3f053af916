// The index against brute force: same cameras, same order, through changes and removals.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CameraIndex } from './spatial-index.ts';
import { haversineM, placeOnRoute, pointInRing, ringAreaKm2, selfIntersects, vertexTimes, headingAgreement, rankKey, reachRadiusM, travelMinutes } from './reachability.ts';
import type { CameraPosition } from '../repositories/camera-positions.repository.ts';

const cam = (i: number, lat: number, lon: number, enabled = true): CameraPosition => ({
  kind: 'camera', id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `c${i}`, lat, lon, ownerClass: 'police', stationId: 's', villageId: null,
  ownerUserId: null, sharingMode: null, delegatedToCommittee: false, enabled,
});

function cloud(n: number, seed: number): CameraPosition[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => cam(i, 35.5 + rnd() * 1.5, 115.5 + rnd() * 1.5, rnd() > 0.05));
}

describe('CameraIndex', () => {
  it('nearest() returns exactly the brute-force nearest enabled cameras within the radius, in order', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1e6 }), fc.double({ min: 35.6, max: 36.9, noNaN: true }), fc.double({ min: 115.6, max: 116.9, noNaN: true }),
      fc.integer({ min: 100, max: 60_000 }), fc.integer({ min: 1, max: 60 }),
      (seed, lat, lon, radius, limit) => {
        const cams = cloud(600, seed);
        const idx = CameraIndex.build(cams);
        const want = cams.filter((c) => c.enabled).map((c) => ({ id: c.id, d: haversineM(lat, lon, c.lat, c.lon) })).filter((x) => x.d <= radius).sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1));
        const got = idx.nearest({ lat, lon }, radius, limit);
        expect(got.items.map((h) => h.cam.id)).toEqual(want.slice(0, limit).map((x) => x.id));
        expect(got.more).toBe(want.length > limit);
      },
    ), { numRuns: 60 });
  });

  it('applies changes at once: moved, disabled, added and removed cameras', () => {
    const cams = cloud(2000, 7);
    const idx = CameraIndex.build(cams);
    const p = { lat: 36, lon: 116 };
    const moved = { ...cams.find((c) => c.enabled)!, lat: 36.0001, lon: 116.0001 };
    idx.apply(moved.id, moved);
    expect(idx.nearest(p, 100, 1).items[0]!.cam.id).toBe(moved.id);
    idx.apply(moved.id, { ...moved, enabled: false });
    expect(idx.nearest(p, 100, 5).items.map((h) => h.cam.id)).not.toContain(moved.id);
    const added = cam(99_999, 36.00005, 116.00005);
    idx.apply(added.id, added);
    expect(idx.nearest(p, 100, 1).items[0]!.cam.id).toBe(added.id);
    idx.apply(added.id, null);
    expect(idx.get(added.id)).toBeUndefined();
    expect(idx.size).toBe(2000);
    const rebuilt = CameraIndex.build(idx.all());
    expect(rebuilt.nearest(p, 5000, 50).items.map((h) => h.cam.id)).toEqual(idx.nearest(p, 5000, 50).items.map((h) => h.cam.id));
  });

  it('inPolygon() and nearPolyline() match brute force', () => {
    const cams = cloud(3000, 11);
    const idx = CameraIndex.build(cams);
    const ring: [number, number][] = [[115.8, 35.8], [116.2, 35.8], [116.3, 36.2], [115.9, 36.3]];
    const inside = cams.filter((c) => c.enabled && pointInRing(c.lon, c.lat, ring)).map((c) => c.id).sort();
    expect(idx.inPolygon(ring, 10_000).items.map((c) => c.id).sort()).toEqual(inside);
    expect(idx.inPolygon(ring, 3).more).toBe(true);
    const route = [{ lat: 35.7, lon: 115.7 }, { lat: 36.0, lon: 116.1 }, { lat: 36.4, lon: 116.2 }];
    const near = cams.filter((c) => c.enabled && placeOnRoute(c, route, null).distanceM <= 1500).map((c) => c.id).sort();
    const got = idx.nearPolyline(route, 1500, 10_000, null);
    expect(got.items.map((h) => h.cam.id).sort()).toEqual(near);
    // Ordered along the route.
    const pos = got.items.map((h) => h.segment + h.t);
    expect([...pos].sort((a, b) => a - b)).toEqual(pos);
  });
});

describe('reachability', () => {
  const cfg = { speedsKmh: { foot: 5, ebike: 20, car: 50 }, roadFactor: 1.3 };
  it('radius and arrival agree: a camera at the radius is reached at the time budget', () => {
    const r = reachRadiusM('car', 60, cfg);
    expect(r).toBeCloseTo(50_000 / 1.3, 0);
    expect(travelMinutes(r, 'car', cfg)).toBeCloseTo(60, 6);
  });
  it('heading: ahead ranks before behind at equal arrival, a much nearer camera behind still first', () => {
    const o = { lat: 36, lon: 116 };
    const ahead = headingAgreement(0, o, { lat: 36.01, lon: 116 }, 1100)!;
    const behind = headingAgreement(0, o, { lat: 35.99, lon: 116 }, 1100)!;
    expect(ahead).toBeCloseTo(1, 3);
    expect(behind).toBeCloseTo(-1, 3);
    expect(rankKey(10, ahead)).toBeLessThan(rankKey(10, behind));
    expect(rankKey(5, behind)).toBeLessThan(rankKey(10, ahead));
  });
  it('interpolates times along a route by distance', () => {
    const t0 = new Date('2026-11-23T02:00:00Z');
    const t1 = new Date('2026-11-23T02:20:00Z');
    const times = vertexTimes([{ lat: 36, lon: 116, at: t0 }, { lat: 36.05, lon: 116 }, { lat: 36.1, lon: 116, at: t1 }], 10)!;
    expect(Math.abs(times[1]!.getTime() - new Date('2026-11-23T02:10:00Z').getTime())).toBeLessThan(2000);
    const placed = placeOnRoute({ lat: 36.025, lon: 116.001 }, [{ lat: 36, lon: 116 }, { lat: 36.05, lon: 116 }, { lat: 36.1, lon: 116 }], times);
    expect(Math.abs(placed.at!.getTime() - new Date('2026-11-23T02:05:00Z').getTime())).toBeLessThan(5000);
    expect(placed.distanceM).toBeGreaterThan(80);
    expect(placed.distanceM).toBeLessThan(100);
  });
  it('polygons: a bow-tie self-intersects, a square does not; area in km²', () => {
    expect(selfIntersects([[0, 0], [1, 1], [1, 0], [0, 1]])).toBe(true);
    expect(selfIntersects([[116, 36], [116.1, 36], [116.1, 36.1], [116, 36.1], [116, 36]])).toBe(false);
    expect(ringAreaKm2([[116, 36], [116.1, 36], [116.1, 36.1], [116, 36.1]])).toBeCloseTo(11.132 * 9.0, -1);
  });
});
