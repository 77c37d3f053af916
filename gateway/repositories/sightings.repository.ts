// Sightings of a case and the history of every edit. The only SQL for sightings.
import type { Queryable } from '../db/pool.ts';
import type { Uuid } from '../domain/types.ts';

export interface Sighting {
  id: Uuid;
  caseId: Uuid;
  cameraId: Uuid;
  seenAt: Date;
  note: string;
  confidence: number;
  snapshotSha256: string | null;
  snapshotGrantId: Uuid | null;
  accessGrantId: Uuid | null;
  createdBy: Uuid;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface SightingHistoryRow {
  version: number;
  kind: 'created' | 'edited' | 'deleted';
  changedBy: Uuid;
  changedAt: Date;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const COLS = `s.id, s.case_id AS "caseId", s.camera_id AS "cameraId", s.seen_at AS "seenAt", s.note, s.confidence,
  s.snapshot_sha256 AS "snapshotSha256", s.snapshot_grant_id AS "snapshotGrantId", s.access_grant_id AS "accessGrantId",
  s.created_by AS "createdBy", s.created_at AS "createdAt", s.updated_at AS "updatedAt", s.version`;

export function sightingsRepository(db: Queryable) {
  return {
    async insert(
      s: { caseId: Uuid; cameraId: Uuid; seenAt: Date; note: string; confidence: number; snapshot: Buffer | null; snapshotSha256: string | null; snapshotGrantId: Uuid | null; accessGrantId: Uuid | null; createdBy: Uuid },
      tx: Queryable,
    ): Promise<Sighting> {
      const { rows } = await tx.query<Sighting>(
        `INSERT INTO sightings AS s (case_id, camera_id, seen_at, note, confidence, snapshot, snapshot_sha256, snapshot_grant_id, access_grant_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLS}`,
        [s.caseId, s.cameraId, s.seenAt, s.note, s.confidence, s.snapshot, s.snapshotSha256, s.snapshotGrantId, s.accessGrantId, s.createdBy],
      );
      return rows[0]!;
    },

    async byId(id: Uuid, q: Queryable = db): Promise<Sighting | undefined> {
      const { rows } = await q.query<Sighting>(`SELECT ${COLS} FROM sightings s WHERE s.id = $1 AND s.deleted_at IS NULL`, [id]);
      return rows[0];
    },

    async lock(id: Uuid, tx: Queryable): Promise<Sighting | undefined> {
      const { rows } = await tx.query<Sighting>(`SELECT ${COLS} FROM sightings s WHERE s.id = $1 AND s.deleted_at IS NULL FOR UPDATE`, [id]);
      return rows[0];
    },

    /** The route: a case's sightings in time order. */
    async forCase(caseId: Uuid, q: Queryable = db): Promise<Sighting[]> {
      const { rows } = await q.query<Sighting>(
        `SELECT ${COLS} FROM sightings s WHERE s.case_id = $1 AND s.deleted_at IS NULL ORDER BY s.seen_at, s.created_at LIMIT 1000`,
        [caseId],
      );
      return rows;
    },

    async snapshot(id: Uuid): Promise<Buffer | null> {
      const { rows } = await db.query<{ snapshot: Buffer | null }>(`SELECT snapshot FROM sightings WHERE id = $1 AND deleted_at IS NULL`, [id]);
      return rows[0]?.snapshot ?? null;
    },

    async update(id: Uuid, patch: { seenAt?: Date; note?: string; confidence?: number; cameraId?: Uuid; accessGrantId?: Uuid | null }, tx: Queryable): Promise<Sighting> {
      const { rows } = await tx.query<Sighting>(
        `UPDATE sightings s SET seen_at = COALESCE($2, s.seen_at), note = COALESCE($3, s.note), confidence = COALESCE($4, s.confidence),
           camera_id = COALESCE($5, s.camera_id), access_grant_id = CASE WHEN $6 THEN $7 ELSE s.access_grant_id END,
           version = s.version + 1, updated_at = now()
         WHERE s.id = $1 RETURNING ${COLS}`,
        [id, patch.seenAt ?? null, patch.note ?? null, patch.confidence ?? null, patch.cameraId ?? null, patch.accessGrantId !== undefined, patch.accessGrantId ?? null],
      );
      return rows[0]!;
    },

    async markDeleted(id: Uuid, tx: Queryable): Promise<void> {
      await tx.query(`UPDATE sightings SET deleted_at = now(), version = version + 1, updated_at = now() WHERE id = $1`, [id]);
    },

    async addHistory(h: { sightingId: Uuid; version: number; kind: SightingHistoryRow['kind']; changedBy: Uuid; before: object | null; after: object | null }, tx: Queryable): Promise<void> {
      await tx.query(
        `INSERT INTO sighting_history (sighting_id, version, kind, changed_by, before, after) VALUES ($1, $2, $3, $4, $5, $6)`,
        [h.sightingId, h.version, h.kind, h.changedBy, h.before && JSON.stringify(h.before), h.after && JSON.stringify(h.after)],
      );
    },

    async history(sightingId: Uuid): Promise<SightingHistoryRow[]> {
      const { rows } = await db.query<SightingHistoryRow>(
        `SELECT version, kind, changed_by AS "changedBy", changed_at AS "changedAt", before, after
         FROM sighting_history WHERE sighting_id = $1 ORDER BY id`,
        [sightingId],
      );
      return rows;
    },
  };
}
export type SightingsRepository = ReturnType<typeof sightingsRepository>;
