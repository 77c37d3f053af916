import type { Db, Queryable } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import { chainHash, GENESIS, type AuditRecord } from '../audit/chain.ts';
import type { AuditAction } from '../audit/actions.ts';

export type AuditInput = Partial<Omit<AuditRecord, 'action' | 'outcome'>> & Pick<AuditRecord, 'outcome'> & { action: AuditAction };

export interface AuditRow extends AuditRecord {
  id: number;
  prevHash: Buffer;
  hash: Buffer;
}

export interface AuditQuery {
  cameraId?: string;
  cameraIds?: string[];
  actorUserId?: string;
  grantId?: string;
  caseNo?: string;
  action?: string;
  from?: Date;
  to?: Date;
  afterId?: number;
  limit?: number;
}

const COLS = `id, at, actor_user_id AS "actorUserId", actor_name AS "actorName", action, outcome,
  camera_id AS "cameraId", grant_id AS "grantId", station_id AS "stationId", case_no AS "caseNo",
  window_from AS "windowFrom", window_to AS "windowTo", reason, details, prev_hash AS "prevHash", hash`;

// Serialises chain appends across every process that shares the database.
const CHAIN_LOCK = 7366290002;

function normalise(input: AuditInput): AuditRecord {
  // Millisecond precision so the stored timestamptz reproduces the hashed value exactly.
  return {
    at: input.at ?? new Date(),
    actorUserId: input.actorUserId ?? null,
    actorName: input.actorName ?? null,
    action: input.action,
    outcome: input.outcome,
    cameraId: input.cameraId ?? null,
    grantId: input.grantId ?? null,
    stationId: input.stationId ?? null,
    caseNo: input.caseNo ?? null,
    windowFrom: input.windowFrom ?? null,
    windowTo: input.windowTo ?? null,
    reason: input.reason ?? null,
    details: input.details ?? {},
  };
}

async function appendIn(tx: Queryable, entries: AuditInput[]): Promise<number[]> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
  const last = await tx.query<{ hash: Buffer }>('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1');
  let prev = last.rows[0]?.hash ?? GENESIS;
  const ids: number[] = [];
  for (const e of entries) {
    const r = normalise(e);
    const hash = chainHash(prev, r);
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO audit_log (at, actor_user_id, actor_name, action, outcome, camera_id, grant_id, station_id, case_no,
         window_from, window_to, reason, details, prev_hash, hash)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING id`,
      [r.at, r.actorUserId, r.actorName, r.action, r.outcome, r.cameraId, r.grantId, r.stationId, r.caseNo,
       r.windowFrom, r.windowTo, r.reason, JSON.stringify(r.details), prev, hash],
    );
    ids.push(rows[0]!.id);
    prev = hash;
  }
  return ids;
}

export function auditRepository(db: Db) {
  return {
    /** Appends inside the caller's transaction (so the audited change and its record commit together) or its own. */
    async append(entries: AuditInput | AuditInput[], tx?: Queryable): Promise<number[]> {
      const list = Array.isArray(entries) ? entries : [entries];
      if (list.length === 0) return [];
      return tx ? appendIn(tx, list) : withTx(db, (t) => appendIn(t, list));
    },

    async query(q: AuditQuery): Promise<AuditRow[]> {
      const { rows } = await db.query<AuditRow>(
        `SELECT ${COLS} FROM audit_log
         WHERE ($1::uuid IS NULL OR camera_id = $1) AND ($2::uuid IS NULL OR actor_user_id = $2)
           AND ($3::uuid IS NULL OR grant_id = $3) AND ($4::text IS NULL OR case_no = $4)
           AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
           AND ($7::bigint IS NULL OR id > $7) AND ($8::text IS NULL OR action = $8)
           AND ($9::uuid[] IS NULL OR camera_id = ANY($9))
         ORDER BY id LIMIT $10`,
        [q.cameraId ?? null, q.actorUserId ?? null, q.grantId ?? null, q.caseNo ?? null, q.from ?? null, q.to ?? null,
         q.afterId ?? null, q.action ?? null, q.cameraIds ?? null, Math.min(q.limit ?? 500, 10_000)],
      );
      return rows;
    },

    /** Rows in chain order, a page at a time (for verification). */
    async page(afterId: number, limit: number): Promise<AuditRow[]> {
      const { rows } = await db.query<AuditRow>(`SELECT ${COLS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit]);
      return rows;
    },
  };
}
export type AuditRepository = ReturnType<typeof auditRepository>;
