import pg from 'pg';

/** Waits for a server to accept connections, with backoff, for at most `timeoutMs`; then one-line error. */
export async function waitForDatabase(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 200;
  let last = '';
  for (let attempt = 1; ; attempt++) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.min(5000, timeoutMs) });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (e) {
      await c.end().catch(() => undefined);
      last = (e as Error).message || (e as NodeJS.ErrnoException).code || 'connection failed';
    }
    if (Date.now() + delay > deadline) {
      throw new Error(`database at ${redact(url)} is unreachable after ${attempt} attempts in ${Math.round(timeoutMs / 1000)} s: ${last}`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
