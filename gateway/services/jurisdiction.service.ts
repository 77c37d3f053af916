import type { Db } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import { errors } from '../errors.ts';
import type { JurisdictionKind, Uuid } from '../domain/types.ts';
import type { Jurisdiction, JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import { jurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import { parseBoundary } from '../geo/geojson.ts';

const PARENT_KIND: Record<JurisdictionKind, JurisdictionKind | null> = {
  province: null,
  city: 'province',
  county: 'city',
  station: 'county',
  village: 'station',
};

export interface PointLookup {
  station: Jurisdiction | null;
  village: Jurisdiction | null;
  county: Jurisdiction | null;
  all: Jurisdiction[];
}

export function jurisdictionService(deps: { repo: JurisdictionsRepository; db: Db }) {
  const { repo, db } = deps;
  return {
    /** Creates or updates a jurisdiction (by code) with its boundary, checking the hierarchy. */
    async save(input: {
      code: string;
      name: string;
      kind: JurisdictionKind;
      parentCode: string | null;
      boundary?: unknown;
      centre?: { lat: number; lon: number } | null;
    }): Promise<Jurisdiction> {
      const parts = input.boundary === undefined || input.boundary === null ? null : parseBoundary(input.boundary);
      return withTx(db, async (tx) => {
        const r = jurisdictionsRepository(tx);
        let parentId: Uuid | null = null;
        if (PARENT_KIND[input.kind] !== null) {
          if (!input.parentCode) throw errors.validation(`a ${input.kind} needs a parent ${PARENT_KIND[input.kind]}`);
          const parent = await r.byCode(input.parentCode);
          if (!parent) throw errors.validation(`parent ${input.parentCode} does not exist`);
          if (parent.kind !== PARENT_KIND[input.kind]) {
            throw errors.validation(`a ${input.kind}'s parent must be a ${PARENT_KIND[input.kind]}, not a ${parent.kind}`);
          }
          if (!input.code.startsWith(parent.code)) throw errors.validation(`code ${input.code} must extend its parent's code ${parent.code}`);
          parentId = parent.id;
        } else if (input.parentCode) {
          throw errors.validation('a province has no parent');
        }
        const j = await r.upsert(
          { code: input.code, name: input.name, kind: input.kind, parentId, centreLat: input.centre?.lat ?? null, centreLon: input.centre?.lon ?? null },
          tx,
        );
        if (parts) await r.setBoundary(j.id, input.kind, parts, tx);
        return j;
      });
    },

    /** Which station, village and county contain this point. */
    async lookup(lat: number, lon: number): Promise<PointLookup> {
      const all = await repo.containing(lon, lat);
      const of = (k: JurisdictionKind) => all.find((j) => j.kind === k) ?? null;
      return { station: of('station'), village: of('village'), county: of('county'), all };
    },

    /** The station a jurisdiction belongs to (itself if a station, its ancestor station if a village). */
    async stationOf(id: Uuid): Promise<Jurisdiction | null> {
      const j = await repo.byId(id);
      if (!j) return null;
      if (j.kind === 'station') return j;
      if (j.kind === 'village' && j.parentId) return (await repo.byId(j.parentId)) ?? null;
      return null;
    },
  };
}
export type JurisdictionService = ReturnType<typeof jurisdictionService>;
