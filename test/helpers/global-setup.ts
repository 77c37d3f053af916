// Starts one PostgreSQL for the whole run (TEST_DATABASE_URL, or an embedded server) and a migrated template database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createPool } from '../../gateway/db/pool.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { ensureRuntimeLogin } from '../../gateway/db/runtime-login.ts';
import { freePort } from './free-port.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    /** The runtime login's password (tests connect as shouwang_app like the gateway); null: SET ROLE instead. */
    pgAppPassword: string | null;
  }
}


function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stopEmbedded: (() => Promise<void>) | null = null;
  let dir: string | null = null;
  let adminUrl = process.env.TEST_DATABASE_URL;
  // The role is cluster-wide and concurrent runs share TEST_DATABASE_URL's cluster: one fixed test password.
  let appPassword = process.env.TEST_DATABASE_APP_PASSWORD ?? 'shouwang-test-runtime-login';
  if (!adminUrl) {
    const { startEmbedded } = await import('../../gateway/db/embedded.ts');
    dir = mkdtempSync(path.join(tmpdir(), 'shouwang-test-pg-'));
    const { chmodSync } = await import('node:fs');
    chmodSync(dir, 0o777); // the embedded server runs as the 'postgres' user when we are root
    const server = await startEmbedded({ dataDir: path.join(dir, 'pg'), port: await freePort() });
    adminUrl = server.url;
    appPassword = server.appPassword;
    stopEmbedded = () => server.stop();
  }
  const template = `shouwang_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  const tplPool = createPool({ url: withDb(adminUrl, template), max: 1 });
  await migrate(tplPool);
  const login = await ensureRuntimeLogin(tplPool, adminUrl, appPassword);
  await tplPool.end();
  project.provide('pgAppPassword', login.kind === 'login' ? appPassword : null);
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);

  return async () => {
    // Drop the databases this run made (the template and any test database a crashed file left behind).
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
      [template, `shouwang_t_${process.pid}_%`],
    );
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    if (stopEmbedded) await stopEmbedded();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
