import pg from 'pg';

export type Db = pg.Pool;
export type Tx = pg.PoolClient;
/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

// int8 → number (ids and counts stay well below 2^53); dates stay Date.
pg.types.setTypeParser(20, (v) => Number(v));

export interface PoolOptions {
  url: string;
  max?: number;
  /** Run as this role after connecting (the runtime role without audit UPDATE/DELETE). */
  role?: string | null;
  applicationName?: string;
}

export function createPool(opts: PoolOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.url,
    // Role set in the startup packet, so no query can run before it takes effect.
    ...(opts.role ? { options: `-c role=${opts.role}` } : {}),
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'shouwang',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn inside a transaction; rolls back on any error. */
export async function withTx<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** Does the runtime role exist in this cluster (it is created by migration 001 where allowed)? */
export async function runtimeRole(db: Queryable): Promise<string | null> {
  const r = await db.query(
    `SELECT 1 FROM pg_roles WHERE rolname = 'shouwang_app' AND pg_has_role(current_user, 'shouwang_app', 'MEMBER')`,
  );
  return r.rowCount ? 'shouwang_app' : null;
}

/**
 * Waits until no client is checked out for `quietMs` (at most `maxMs`): writes queued as the gateway shuts down
 * (the audit rows of sessions closed with reason 'shutdown') land before the pool ends.
 */
export async function settle(db: Db, quietMs = 200, maxMs = 3000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    if (db.totalCount - db.idleCount > 0 || db.waitingCount > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}
