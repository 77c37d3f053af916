// Durable user/session/token revocations: written with the change that causes them, read at start.
import type { Queryable } from '../db/pool.ts';

export type RevocationKind = 'user' | 'session' | 'token';
export type StoredRevocationReason = 'user_disabled' | 'credentials_reset' | 'session_logged_out' | 'token_revoked';

export interface StoredRevocation {
  kind: RevocationKind;
  key: string;
  reason: StoredRevocationReason;
  at: Date;
}

export function revocationsRepository(db: Queryable) {
  return {
    async add(r: { kind: RevocationKind; key: string; reason: StoredRevocationReason; at?: Date }, q: Queryable = db): Promise<StoredRevocation> {
      const { rows } = await q.query<StoredRevocation>(
        `INSERT INTO revocations (kind, key, reason, at) VALUES ($1, $2, $3, COALESCE($4, now()))
         RETURNING kind, key, reason, at`,
        [r.kind, r.key, r.reason, r.at ?? null],
      );
      return rows[0]!;
    },
    /** Oldest first, so the in-memory registry stays roughly time-ordered. */
    async since(since: Date, q: Queryable = db): Promise<StoredRevocation[]> {
      const { rows } = await q.query<StoredRevocation>(
        'SELECT kind, key, reason, at FROM revocations WHERE at >= $1 ORDER BY at, id',
        [since],
      );
      return rows;
    },
    /** Drops rows no token can still be affected by (kept a while longer for the record). */
    async prune(before: Date, q: Queryable = db): Promise<number> {
      const r = await q.query('DELETE FROM revocations WHERE at < $1', [before]);
      return r.rowCount ?? 0;
    },
  };
}
export type RevocationsRepository = ReturnType<typeof revocationsRepository>;
