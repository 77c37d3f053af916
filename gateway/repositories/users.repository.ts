import type { Queryable } from '../db/pool.ts';
import type { Role, Uuid } from '../domain/types.ts';

export interface User {
  id: Uuid;
  username: string;
  displayName: string;
  role: Role;
  jurisdictionId: Uuid;
  phone: string | null;
  disabled: boolean;
  /** False until a first password is set (enrolment creates owner accounts without one). */
  activated: boolean;
}
export interface UserWithHash extends User {
  passwordHash: string;
}

const COLS = `id, username, display_name AS "displayName", role, jurisdiction_id AS "jurisdictionId", phone, disabled,
  password_hash NOT LIKE '!%' AS activated`;

export function usersRepository(db: Queryable) {
  return {
    async upsert(
      u: { username: string; displayName: string; role: Role; jurisdictionId: Uuid; phone?: string | null; passwordHash: string },
      q: Queryable = db,
    ): Promise<User> {
      const { rows } = await q.query<User>(
        `INSERT INTO users (username, display_name, role, jurisdiction_id, phone, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
           jurisdiction_id = EXCLUDED.jurisdiction_id, phone = EXCLUDED.phone, updated_at = now()
         RETURNING ${COLS}`,
        [u.username, u.displayName, u.role, u.jurisdictionId, u.phone ?? null, u.passwordHash],
      );
      return rows[0]!;
    },
    async byUsernameWithHash(username: string): Promise<UserWithHash | undefined> {
      const { rows } = await db.query<UserWithHash>(
        `SELECT ${COLS}, password_hash AS "passwordHash" FROM users WHERE username = $1`,
        [username],
      );
      return rows[0];
    },
    async byId(id: Uuid): Promise<User | undefined> {
      const { rows } = await db.query<User>(`SELECT ${COLS} FROM users WHERE id = $1`, [id]);
      return rows[0];
    },
    async byUsername(username: string): Promise<User | undefined> {
      const { rows } = await db.query<User>(`SELECT ${COLS} FROM users WHERE username = $1`, [username]);
      return rows[0];
    },
    async list(filter: { jurisdictionId?: Uuid; role?: Role } = {}): Promise<User[]> {
      const { rows } = await db.query<User>(
        `SELECT ${COLS} FROM users WHERE ($1::uuid IS NULL OR jurisdiction_id = $1) AND ($2::text IS NULL OR role = $2) ORDER BY username`,
        [filter.jurisdictionId ?? null, filter.role ?? null],
      );
      return rows;
    },
    async setDisabled(id: Uuid, disabled: boolean, q: Queryable = db): Promise<boolean> {
      const r = await q.query('UPDATE users SET disabled = $2, updated_at = now() WHERE id = $1', [id, disabled]);
      return (r.rowCount ?? 0) > 0;
    },
    async setPasswordHash(id: Uuid, hash: string, q: Queryable = db): Promise<void> {
      await q.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, hash]);
    },
    /** Of these users, those who could act today: activated and not disabled. */
    async activeIds(ids: Uuid[], q: Queryable = db): Promise<Set<Uuid>> {
      const { rows } = await q.query<{ id: Uuid }>(`SELECT id FROM users WHERE id = ANY($1::uuid[]) AND NOT disabled AND password_hash NOT LIKE '!%'`, [ids]);
      return new Set(rows.map((r) => r.id));
    },
    /** Sets the first password of an account that never had one; false if it already had one (race-proof). */
    async activate(id: Uuid, hash: string, q: Queryable = db): Promise<boolean> {
      const r = await q.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 AND password_hash LIKE '!%'`, [id, hash]);
      return (r.rowCount ?? 0) > 0;
    },
  };
}
export type UsersRepository = ReturnType<typeof usersRepository>;
