// Login attempts, counted before the password hash runs so concurrent guesses cannot outrun the lockout.
import type { Queryable } from '../db/pool.ts';

const LOGIN_LOCK = 'shouwang.login:';

export function loginAttemptsRepository(db: Queryable) {
  return {
    /** Serialises attempts on one username until the transaction ends. */
    async lock(username: string, q: Queryable): Promise<void> {
      await q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [LOGIN_LOCK + username]);
    },
    /** Failed or still-running attempts since `since` (a success clears the earlier ones), and all attempts since `rateSince`. */
    async counts(username: string, since: Date, rateSince: Date, q: Queryable = db): Promise<{ failures: number; recent: number }> {
      const { rows } = await q.query<{ failures: number; recent: number }>(
        `SELECT count(*) FILTER (WHERE outcome <> 'ok' AND at >= $2)::int AS failures,
                count(*) FILTER (WHERE at >= $3)::int AS recent
           FROM login_attempts WHERE username = $1 AND at >= LEAST($2, $3)`,
        [username, since, rateSince],
      );
      return rows[0]!;
    },
    async begin(username: string, ip: string | null, q: Queryable = db): Promise<number> {
      const { rows } = await q.query<{ id: number }>('INSERT INTO login_attempts (username, ip) VALUES ($1, $2) RETURNING id', [username, ip]);
      return rows[0]!.id;
    },
    async failed(id: number, q: Queryable = db): Promise<void> {
      await q.query(`UPDATE login_attempts SET outcome = 'fail' WHERE id = $1`, [id]);
    },
    /** The attempt succeeded: earlier failures no longer count toward the lockout; very old rows go. */
    async succeeded(id: number, username: string, q: Queryable = db): Promise<void> {
      await q.query(`UPDATE login_attempts SET outcome = 'ok' WHERE id = $1`, [id]);
      await q.query(
        `DELETE FROM login_attempts WHERE username = $1 AND id < $2 AND (outcome <> 'ok' OR at < now() - interval '1 day')`,
        [username, id],
      );
    },
    /** Attempts older than every window that counts them (usernames nobody logs in as again would stay forever). */
    async prune(before: Date, q: Queryable = db): Promise<number> {
      const r = await q.query('DELETE FROM login_attempts WHERE at < $1', [before]);
      return r.rowCount ?? 0;
    },
  };
}
export type LoginAttemptsRepository = ReturnType<typeof loginAttemptsRepository>;
