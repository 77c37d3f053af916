// Composition root of the running gateway: config → database → components → HTTP. Only this file listens.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { loadConfig, ConfigError } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { openDatabase, type OpenedDatabase } from './db/open.ts';
import { launchers, watchLauncher } from './process/parent-watch.ts';
import { composeGateway } from './compose.ts';
import { buildApp } from './http/app.ts';
import { loadDemo, DEMO_PASSWORD } from './demo/load-demo.ts';
import { startDemoCameras } from './demo/demo-cameras.ts';
import { startMedia } from './media/start.ts';
import { startFootage } from './media/playback/start-footage.ts';

function fail(message: string): never {
  process.stderr.write(`shouwang: ${message}\n`);
  process.exit(1);
}

export async function main(): Promise<void> {
  // Who launched us, taken before anything slow: a launcher killed during start-up is noticed once we watch.
  const launcherChain = launchers();
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const log = pino({ level: config.log.level, base: { svc: 'shouwang' } });
  const started = Date.now();

  let database: OpenedDatabase | null = null;
  const stopAll = async () => {
    await database?.close();
  };
  try {
    // Migrations run as the owner; the runtime pool logs in as shouwang_app (see db/runtime-login.ts).
    database = await openDatabase(config, log);
  } catch (e) {
    fail((e as Error).message);
  }

  const gw = await composeGateway({ config, db: database.db, log });
  if (config.demo) await loadDemo(gw);
  const demoSim = config.demo ? await startDemoCameras(gw) : null;
  if (config.cameras.healthEnabled) gw.health.start();
  const https = config.http.tlsCert && config.http.tlsKey
    ? { cert: readFileSync(config.http.tlsCert), key: readFileSync(config.http.tlsKey) }
    : null;
  const media = config.media.enabled ? await startMedia(gw) : null;
  // Playback and exports share the media runtime's one session registry, so one revocation closes them all.
  const footage = startFootage(gw, media ? { sessions: media.sessions } : {});
  const app = await buildApp(gw, { logger: log, https, plugins: [...(media ? [media.routes] : []), footage.routes] });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    // In order: stop accepting; close viewer sessions (audited with reason 'shutdown') while the database is up;
    // then HTTP, the components, and the database last.
    app.server.close();
    await media?.close().catch((err: unknown) => log.warn({ err }, 'closing media failed'));
    await footage.close().catch((err: unknown) => log.warn({ err }, 'closing playback and exports failed'));
    await app.close().catch(() => undefined);
    await gw.close();
    await demoSim?.close().catch(() => undefined);
    await stopAll();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  watchLauncher(() => void shutdown('launcher_exited'), 500, launcherChain);

  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    await media?.close().catch(() => undefined);
    await footage.close().catch(() => undefined);
    await gw.close();
    await stopAll();
    fail(code === 'EADDRINUSE' ? `port ${config.http.port} on ${config.http.host} is already in use` : (e as Error).message);
  }
  const scheme = https ? 'https' : 'http';
  log.info({ ms: Date.now() - started }, `Shouwang ready on ${scheme}://${config.http.host}:${config.http.port} (API docs at /api/docs)`);
  if (config.demo) {
    process.stdout.write(
      `\nDemo mode: every demo user's password is "${DEMO_PASSWORD}". Try shouzhang.officer, chengguan.duty, ` +
        `lize-xijie.committee, lize-xijie.owner, shouzhang.auditor, admin (all users: config/demo/users.json).\n\n`,
    );
  }
}

main().catch((e) => fail((e as Error).message));
