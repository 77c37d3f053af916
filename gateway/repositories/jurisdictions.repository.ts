import type { Queryable } from '../db/pool.ts';
import type { JurisdictionKind, Uuid } from '../domain/types.ts';
import { pgBox, pgPolygon, parsePgPolygon, type PolygonPart } from '../geo/geojson.ts';

export interface Jurisdiction {
  id: Uuid;
  code: string;
  name: string;
  kind: JurisdictionKind;
  parentId: Uuid | null;
  path: Uuid[];
  centreLat: number | null;
  centreLon: number | null;
}

const cols = (t = '') =>
  `${t}id, ${t}code, ${t}name, ${t}kind, ${t}parent_id AS "parentId", ${t}path, ${t}centre_lat AS "centreLat", ${t}centre_lon AS "centreLon"`;
const COLS = cols();

export function jurisdictionsRepository(db: Queryable) {
  return {
    /** Insert or update by code; path is derived from the parent. */
    async upsert(
      j: { code: string; name: string; kind: JurisdictionKind; parentId: Uuid | null; centreLat?: number | null; centreLon?: number | null },
      q: Queryable = db,
    ): Promise<Jurisdiction> {
      const { rows } = await q.query<Jurisdiction>(
        `INSERT INTO jurisdictions (code, name, kind, parent_id, path, centre_lat, centre_lon)
         VALUES ($1, $2, $3, $4::uuid,
                 COALESCE((SELECT path || id FROM jurisdictions WHERE id = $4::uuid), '{}'), $5, $6)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, parent_id = EXCLUDED.parent_id,
           path = EXCLUDED.path, centre_lat = EXCLUDED.centre_lat, centre_lon = EXCLUDED.centre_lon
         RETURNING ${COLS}`,
        [j.code, j.name, j.kind, j.parentId, j.centreLat ?? null, j.centreLon ?? null],
      );
      return rows[0]!;
    },

    async setBoundary(id: Uuid, kind: JurisdictionKind, parts: PolygonPart[], q: Queryable = db): Promise<void> {
      await q.query('DELETE FROM jurisdiction_boundaries WHERE jurisdiction_id = $1', [id]);
      for (const p of parts) {
        await q.query(
          `INSERT INTO jurisdiction_boundaries (jurisdiction_id, kind, outer_ring, holes, bbox)
           VALUES ($1, $2, $3::polygon, $4::polygon[], $5::box)`,
          [id, kind, pgPolygon(p.outer), p.holes.map(pgPolygon), pgBox(p.outer)],
        );
      }
    },

    async boundary(id: Uuid): Promise<PolygonPart[]> {
      const { rows } = await db.query<{ outer: string; holes: string[] }>(
        `SELECT outer_ring::text AS outer, holes::text[] AS holes FROM jurisdiction_boundaries WHERE jurisdiction_id = $1 ORDER BY id`,
        [id],
      );
      return rows.map((r) => ({ outer: parsePgPolygon(r.outer), holes: (r.holes ?? []).map(parsePgPolygon) }));
    },

    async byId(id: Uuid): Promise<Jurisdiction | undefined> {
      const { rows } = await db.query<Jurisdiction>(`SELECT ${COLS} FROM jurisdictions WHERE id = $1`, [id]);
      return rows[0];
    },

    async byCode(code: string): Promise<Jurisdiction | undefined> {
      const { rows } = await db.query<Jurisdiction>(`SELECT ${COLS} FROM jurisdictions WHERE code = $1`, [code]);
      return rows[0];
    },

    async list(filter: { kind?: JurisdictionKind; parentId?: Uuid } = {}): Promise<Jurisdiction[]> {
      const { rows } = await db.query<Jurisdiction>(
        `SELECT ${COLS} FROM jurisdictions
         WHERE ($1::text IS NULL OR kind = $1) AND ($2::uuid IS NULL OR parent_id = $2)
         ORDER BY code`,
        [filter.kind ?? null, filter.parentId ?? null],
      );
      return rows;
    },

    /** The jurisdictions (one per kind at most) whose boundary contains the point. */
    async containing(lon: number, lat: number): Promise<Jurisdiction[]> {
      const { rows } = await db.query<Jurisdiction>(
        `SELECT DISTINCT ON (j.kind) ${cols('j.')}
         FROM jurisdiction_boundaries b JOIN jurisdictions j ON j.id = b.jurisdiction_id
         WHERE b.bbox @> point($1, $2) AND b.outer_ring @> point($1, $2)
           AND NOT EXISTS (SELECT 1 FROM unnest(b.holes) h WHERE h @> point($1, $2))
         ORDER BY j.kind, j.code`,
        [lon, lat],
      );
      return rows;
    },
  };
}
export type JurisdictionsRepository = ReturnType<typeof jurisdictionsRepository>;
