// Opening the database for the gateway (owner for migrations, restricted login for the runtime pool) and for
// command-line tools (which attach to a running gateway's embedded server instead of starting a second one).
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { createPool, settle, type Db } from './pool.ts';
import { migrate } from './migrate.ts';
import { waitForDatabase } from './connect.ts';
import { startEmbedded, lockHolder, runningPort, type EmbeddedServer } from './embedded.ts';
import { ensureRuntimeLogin } from './runtime-login.ts';
import { ensureSecret, readSecret, secretFile } from './secrets.ts';

export interface OpenedDatabase {
  /** The runtime pool: logged in as shouwang_app where possible. */
  db: Db;
  embedded: EmbeddedServer | null;
  /** Ends the pool, then stops the embedded server. */
  close(): Promise<void>;
}

/** External database: the app password lives beside the data dir too, one file per server and database. */
function externalAppSecretFile(config: Config): string {
  const u = new URL(config.database.url!);
  const id = createHash('sha256').update(`${u.hostname}:${u.port}${u.pathname}`).digest('hex').slice(0, 12);
  return secretFile(config.database.dataDir, `app-${id}`);
}

export async function openDatabase(config: Config, log: Logger): Promise<OpenedDatabase> {
  let embedded: EmbeddedServer | null = null;
  let ownerUrl: string;
  if (config.database.url) {
    await waitForDatabase(config.database.url, config.database.connectTimeoutMs);
    ownerUrl = config.database.url;
  } else {
    embedded = await startEmbedded({
      dataDir: config.database.dataDir,
      port: config.database.embeddedPort,
      onLog: (line) => log.debug({ pg: line }, 'embedded postgres'),
      onEvent: (e) => (e.kind === 'exited' || e.kind === 'restart_failed' ? log.warn(e.detail) : log.info(e.detail)),
    });
    ownerUrl = embedded.url;
  }
  let db: Db | null = null;
  try {
    const admin = createPool({ url: ownerUrl, max: 2, applicationName: 'shouwang-migrate' });
    try {
      const { applied } = await migrate(admin);
      if (applied.length) log.info({ applied }, 'migrations applied');
      const max = config.database.poolSize;
      if (config.database.appUrl) {
        await waitForDatabase(config.database.appUrl, config.database.connectTimeoutMs);
        db = createPool({ url: config.database.appUrl, max });
      } else {
        const password = embedded ? embedded.appPassword : ensureSecret(externalAppSecretFile(config));
        // Embedded: ours alone (one gateway per data dir). External: other processes may share the login.
        const login = await ensureRuntimeLogin(admin, ownerUrl, password, log, { takeOver: embedded !== null });
        db =
          login.kind === 'login' ? createPool({ url: login.url, max })
          : login.kind === 'set_role' ? createPool({ url: ownerUrl, max, role: login.role })
          : createPool({ url: ownerUrl, max });
      }
    } finally {
      await admin.end();
    }
  } catch (e) {
    await embedded?.stop().catch(() => undefined);
    throw e;
  }
  const pool = db;
  return {
    db: pool,
    embedded,
    async close() {
      await settle(pool);
      await pool.end().catch(() => undefined);
      await embedded?.stop().catch(() => undefined);
    },
  };
}

/**
 * The owner URL for a command-line tool. With the embedded database: the running gateway's server if there is
 * one (its port from postmaster.pid, its stored secret), else an embedded server of our own, stopped by `close`.
 */
export async function openDatabaseForTool(config: Config): Promise<{ url: string; close(): Promise<void> }> {
  if (config.database.url) return { url: config.database.url, close: async () => undefined };
  const dataDir = path.resolve(config.database.dataDir);
  const port = lockHolder(dataDir) !== null ? runningPort(dataDir) : null;
  const secret = readSecret(secretFile(dataDir, 'superuser'));
  if (port !== null && secret) {
    const url = `postgres://postgres:${encodeURIComponent(secret)}@127.0.0.1:${port}/postgres`;
    await waitForDatabase(url, 10_000);
    return { url, close: async () => undefined };
  }
  const server = await startEmbedded({ dataDir, port: config.database.embeddedPort });
  return { url: server.url, close: () => server.stop() };
}
