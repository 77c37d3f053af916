import type { Queryable } from '../db/pool.ts';

export interface CheckpointRow {
  id: number;
  at: Date;
  headId: number;
  headHash: Buffer;
  rowCount: number;
  kid: string;
  jws: string;
}

const COLS = `id, at, head_id AS "headId", head_hash AS "headHash", row_count AS "rowCount", kid, jws`;

export const auditCheckpointsRepository = (db: Queryable) => ({
  /** The chain's newest row and how many rows end there, read in one snapshot. */
  async head(q: Queryable = db): Promise<{ headId: number; headHash: Buffer | null; rowCount: number }> {
    const { rows } = await q.query<{ headId: number | null; headHash: Buffer | null; rowCount: number }>(
      `SELECT h.id AS "headId", h.hash AS "headHash", (SELECT count(*) FROM audit_log a WHERE a.id <= h.id)::bigint AS "rowCount"
       FROM (SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1) h`,
    );
    const r = rows[0];
    return r && r.headId !== null ? { headId: r.headId, headHash: r.headHash, rowCount: Number(r.rowCount) } : { headId: 0, headHash: null, rowCount: 0 };
  },

  async insert(c: Omit<CheckpointRow, 'id'>, q: Queryable = db): Promise<CheckpointRow> {
    const { rows } = await q.query<CheckpointRow>(
      `INSERT INTO audit_checkpoints (at, head_id, head_hash, row_count, kid, jws) VALUES ($1,$2,$3,$4,$5,$6) RETURNING ${COLS}`,
      [c.at, c.headId, c.headHash, c.rowCount, c.kid, c.jws],
    );
    return rows[0]!;
  },

  async latest(q: Queryable = db): Promise<CheckpointRow | undefined> {
    const { rows } = await q.query<CheckpointRow>(`SELECT ${COLS} FROM audit_checkpoints ORDER BY id DESC LIMIT 1`);
    return rows[0];
  },

  async byId(id: number): Promise<CheckpointRow | undefined> {
    const { rows } = await db.query<CheckpointRow>(`SELECT ${COLS} FROM audit_checkpoints WHERE id = $1`, [id]);
    return rows[0];
  },

  /** Newest first; `beforeId` pages back. */
  async list(opts: { beforeId?: number; limit: number }): Promise<CheckpointRow[]> {
    const { rows } = await db.query<CheckpointRow>(
      `SELECT ${COLS} FROM audit_checkpoints WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
      [opts.beforeId ?? null, opts.limit],
    );
    return rows;
  },

  /** Every checkpoint, oldest head first (the verifier checks them all). */
  async all(): Promise<CheckpointRow[]> {
    const { rows } = await db.query<CheckpointRow>(`SELECT ${COLS} FROM audit_checkpoints ORDER BY head_id, id`);
    return rows;
  },

  /** Public halves of every signing key ever used, retired ones included: old checkpoints must still verify. */
  async publicKeys(): Promise<Array<{ kid: string; publicJwk: Record<string, unknown> }>> {
    const { rows } = await db.query<{ kid: string; publicJwk: Record<string, unknown> }>(
      `SELECT kid, public_jwk AS "publicJwk" FROM signing_keys ORDER BY created_at`,
    );
    return rows;
  },
});
export type AuditCheckpointsRepository = ReturnType<typeof auditCheckpointsRepository>;
