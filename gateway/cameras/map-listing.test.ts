import { describe, expect, it } from 'vitest';
import type { MapRow } from '../repositories/cameras.repository.ts';
import { mapListing } from './map-listing.ts';

const S1 = '00000000-0000-4000-8000-000000000001';
const S2 = '00000000-0000-4000-8000-000000000002';
const V1 = '00000000-0000-4000-8000-0000000000a1';
const row = (n: number, over: Partial<Record<number, unknown>> = {}): MapRow => {
  const r: MapRow = [`00000000-0000-4000-8000-1000000000${String(n).padStart(2, '0')}`, `cam ${n}`, 'police', S1, null, null, 115.123456789, 35.987654321, true, 'online'];
  for (const [i, v] of Object.entries(over)) (r as unknown[])[Number(i)] = v;
  return r;
};

describe('mapListing', () => {
  it('puts each field in its own column and repeated values in dictionaries', () => {
    const l = mapListing([row(1), row(2, { 2: 'household', 3: S2, 4: V1, 5: 'never_live', 9: 'offline', 8: false }), row(3, { 3: S2, 4: V1 })], 10);
    expect(l.ids).toHaveLength(3);
    expect(l.names).toEqual(['cam 1', 'cam 2', 'cam 3']);
    expect(l.stations).toEqual([S1, S2]);
    expect(l.station).toEqual([0, 1, 1]);
    expect(l.villages).toEqual([V1]);
    expect(l.village).toEqual([-1, 0, 0]);
    expect(l.ownerClass.map((i) => l.ownerClasses[i])).toEqual(['police', 'household', 'police']);
    expect(l.sharingMode).toEqual([-1, l.sharingModes.indexOf('never_live'), -1]);
    expect(l.state.map((i) => l.states[i])).toEqual(['online', 'offline', 'online']);
    expect(l.enabled).toEqual([1, 0, 1]);
    // about 0.1 m: more digits are noise in the JSON
    expect(l.lon[0]).toBe(115.123457);
    expect(l.lat[0]).toBe(35.987654);
  });

  it('names the next page only when this one is full', () => {
    expect(mapListing([row(1), row(2)], 2).next).toBe(row(2)[0]);
    expect(mapListing([row(1)], 2).next).toBeNull();
    expect(mapListing([], 2)).toMatchObject({ count: 0, next: null, ids: [] });
  });
});
