// The map's camera listing in columns: one array per field, repeated values (stations, villages, states, classes)
// as indexes into small dictionaries. 6,000 cameras are ~70 bytes each instead of ~420 as full objects, and the
// page parses arrays of numbers and strings instead of 6,000 objects. Pure: the route loads the rows.
import { OWNER_CLASSES, SHARING_MODES, type Uuid } from '../domain/types.ts';
import type { MapRow } from '../repositories/cameras.repository.ts';

export interface MapListing {
  count: number;
  /** Pass as afterId for the next page; null on the last page. */
  next: Uuid | null;
  ownerClasses: string[];
  sharingModes: string[];
  stations: Uuid[];
  villages: Uuid[];
  states: string[];
  ids: Uuid[];
  names: string[];
  lon: number[];
  lat: number[];
  /** Index into ownerClasses. */
  ownerClass: number[];
  /** Index into stations. */
  station: number[];
  /** Index into villages, -1 for none. */
  village: number[];
  /** Index into sharingModes, -1 for none (police and village cameras). */
  sharingMode: number[];
  /** Index into states. */
  state: number[];
  /** 1 enabled, 0 disabled. */
  enabled: number[];
}

// 6 decimals of a degree is about 0.1 m: more is noise in the JSON.
const deg = (x: number): number => Math.round(x * 1e6) / 1e6;

export function mapListing(rows: readonly MapRow[], pageSize: number): MapListing {
  const out: MapListing = {
    count: rows.length, next: rows.length === pageSize && rows.length > 0 ? rows[rows.length - 1]![0] : null,
    ownerClasses: [...OWNER_CLASSES], sharingModes: [...SHARING_MODES], stations: [], villages: [], states: [],
    ids: [], names: [], lon: [], lat: [], ownerClass: [], station: [], village: [], sharingMode: [], state: [], enabled: [],
  };
  const dict = (list: string[], index: Map<string, number>) => (v: string): number => {
    let i = index.get(v);
    if (i === undefined) {
      i = list.push(v) - 1;
      index.set(v, i);
    }
    return i;
  };
  const station = dict(out.stations, new Map());
  const village = dict(out.villages, new Map());
  const state = dict(out.states, new Map());
  const cls = new Map<string, number>(OWNER_CLASSES.map((c, i) => [c, i]));
  const sharing = new Map<string, number>(SHARING_MODES.map((m, i) => [m, i]));
  for (const [id, name, ownerClass, stationId, villageId, sharingMode, lon, lat, enabled, st] of rows) {
    out.ids.push(id);
    out.names.push(name);
    out.lon.push(deg(lon));
    out.lat.push(deg(lat));
    out.ownerClass.push(cls.get(ownerClass)!);
    out.station.push(station(stationId));
    out.village.push(villageId === null ? -1 : village(villageId));
    out.sharingMode.push(sharingMode === null ? -1 : (sharing.get(sharingMode) ?? -1));
    out.state.push(state(st));
    out.enabled.push(enabled ? 1 : 0);
  }
  return out;
}
