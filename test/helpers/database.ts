// Each test file gets its own database cloned from the migrated template: isolated and fast.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool, runtimeRole, type Db } from '../../gateway/db/pool.ts';
import { APP_ROLE } from '../../gateway/db/runtime-login.ts';
import { withLogin } from '../../gateway/db/secrets.ts';

export interface TestDatabase {
  name: string;
  url: string;
  /** Pool logged in as the gateway's runtime role, as the gateway's is (cannot UPDATE/DELETE audit rows). */
  db: Db;
  /** The runtime login's URL (null where the cluster does not allow one). */
  appUrl: string | null;
  /** Superuser pool, for tests that tamper on purpose. */
  superDb: Db;
  drop(): Promise<void>;
}

export function urlFor(db: string): string {
  const u = new URL(inject('pgAdminUrl'));
  u.pathname = `/${db}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('pgTemplate');
  // Same prefix the global teardown sweeps; the pid is the runner's, read from the template name.
  const runPid = template.replace('shouwang_tpl_', '');
  const name = `shouwang_t_${runPid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = urlFor(name);
  const superDb = createPool({ url, max: 3 });
  const appPassword = inject('pgAppPassword');
  const appUrl = appPassword ? withLogin(url, APP_ROLE, appPassword) : null;
  const db = appUrl ? createPool({ url: appUrl, max: 10 }) : createPool({ url, max: 10, role: await runtimeRole(superDb) });
  return {
    name,
    url,
    appUrl,
    db,
    superDb,
    async drop() {
      await db.end().catch(() => undefined);
      await superDb.end().catch(() => undefined);
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    },
  };
}
