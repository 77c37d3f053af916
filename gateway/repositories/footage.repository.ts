// Reads of the recording index for playback and export, evidence exports, privacy masks. The only SQL of footage.
import type { Db, Queryable } from '../db/pool.ts';
import type { Uuid } from '../domain/types.ts';

export type Stream = 'main' | 'sub';

export interface SegmentRow {
  id: string;
  cameraId: Uuid;
  stream: Stream;
  startAt: Date;
  endAt: Date;
  bytes: number;
  path: string;
  sha256: string;
  firstPts90k: number | null;
}

export interface RecordedRange {
  from: Date;
  to: Date;
}

export interface GapRow {
  from: Date;
  to: Date;
  reason: string;
}

export interface ExportRow {
  id: Uuid;
  cameraId: Uuid;
  stream: Stream;
  requesterId: Uuid;
  grantId: Uuid | null;
  caseNo: string | null;
  from: Date;
  to: Date;
  watermark: boolean;
  state: 'running' | 'done' | 'failed';
  progress: number;
  source: 'gateway' | 'camera';
  clipSha256: string | null;
  clipBytes: number | null;
  manifest: string | null;
  error: string | null;
  auditId: number | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface MaskRow {
  cameraId: Uuid;
  version: number;
  rects: Array<{ x: number; y: number; w: number; h: number }>;
  createdBy: Uuid;
  createdAt: Date;
}

const SEG_COLS = `id::text AS id, camera_id AS "cameraId", stream, start_at AS "startAt", end_at AS "endAt", bytes::float8 AS bytes,
  path, sha256, first_pts_90k::float8 AS "firstPts90k"`;
const EXPORT_COLS = `id, camera_id AS "cameraId", stream, requester_id AS "requesterId", grant_id AS "grantId", case_no AS "caseNo",
  from_at AS "from", to_at AS "to", watermark, state, progress, source, clip_sha256 AS "clipSha256", clip_bytes::float8 AS "clipBytes",
  manifest, error, audit_id::float8 AS "auditId", created_at AS "createdAt", finished_at AS "finishedAt"`;
/** Longest segment the index may hold; bounds the index range scan for segments overlapping a window's start. */
const MAX_SEGMENT = "interval '1 hour'";
const MASK_LOCK = 7366290010;

export function footageRepository(db: Db) {
  return {
    /** Recorded ranges overlapping [from, to), clipped to it (kept merged by the trigger of migration 010). */
    async ranges(cameraId: Uuid, stream: Stream, from: Date, to: Date): Promise<RecordedRange[]> {
      const { rows } = await db.query<RecordedRange>(
        `SELECT greatest(start_at, $3) AS "from", least(end_at, $4) AS "to" FROM recording_ranges
         WHERE camera_id = $1 AND stream = $2 AND start_at < $4 AND end_at > $3 ORDER BY start_at LIMIT 100000`,
        [cameraId, stream, from, to],
      );
      return rows;
    },

    async gaps(cameraId: Uuid, stream: Stream, from: Date, to: Date): Promise<GapRow[]> {
      const { rows } = await db.query<GapRow>(
        `SELECT greatest(start_at, $3) AS "from", least(end_at, $4) AS "to", reason FROM recording_gaps
         WHERE camera_id = $1 AND stream = $2 AND start_at < $4 AND end_at > $3 ORDER BY start_at LIMIT 10000`,
        [cameraId, stream, from, to],
      );
      return rows;
    },

    /** Segments overlapping [from, to), in time order. */
    async segments(cameraId: Uuid, stream: Stream, from: Date, to: Date, limit = 100_000): Promise<SegmentRow[]> {
      const { rows } = await db.query<SegmentRow>(
        `SELECT ${SEG_COLS} FROM recording_segments
         WHERE camera_id = $1 AND stream = $2 AND start_at < $4 AND start_at > $3::timestamptz - ${MAX_SEGMENT} AND end_at > $3
         ORDER BY start_at LIMIT $5`,
        [cameraId, stream, from, to, limit],
      );
      return rows;
    },

    async segment(id: string): Promise<SegmentRow | undefined> {
      if (!/^[0-9]{1,18}$/.test(id)) return undefined;
      const { rows } = await db.query<SegmentRow>(`SELECT ${SEG_COLS} FROM recording_segments WHERE id = $1`, [id]);
      return rows[0];
    },

    /** The recorded range nearest to a window (the segment ending last before it or starting first after it). */
    async nearestSegment(cameraId: Uuid, stream: Stream, from: Date, to: Date): Promise<RecordedRange | null> {
      const { rows } = await db.query<{ from: Date; to: Date; dist: number }>(
        `(SELECT start_at AS "from", end_at AS "to", extract(epoch FROM $3::timestamptz - end_at) AS dist FROM recording_segments
          WHERE camera_id = $1 AND stream = $2 AND start_at < $3 ORDER BY start_at DESC LIMIT 1)
         UNION ALL
         (SELECT start_at, end_at, extract(epoch FROM start_at - $4::timestamptz) FROM recording_segments
          WHERE camera_id = $1 AND stream = $2 AND start_at >= $4 ORDER BY start_at LIMIT 1)`,
        [cameraId, stream, from, to],
      );
      rows.sort((a, b) => Number(a.dist) - Number(b.dist));
      return rows[0] ? { from: rows[0].from, to: rows[0].to } : null;
    },

    // --- exports ---

    async insertExport(
      e: { cameraId: Uuid; stream: Stream; requesterId: Uuid; grantId: Uuid | null; caseNo: string | null; from: Date; to: Date; watermark: boolean; source: 'gateway' | 'camera' },
      q: Queryable = db,
    ): Promise<ExportRow> {
      const { rows } = await q.query<ExportRow>(
        `INSERT INTO footage_exports (camera_id, stream, requester_id, grant_id, case_no, from_at, to_at, watermark, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${EXPORT_COLS}`,
        [e.cameraId, e.stream, e.requesterId, e.grantId, e.caseNo, e.from, e.to, e.watermark, e.source],
      );
      return rows[0]!;
    },

    async exportProgress(id: Uuid, progress: number): Promise<void> {
      await db.query(`UPDATE footage_exports SET progress = $2 WHERE id = $1 AND state = 'running'`, [id, Math.max(0, Math.min(1, progress))]);
    },

    async finishExport(id: Uuid, r: { clipSha256: string; clipBytes: number; manifest: string; auditId: number | null }): Promise<void> {
      await db.query(
        `UPDATE footage_exports SET state = 'done', progress = 1, clip_sha256 = $2, clip_bytes = $3, manifest = $4, audit_id = $5, finished_at = now()
         WHERE id = $1`,
        [id, r.clipSha256, r.clipBytes, r.manifest, r.auditId],
      );
    },

    async failExport(id: Uuid, error: string): Promise<void> {
      await db.query(`UPDATE footage_exports SET state = 'failed', error = $2, finished_at = now() WHERE id = $1 AND state = 'running'`, [id, error.slice(0, 500)]);
    },

    async exportById(id: Uuid): Promise<ExportRow | undefined> {
      const { rows } = await db.query<ExportRow>(`SELECT ${EXPORT_COLS} FROM footage_exports WHERE id = $1`, [id]);
      return rows[0];
    },

    async exportsOfCase(caseNo: string, limit = 500): Promise<ExportRow[]> {
      const { rows } = await db.query<ExportRow>(
        `SELECT ${EXPORT_COLS} FROM footage_exports WHERE case_no = $1 ORDER BY created_at DESC LIMIT $2`,
        [caseNo, limit],
      );
      return rows;
    },

    async exportsOfRequester(userId: Uuid, limit = 500): Promise<ExportRow[]> {
      const { rows } = await db.query<ExportRow>(
        `SELECT ${EXPORT_COLS} FROM footage_exports WHERE requester_id = $1 ORDER BY created_at DESC LIMIT $2`,
        [userId, limit],
      );
      return rows;
    },

    // --- masks ---

    async currentMask(cameraId: Uuid, q: Queryable = db): Promise<MaskRow | undefined> {
      const { rows } = await q.query<MaskRow>(
        `SELECT camera_id AS "cameraId", version, rects, created_by AS "createdBy", created_at AS "createdAt"
         FROM camera_masks WHERE camera_id = $1 ORDER BY version DESC LIMIT 1`,
        [cameraId],
      );
      return rows[0];
    },

    /** A new mask version; concurrent saves of one camera are serialised so versions never collide. */
    async saveMask(cameraId: Uuid, rects: MaskRow['rects'], userId: Uuid, tx: Queryable): Promise<MaskRow> {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($2, $1))', [MASK_LOCK, cameraId]);
      const { rows } = await tx.query<MaskRow>(
        `INSERT INTO camera_masks (camera_id, version, rects, created_by)
         SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb, $3 FROM camera_masks WHERE camera_id = $1
         RETURNING camera_id AS "cameraId", version, rects, created_by AS "createdBy", created_at AS "createdAt"`,
        [cameraId, JSON.stringify(rects), userId],
      );
      return rows[0]!;
    },

    async liftMask(grantId: Uuid, cameraId: Uuid, maskVersion: number, userId: Uuid, tx: Queryable): Promise<void> {
      await tx.query(
        `INSERT INTO grant_mask_lifts (grant_id, camera_id, mask_version, lifted_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (grant_id, camera_id) DO UPDATE SET mask_version = EXCLUDED.mask_version, lifted_by = EXCLUDED.lifted_by, lifted_at = now()`,
        [grantId, cameraId, maskVersion, userId],
      );
    },

    async maskLift(grantId: Uuid, cameraId: Uuid): Promise<{ maskVersion: number; liftedBy: Uuid; liftedAt: Date } | undefined> {
      const { rows } = await db.query<{ maskVersion: number; liftedBy: Uuid; liftedAt: Date }>(
        `SELECT mask_version AS "maskVersion", lifted_by AS "liftedBy", lifted_at AS "liftedAt" FROM grant_mask_lifts WHERE grant_id = $1 AND camera_id = $2`,
        [grantId, cameraId],
      );
      return rows[0];
    },

    /** Every saved version of a camera's mask, newest first, with who saved it (the owner's history view). */
    async maskHistory(cameraId: Uuid, limit = 100): Promise<Array<MaskRow & { createdByName: string | null }>> {
      const { rows } = await db.query<MaskRow & { createdByName: string | null }>(
        `SELECT m.camera_id AS "cameraId", m.version, m.rects, m.created_by AS "createdBy", m.created_at AS "createdAt", u.username AS "createdByName"
         FROM camera_masks m LEFT JOIN users u ON u.id = m.created_by WHERE m.camera_id = $1 ORDER BY m.version DESC LIMIT $2`,
        [cameraId, limit],
      );
      return rows;
    },

    /** The grants a camera's mask is lifted for, newest first. */
    async maskLiftsOf(cameraId: Uuid, limit = 500): Promise<Array<{ grantId: Uuid; maskVersion: number; liftedAt: Date }>> {
      const { rows } = await db.query<{ grantId: Uuid; maskVersion: number; liftedAt: Date }>(
        `SELECT grant_id AS "grantId", mask_version AS "maskVersion", lifted_at AS "liftedAt"
         FROM grant_mask_lifts WHERE camera_id = $1 ORDER BY lifted_at DESC LIMIT $2`,
        [cameraId, limit],
      );
      return rows;
    },
  };
}
export type FootageRepository = ReturnType<typeof footageRepository>;
