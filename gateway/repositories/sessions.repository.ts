import type { Queryable } from '../db/pool.ts';
import type { Uuid } from '../domain/types.ts';

export interface SessionRow {
  id: Uuid;
  userId: Uuid;
  expiresAt: Date;
  revokedAt: Date | null;
}

export function sessionsRepository(db: Queryable) {
  return {
    async create(s: { tokenHash: Buffer; userId: Uuid; expiresAt: Date; ip: string | null }): Promise<SessionRow> {
      const { rows } = await db.query<SessionRow>(
        `INSERT INTO sessions (token_hash, user_id, expires_at, ip) VALUES ($1, $2, $3, $4)
         RETURNING id, user_id AS "userId", expires_at AS "expiresAt", revoked_at AS "revokedAt"`,
        [s.tokenHash, s.userId, s.expiresAt, s.ip],
      );
      return rows[0]!;
    },
    async byTokenHash(hash: Buffer): Promise<SessionRow | undefined> {
      const { rows } = await db.query<SessionRow>(
        `SELECT id, user_id AS "userId", expires_at AS "expiresAt", revoked_at AS "revokedAt" FROM sessions WHERE token_hash = $1`,
        [hash],
      );
      return rows[0];
    },
    async revoke(id: Uuid, q: Queryable = db): Promise<void> {
      await q.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    },
    /** Ends every open session of the user; returns their ids. */
    async revokeAllFor(userId: Uuid, q: Queryable = db): Promise<Uuid[]> {
      const { rows } = await q.query<{ id: Uuid }>('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id', [userId]);
      return rows.map((r) => r.id);
    },
  };
}
export type SessionsRepository = ReturnType<typeof sessionsRepository>;
