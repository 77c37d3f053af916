// What the in-memory spatial index holds per camera: position and the facts decide() needs, nothing secret.
import { withTx, type Db } from '../db/pool.ts';
import type { CameraResource, Uuid } from '../domain/types.ts';

/** Shaped as decide()'s CameraResource too, so a million of them are checked without copying. */
export interface CameraPosition extends CameraResource {
  name: string;
  lat: number;
  lon: number;
}

const COLS = `'camera' AS kind, c.id, c.name, c.lat, c.lon, c.owner_class AS "ownerClass", c.station_id AS "stationId", c.village_id AS "villageId",
  c.owner_user_id AS "ownerUserId", c.sharing_mode AS "sharingMode", c.delegated_to_committee AS "delegatedToCommittee", c.enabled`;

export function cameraPositionsRepository(db: Db) {
  return {
    /** Every camera not removed, a page at a time, through one cursor (a sequential scan: no sort, no index walk). */
    async scan(pageSize: number, onPage: (rows: CameraPosition[]) => void): Promise<void> {
      await withTx(db, async (tx) => {
        await tx.query(`DECLARE camera_positions NO SCROLL CURSOR FOR SELECT ${COLS} FROM cameras c WHERE c.removed_at IS NULL`);
        for (;;) {
          const { rows } = await tx.query<CameraPosition>(`FETCH FORWARD ${Math.max(1, Math.floor(pageSize))} FROM camera_positions`);
          if (rows.length) onPage(rows);
          if (rows.length < pageSize) break;
        }
        await tx.query('CLOSE camera_positions');
      });
    },

    /** Cameras written after a (updated_at, id) position (removed ones with removed: true), in that order. */
    async changedSince(after: { at: Date; id: Uuid }, limit: number): Promise<Array<CameraPosition & { removed: boolean; updatedAt: Date }>> {
      const { rows } = await db.query<CameraPosition & { removed: boolean; updatedAt: Date }>(
        `SELECT ${COLS}, c.removed_at IS NOT NULL AS removed, c.updated_at AS "updatedAt" FROM cameras c
         WHERE (c.updated_at, c.id) > ($1, $2) ORDER BY c.updated_at, c.id LIMIT $3`,
        [after.at, after.id, limit],
      );
      return rows;
    },

    /** Latest write to the cameras table (where the index starts catching up from). */
    async lastWrite(): Promise<Date> {
      const { rows } = await db.query<{ at: Date | null }>(`SELECT max(updated_at) AS at FROM cameras`);
      return rows[0]?.at ?? new Date(0);
    },

    /** One camera, or undefined once removed. */
    async byId(id: Uuid): Promise<CameraPosition | undefined> {
      const { rows } = await db.query<CameraPosition>(`SELECT ${COLS} FROM cameras c WHERE c.id = $1 AND c.removed_at IS NULL`, [id]);
      return rows[0];
    },

    /** Where named cameras are, removed ones included (a route drawn from old sightings keeps its points). */
    async byIds(ids: Uuid[]): Promise<Array<CameraPosition & { removed: boolean }>> {
      if (ids.length === 0) return [];
      const { rows } = await db.query<CameraPosition & { removed: boolean }>(
        `SELECT ${COLS}, c.removed_at IS NOT NULL AS removed FROM cameras c WHERE c.id = ANY($1::uuid[])`, [ids],
      );
      return rows;
    },

    /**
     * The PostgreSQL alternative to the in-memory index: a k-nearest walk of the GiST index on point(lon, lat)
     * (degree space, so 50 % more candidates are read), then exact great-circle distances, the radius, nearest first.
     */
    async nearestInPg(lat: number, lon: number, radiusM: number, limit: number): Promise<Array<CameraPosition & { distanceM: number }>> {
      const { rows } = await db.query<CameraPosition & { distanceM: number }>(
        `SELECT * FROM (
           SELECT ${COLS}, 2 * 6371008.8 * asin(sqrt(power(sin(radians(c.lat - $2) / 2), 2)
                    + cos(radians(c.lat)) * cos(radians($2)) * power(sin(radians(c.lon - $1) / 2), 2))) AS "distanceM"
           FROM cameras c WHERE c.removed_at IS NULL ORDER BY point(c.lon, c.lat) <-> point($1, $2) LIMIT $4
         ) x WHERE x."distanceM" <= $3 ORDER BY x."distanceM" LIMIT $5`,
        [lon, lat, radiusM, Math.ceil(limit * 1.5), limit],
      );
      return rows;
    },

    /** PostgreSQL alternative for a corridor: cameras inside a box around each segment, exact distance done by the caller. */
    async inBoxesInPg(boxes: Array<[number, number, number, number]>, limit: number): Promise<CameraPosition[]> {
      const { rows } = await db.query<CameraPosition>(
        `SELECT DISTINCT ON (c.id) ${COLS} FROM cameras c,
           unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[]) AS b(x0, y0, x1, y1)
         WHERE c.removed_at IS NULL AND point(c.lon, c.lat) <@ box(point(b.x0, b.y0), point(b.x1, b.y1))
         ORDER BY c.id LIMIT $5`,
        [boxes.map((b) => b[0]), boxes.map((b) => b[1]), boxes.map((b) => b[2]), boxes.map((b) => b[3]), limit],
      );
      return rows;
    },
  };
}
export type CameraPositionsRepository = ReturnType<typeof cameraPositionsRepository>;
