// Recording index (migration 009): segments, gaps and footage holds. The index is the truth for listing.
import type { Queryable } from '../db/pool.ts';

export type Stream = 'main' | 'sub';
export type GapReason = 'camera_offline' | 'disk_full' | 'restart' | 'corrupt' | 'not_recording' | 'error';

export interface Segment {
  id: number;
  cameraId: string;
  stream: Stream;
  startAt: Date;
  endAt: Date;
  bytes: number;
  path: string;
  sha256: string;
  format: 'mpegts' | 'fmp4';
  firstPts90k: number | null;
  keyframes: Array<{ ms: number; byte: number }> | null;
  repaired: boolean;
}
export type SegmentInsert = Omit<Segment, 'id' | 'format' | 'keyframes'> & { keyframes?: Segment['keyframes'] };

export interface Gap {
  id: number;
  cameraId: string;
  stream: Stream;
  startAt: Date;
  endAt: Date;
  reason: GapReason;
}

export interface Hold {
  id: number;
  cameraId: string;
  startAt: Date;
  endAt: Date;
  grantId: string | null;
  caseNo: string | null;
  reason: string;
  createdBy: string | null;
  releasedAt: Date | null;
  releasedBy: string | null;
}

export interface RecordingPolicyRow {
  cameraId: string;
  ownerClass: string;
  /** cameras.recording_allowed (null: the class default). */
  cameraAllowed: boolean | null;
  /** The household owner's consent (camera_consents.recording_allowed); null when there is no consent row. */
  consentAllowed: boolean | null;
  overrides: Record<string, unknown>;
  enabled: boolean;
}

const SEG_COLS = `id, camera_id, stream, start_at, end_at, bytes, path, sha256, format, first_pts_90k, keyframes, repaired`;
const toSegment = (r: Record<string, unknown>): Segment => ({
  id: Number(r.id),
  cameraId: r.camera_id as string,
  stream: r.stream as Stream,
  startAt: r.start_at as Date,
  endAt: r.end_at as Date,
  bytes: Number(r.bytes),
  path: r.path as string,
  sha256: r.sha256 as string,
  format: r.format as Segment['format'],
  firstPts90k: r.first_pts_90k === null ? null : Number(r.first_pts_90k),
  keyframes: (r.keyframes as Segment['keyframes']) ?? null,
  repaired: r.repaired as boolean,
});
const toGap = (r: Record<string, unknown>): Gap => ({
  id: Number(r.id), cameraId: r.camera_id as string, stream: r.stream as Stream,
  startAt: r.start_at as Date, endAt: r.end_at as Date, reason: r.reason as GapReason,
});
const toHold = (r: Record<string, unknown>): Hold => ({
  id: Number(r.id), cameraId: r.camera_id as string, startAt: r.start_at as Date, endAt: r.end_at as Date,
  grantId: (r.grant_id as string | null) ?? null, caseNo: (r.case_no as string | null) ?? null, reason: r.reason as string,
  createdBy: (r.created_by as string | null) ?? null, releasedAt: (r.released_at as Date | null) ?? null,
  releasedBy: (r.released_by as string | null) ?? null,
});

