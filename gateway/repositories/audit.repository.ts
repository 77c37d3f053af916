import type { Db, Queryable } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import { chainHash, GENESIS, storedRecord, type AuditRecord } from '../audit/chain.ts';
import type { AuditAction } from '../audit/actions.ts';

export type AuditInput = Partial<Omit<AuditRecord, 'action' | 'outcome'>> & Pick<AuditRecord, 'outcome'> & { action: AuditAction };

export interface AuditRow extends AuditRecord {
  id: number;
  prevHash: Buffer;
  hash: Buffer;
}

/** Names joined at read time, so rows written before a rename show the current name and nothing is stored twice. */
export interface AuditNames {
  actorUsername: string | null;
  actorStationId: string | null;
  actorStationName: string | null;
  cameraName: string | null;
  stationName: string | null;
}
export type NamedAuditRow = AuditRow & AuditNames;

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
  /** Newest first, ids below this (owners' view paging). */
  beforeId?: number;
  actions?: readonly string[];
  outcome?: string;
  order?: 'asc' | 'desc';
  limit?: number;
}

const NAMED_COLS = `a.id, a.at, a.actor_user_id AS "actorUserId", a.actor_name AS "actorName", a.action, a.outcome,
  a.camera_id AS "cameraId", a.grant_id AS "grantId", a.station_id AS "stationId", a.case_no AS "caseNo",
  a.window_from AS "windowFrom", a.window_to AS "windowTo", a.reason, a.details, a.prev_hash AS "prevHash", a.hash,
  u.username AS "actorUsername", u.jurisdiction_id AS "actorStationId", uj.name AS "actorStationName",
  c.name AS "cameraName", j.name AS "stationName"`;

const COLS = `id, at, actor_user_id AS "actorUserId", actor_name AS "actorName", action, outcome,
  camera_id AS "cameraId", grant_id AS "grantId", station_id AS "stationId", case_no AS "caseNo",
  window_from AS "windowFrom", window_to AS "windowTo", reason, details, prev_hash AS "prevHash", hash`;

// Serialises chain appends across every process that shares the database.
const CHAIN_LOCK = 7366290002;

function normalise(input: AuditInput): AuditRecord {
  // Hash the stored form (lower-case ids, text and jsonb as PostgreSQL returns them), never the value as typed.
  return storedRecord({
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
  });
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

    async query(q: AuditQuery): Promise<NamedAuditRow[]> {
      const desc = q.order === 'desc';
      const { rows } = await db.query<NamedAuditRow>(
        `SELECT ${NAMED_COLS} FROM audit_log a
           LEFT JOIN users u ON u.id = a.actor_user_id
           LEFT JOIN jurisdictions uj ON uj.id = u.jurisdiction_id
           LEFT JOIN cameras c ON c.id = a.camera_id
           LEFT JOIN jurisdictions j ON j.id = a.station_id
         WHERE ($1::uuid IS NULL OR a.camera_id = $1) AND ($2::uuid IS NULL OR a.actor_user_id = $2)
           AND ($3::uuid IS NULL OR a.grant_id = $3) AND ($4::text IS NULL OR a.case_no = $4)
           AND ($5::timestamptz IS NULL OR a.at >= $5) AND ($6::timestamptz IS NULL OR a.at < $6)
           AND ($7::bigint IS NULL OR a.id > $7) AND ($8::text IS NULL OR a.action = $8)
           AND ($9::uuid[] IS NULL OR a.camera_id = ANY($9))
           AND ($11::bigint IS NULL OR a.id < $11) AND ($12::text[] IS NULL OR a.action = ANY($12))
           AND ($13::text IS NULL OR a.outcome = $13)
         ORDER BY a.id ${desc ? 'DESC' : 'ASC'} LIMIT $10`,
        [q.cameraId ?? null, q.actorUserId ?? null, q.grantId ?? null, q.caseNo ?? null, q.from ?? null, q.to ?? null,
         q.afterId ?? null, q.action ?? null, q.cameraIds ?? null, Math.min(q.limit ?? 500, 10_000),
         q.beforeId ?? null, q.actions ? [...q.actions] : null, q.outcome ?? null],
      );
      return rows;
    },

    /**
     * Rows in chain order, a page at a time (for verification). Times travel as epoch milliseconds: parsing a
     * million timestamptz strings costs more than hashing the rows.
     */
    async page(afterId: number, limit: number): Promise<AuditRow[]> {
      const { rows } = await db.query<AuditRow & { at: number; windowFrom: number | null; windowTo: number | null }>(
        `SELECT id, trunc(extract(epoch FROM at) * 1000)::bigint AS at, actor_user_id AS "actorUserId", actor_name AS "actorName",
           action, outcome, camera_id AS "cameraId", grant_id AS "grantId", station_id AS "stationId", case_no AS "caseNo",
           trunc(extract(epoch FROM window_from) * 1000)::bigint AS "windowFrom", trunc(extract(epoch FROM window_to) * 1000)::bigint AS "windowTo",
           reason, details, prev_hash AS "prevHash", hash
         FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`,
        [afterId, limit],
      );
      return rows.map((r) => ({
        ...r,
        at: new Date(r.at),
        windowFrom: r.windowFrom === null ? null : new Date(r.windowFrom),
        windowTo: r.windowTo === null ? null : new Date(r.windowTo),
      }));
    },
  };
}
export type AuditRepository = ReturnType<typeof auditRepository>;
