// What the in-memory spatial index holds per camera: position and the facts decide() needs, nothing secret.
import type { Queryable } from '../db/pool.ts';
import type { OwnerClass, SharingMode, Uuid } from '../domain/types.ts';

export interface CameraPosition {
  id: Uuid;
  name: string;
  lat: number;
  lon: number;
  ownerClass: OwnerClass;
  stationId: Uuid;
  villageId: Uuid | null;
  ownerUserId: Uuid | null;
  sharingMode: SharingMode | null;
  delegatedToCommittee: boolean;
  enabled: boolean;
}

const COLS = `c.id, c.name, c.lat, c.lon, c.owner_class AS "ownerClass", c.station_id AS "stationId", c.village_id AS "villageId",
  c.owner_user_id AS "ownerUserId", c.sharing_mode AS "sharingMode", c.delegated_to_committee AS "delegatedToCommittee", c.enabled`;

export function cameraPositionsRepository(db: Queryable) {
  return {
    /** One page of cameras not removed, in id order (the index loads 1M rows a page at a time). */
    async page(afterId: Uuid | null, limit: number): Promise<CameraPosition[]> {
      const { rows } = await db.query<CameraPosition>(
        `SELECT ${COLS} FROM cameras c WHERE c.removed_at IS NULL AND ($1::uuid IS NULL OR c.id > $1) ORDER BY c.id LIMIT $2`,
        [afterId, limit],
      );
      return rows;
    },

    /** Cameras written after `since` (removed ones with removed: true), oldest first, for the index's catch-up. */
    async changedSince(since: Date, limit: number): Promise<Array<CameraPosition & { removed: boolean; updatedAt: Date }>> {
      const { rows } = await db.query<CameraPosition & { removed: boolean; updatedAt: Date }>(
        `SELECT ${COLS}, c.removed_at IS NOT NULL AS removed, c.updated_at AS "updatedAt" FROM cameras c
         WHERE c.updated_at > $1 ORDER BY c.updated_at LIMIT $2`,
        [since, limit],
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

    /** The PostgreSQL alternative to the in-memory index (GiST on point(lon, lat)): nearest first, within a radius. */
    async nearestInPg(lat: number, lon: number, radiusM: number, limit: number): Promise<Array<CameraPosition & { distanceM: number }>> {
      const dLat = radiusM / 111_320;
      const dLon = radiusM / (111_320 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
      const { rows } = await db.query<CameraPosition & { distanceM: number }>(
        `SELECT * FROM (
           SELECT ${COLS}, 2 * 6371008.8 * asin(sqrt(power(sin(radians(c.lat - $2) / 2), 2)
                    + cos(radians(c.lat)) * cos(radians($2)) * power(sin(radians(c.lon - $1) / 2), 2))) AS "distanceM"
           FROM cameras c
           WHERE c.removed_at IS NULL AND point(c.lon, c.lat) <@ box(point($1 - $4, $2 - $3), point($1 + $4, $2 + $3))
         ) x WHERE x."distanceM" <= $5 ORDER BY x."distanceM" LIMIT $6`,
        [lon, lat, dLat, dLon, radiusM, limit],
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