export function recordingsRepository(db: Queryable) {
  return {
    /** Indexes a segment; a path already indexed is left as it is (repair may race the writer). Returns null then. */
    async insertSegment(s: SegmentInsert, tx: Queryable = db): Promise<Segment | null> {
      const r = await tx.query(
        `INSERT INTO recording_segments (camera_id, stream, start_at, end_at, bytes, path, sha256, first_pts_90k, keyframes, repaired)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (path) DO NOTHING RETURNING ${SEG_COLS}`,
        [s.cameraId, s.stream, s.startAt, s.endAt, s.bytes, s.path, s.sha256, s.firstPts90k,
          s.keyframes ? JSON.stringify(s.keyframes) : null, s.repaired],
      );
      return r.rows[0] ? toSegment(r.rows[0]) : null;
    },

    /** Which of these paths the index already holds (repair at start-up). */
    async indexedPaths(paths: string[], tx: Queryable = db): Promise<Set<string>> {
      if (paths.length === 0) return new Set();
      const r = await tx.query(`SELECT path FROM recording_segments WHERE path = ANY($1::text[])`, [paths]);
      return new Set(r.rows.map((x) => x.path as string));
    },

    /** Segments overlapping [from, to), in time order. */
    async segments(cameraId: string, stream: Stream, from: Date, to: Date, tx: Queryable = db): Promise<Segment[]> {
      const r = await tx.query(
        `SELECT ${SEG_COLS} FROM recording_segments
          WHERE camera_id = $1 AND stream = $2 AND start_at < $4 AND end_at > $3
          ORDER BY start_at`,
        [cameraId, stream, from, to],
      );
      return r.rows.map(toSegment);
    },

    async latestSegment(cameraId: string, stream: Stream, tx: Queryable = db): Promise<Segment | null> {
      const r = await tx.query(
        `SELECT ${SEG_COLS} FROM recording_segments WHERE camera_id = $1 AND stream = $2 ORDER BY start_at DESC LIMIT 1`,
        [cameraId, stream],
      );
      return r.rows[0] ? toSegment(r.rows[0]) : null;
    },

    async insertGap(g: Omit<Gap, 'id'>, tx: Queryable = db): Promise<Gap> {
      const r = await tx.query(
        `INSERT INTO recording_gaps (camera_id, stream, start_at, end_at, reason) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, camera_id, stream, start_at, end_at, reason`,
        [g.cameraId, g.stream, g.startAt, g.endAt, g.reason],
      );
      return toGap(r.rows[0]);
    },

    async gaps(cameraId: string, stream: Stream, from: Date, to: Date, tx: Queryable = db): Promise<Gap[]> {
      const r = await tx.query(
        `SELECT id, camera_id, stream, start_at, end_at, reason FROM recording_gaps
          WHERE camera_id = $1 AND stream = $2 AND start_at < $4 AND end_at > $3 ORDER BY start_at`,
        [cameraId, stream, from, to],
      );
      return r.rows.map(toGap);
    },

    /**
     * Retention candidates, oldest first: segments that no unreleased hold overlaps. `before` limits by age,
     * `cameraIds` by class (null: every camera). Held footage is never returned.
     */
    async unheldOldest(opts: { before?: Date; cameraIds?: string[] | null; limit: number }, tx: Queryable = db): Promise<Segment[]> {
      const r = await tx.query(
        `SELECT ${SEG_COLS} FROM recording_segments s
          WHERE ($1::timestamptz IS NULL OR s.start_at < $1)
            AND ($2::uuid[] IS NULL OR s.camera_id = ANY($2::uuid[]))
            AND NOT EXISTS (SELECT 1 FROM footage_holds h
                             WHERE h.camera_id = s.camera_id AND h.released_at IS NULL
                               AND h.start_at < s.end_at AND h.end_at > s.start_at)
          ORDER BY s.start_at LIMIT $3`,
        [opts.before ?? null, opts.cameraIds ?? null, opts.limit],
      );
      return r.rows.map(toSegment);
    },

    /** Bytes indexed per camera (quota per class is summed by the caller). */
    async bytesByCamera(tx: Queryable = db): Promise<Map<string, number>> {
      const r = await tx.query(`SELECT camera_id, sum(bytes)::bigint AS bytes FROM recording_segments GROUP BY camera_id`);
      return new Map(r.rows.map((x) => [x.camera_id as string, Number(x.bytes)]));
    },

    /**
     * Deletes a batch of index rows in one statement, each only if no unreleased hold overlaps it at this moment.
     * One statement means the range trigger rebuilds each camera's ranges once per batch, not once per segment
     * (a rebuild re-reads the whole merged range: about a second for 30 days of 10 s segments).
     * Returns the rows that went; the caller removes their files after.
     */
    async deleteSegmentsIfUnheld(ids: number[], tx: Queryable = db): Promise<Array<{ id: number; path: string; bytes: number }>> {
      if (ids.length === 0) return [];
      const r = await tx.query(
        `DELETE FROM recording_segments s WHERE s.id = ANY($1::bigint[])
            AND NOT EXISTS (SELECT 1 FROM footage_holds h
                             WHERE h.camera_id = s.camera_id AND h.released_at IS NULL
                               AND h.start_at < s.end_at AND h.end_at > s.start_at)
          RETURNING s.id, s.path, s.bytes`,
        [ids],
      );
      return r.rows.map((x) => ({ id: Number(x.id), path: x.path as string, bytes: Number(x.bytes) }));
    },

    /** One unreleased hold per (grant, camera): a repeated approval notice is a no-op. */
    async createHold(
      h: { cameraId: string; startAt: Date; endAt: Date; grantId: string | null; caseNo: string | null; reason: string; createdBy: string | null },
      tx: Queryable = db,
    ): Promise<Hold | null> {
      const r = await tx.query(
        `INSERT INTO footage_holds (camera_id, start_at, end_at, grant_id, case_no, reason, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (grant_id, camera_id) WHERE grant_id IS NOT NULL AND released_at IS NULL DO NOTHING
         RETURNING *`,
        [h.cameraId, h.startAt, h.endAt, h.grantId, h.caseNo, h.reason, h.createdBy],
      );
      return r.rows[0] ? toHold(r.rows[0]) : null;
    },

    async releaseHold(id: number, by: string | null, tx: Queryable = db): Promise<Hold | null> {
      const r = await tx.query(
        `UPDATE footage_holds SET released_at = now(), released_by = $2 WHERE id = $1 AND released_at IS NULL RETURNING *`,
        [id, by],
      );
      return r.rows[0] ? toHold(r.rows[0]) : null;
    },

    /** Releases every unreleased hold of a case (the case was closed). */
    async releaseHoldsOfCase(caseNo: string, by: string | null, tx: Queryable = db): Promise<Hold[]> {
      const r = await tx.query(
        `UPDATE footage_holds SET released_at = now(), released_by = $2 WHERE case_no = $1 AND released_at IS NULL RETURNING *`,
        [caseNo, by],
      );
      return r.rows.map(toHold);
    },

    async holds(cameraId: string, tx: Queryable = db): Promise<Hold[]> {
      const r = await tx.query(`SELECT * FROM footage_holds WHERE camera_id = $1 AND released_at IS NULL ORDER BY start_at`, [cameraId]);
      return r.rows.map(toHold);
    },

    /** What the recording policy needs about every enabled camera. */
    async policyRows(tx: Queryable = db): Promise<RecordingPolicyRow[]> {
      const r = await tx.query(
        `SELECT c.id, c.owner_class, c.recording_allowed, c.recording, c.enabled,
                (SELECT cc.recording_allowed FROM camera_consents cc WHERE cc.camera_id = c.id
                  ORDER BY cc.recorded_at DESC, cc.id DESC LIMIT 1) AS consent_allowed
           FROM cameras c WHERE c.removed_at IS NULL`,
      );
      return r.rows.map((x) => ({
        cameraId: x.id as string,
        ownerClass: x.owner_class as string,
        cameraAllowed: (x.recording_allowed as boolean | null) ?? null,
        consentAllowed: (x.consent_allowed as boolean | null) ?? null,
        overrides: (x.recording as Record<string, unknown>) ?? {},
        enabled: x.enabled as boolean,
      }));
    },
  };
}
export type RecordingsRepository = ReturnType<typeof recordingsRepository>;
