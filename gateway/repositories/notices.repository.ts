// Notices a user must see (their password was reset by an admin, their camera changed owner).
import type { Queryable } from '../db/pool.ts';
import type { Uuid } from '../domain/types.ts';

export interface Notice {
  id: number;
  userId: Uuid;
  kind: string;
  message: string;
  actorUserId: Uuid | null;
  at: Date;
  readAt: Date | null;
}

const COLS = `id, user_id AS "userId", kind, message, actor_user_id AS "actorUserId", at, read_at AS "readAt"`;

export function noticesRepository(db: Queryable) {
  return {
    async add(n: { userId: Uuid; kind: string; message: string; actorUserId: Uuid | null }, q: Queryable = db): Promise<Notice> {
      const { rows } = await q.query<Notice>(
        `INSERT INTO user_notices (user_id, kind, message, actor_user_id) VALUES ($1, $2, $3, $4) RETURNING ${COLS}`,
        [n.userId, n.kind, n.message, n.actorUserId],
      );
      return rows[0]!;
    },
    async forUser(userId: Uuid, limit = 100, q: Queryable = db): Promise<Notice[]> {
      const { rows } = await q.query<Notice>(`SELECT ${COLS} FROM user_notices WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, [userId, limit]);
      return rows;
    },
  };
}
export type NoticesRepository = ReturnType<typeof noticesRepository>;
