// The embedded PostgreSQL: private to this gateway (per-data-dir secret, SCRAM only, 127.0.0.1 and a 0700 socket
// directory), supervised (restarted with backoff if it dies) and never orphaned (a watchdog stops it when we die).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, accessSync, constants } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import { blockedForPostgres, embeddedBinDir, postgresIds } from './postgres-user-access.ts';
import { ensureSecret, newSecret, readSecret, scramVerifier, secretFile, writeSecret } from './secrets.ts';
import { pidAlive, runningPostmaster, startWatchdog, stopLeftoverPostmaster, type Watchdog } from './postmaster.ts';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
  /** Supervision events: the server died, was restarted, or a leftover was stopped. */
  onEvent?: (e: { kind: 'exited' | 'restarted' | 'restart_failed' | 'leftover_stopped' | 'migrated_legacy_password'; detail: string }) => void;
}

export interface EmbeddedServer {
  /** Superuser (owner) URL over 127.0.0.1; holds the secret: never log it. */
  url: string;
  /** The generated password of the runtime login `shouwang_app` (applied after migrations, see runtime-login.ts). */
  appPassword: string;
  /** Is the postmaster up right now (false while the supervisor restarts it)? */
  readonly running: boolean;
  /** Test and bench hook: the postmaster's pid. */
  readonly pid: number | null;
  stop(): Promise<void>;
}

export class EmbeddedStartError extends Error {
  override name = 'EmbeddedStartError';
}

const USER = 'postgres';

/** One gateway per data dir: a second start refuses rather than sharing (or corrupting) it. */
function takeLock(lockFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) unlinkSync(lockFile);
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

/** The pid in the data dir's lock file, if that process is alive (a running gateway). */
export function lockHolder(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(`${path.resolve(dataDir)}.lock`, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

interface Bin {
  initdb: string;
  postgres: string;
}

function binaries(): Bin {
  const dir = embeddedBinDir();
  if (!dir || !existsSync(path.join(dir, 'postgres'))) {
    throw new EmbeddedStartError('the embedded PostgreSQL binaries are not installed for this platform; set DATABASE_URL');
  }
  return { initdb: path.join(dir, 'initdb'), postgres: path.join(dir, 'postgres') };
}

/** As root, postgres runs as the 'postgres' system user (created if missing); otherwise as us. */
function runAs(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  let ids = postgresIds();
  if (!ids) {
    try {
      execFileSync('groupadd', ['postgres'], { stdio: 'ignore' });
    } catch {
      /* group may exist */
    }
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
    ids = postgresIds();
  }
  if (!ids) throw new EmbeddedStartError("could not find or create the 'postgres' system user to run PostgreSQL as");
  return ids;
}

function own(p: string, ids: { uid: number; gid: number } | null): void {
  if (ids) chownSync(p, ids.uid, ids.gid);
}

/** Runs a binary as the postgres user, stdin from `input`; rejects with the tail of its output. */
function run(cmd: string, args: string[], ids: { uid: number; gid: number } | null, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...(ids ?? {}), stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} failed (${code}): ${out.trim().split('\n').slice(-3).join(' | ')}`))));
    child.stdin.end(input);
  });
}

async function initdb(bin: Bin, dataDir: string, password: string, ids: { uid: number; gid: number } | null): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  own(dataDir, ids);
  // initdb reads the password from a file the postgres user can read: a 0700 directory of its own, removed at once.
  const tmp = mkdtempSync(path.join(path.dirname(dataDir), '.pginit-'));
  try {
    chmodSync(tmp, 0o700);
    own(tmp, ids);
    const pwfile = path.join(tmp, 'pw');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    own(pwfile, ids);
    await run(bin.initdb, [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], ids);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Password logins only (SCRAM), on the private socket and 127.0.0.1; rewritten at every start. */
function writeHba(dataDir: string, ids: { uid: number; gid: number } | null): void {
  const file = path.join(dataDir, 'pg_hba.conf');
  writeFileSync(
    file,
    '# Written by Shouwang at every start: SCRAM password logins only, on the private socket and 127.0.0.1.\n' +
      'local  all  all                scram-sha-256\n' +
      'host   all  all  127.0.0.1/32  scram-sha-256\n',
    { mode: 0o600 },
  );
  chmodSync(file, 0o600);
  own(file, ids);
}

/** The socket goes in the data dir itself (0700, the postgres user's), unless that path is too long for a socket. */
function socketDir(dataDir: string): string {
  if (dataDir.length + 20 < 100) return dataDir;
  const dir = path.join('/tmp', `shouwang-pg-${Buffer.from(dataDir).toString('base64url').slice(-24)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Replaces the superuser's password in single-user mode: no server listens while the old password still works. */
async function setSuperuserPassword(bin: Bin, dataDir: string, password: string, ids: { uid: number; gid: number } | null): Promise<void> {
  const out = await run(bin.postgres, ['--single', '-D', dataDir, '-c', 'exit_on_error=true', '-c', 'listen_addresses=', 'postgres'], ids,
    `ALTER ROLE ${USER} WITH PASSWORD '${scramVerifier(password)}'\n`);
  if (/\bERROR:/.test(out)) throw new Error(`could not set the database password: ${out.trim().split('\n').slice(-2).join(' | ')}`);
}

function startPostmaster(bin: Bin, dataDir: string, port: number, ids: { uid: number; gid: number } | null, log: (l: string) => void): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const sock = socketDir(dataDir);
    if (sock !== dataDir) {
      own(sock, ids);
      chmodSync(sock, 0o700);
    }
    const child = spawn(bin.postgres, [
      '-D', dataDir, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${sock}`,
      '-c', 'unix_socket_permissions=0700',
      '-c', 'password_encryption=scram-sha-256',
      '-c', 'max_connections=200',
      '-c', 'fsync=on',
    ], {
      ...(ids ?? {}),
      // Its own process group: a terminal's Ctrl-C reaches the gateway, which stops the database last, in order.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let buf = '';
    let tail: string[] = [];
    let ready = false;
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        log(line);
        tail = [...tail.slice(-4), line];
        if (!ready && line.includes('ready to accept connections')) {
          ready = true;
          resolve(child);
        }
      }
    });
    child.on('error', (e) => {
      if (!ready) reject(e);
    });
    child.on('exit', (code, signal) => {
      if (!ready) reject(new Error(`postgres exited during start-up (${signal ?? code}): ${tail.filter(Boolean).slice(-2).join(' | ') || 'no output'}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const event = opts.onEvent ?? (() => undefined);
  let child: ChildProcess | null = null;
  let watchdog: Watchdog | null = null;
  let superPassword: string;
  let appPassword: string;
  let bin: Bin;
  let ids: { uid: number; gid: number } | null;
  try {
    bin = binaries();
    ids = runAs();
    // A postmaster a killed gateway left on this data dir (its watchdog may still be stopping it).
    const leftover = await stopLeftoverPostmaster(dataDir);
    if (leftover) event({ kind: 'leftover_stopped', detail: `stopped a PostgreSQL left running on ${dataDir} (pid ${leftover})` });
    const superFile = secretFile(dataDir, 'superuser');
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      superPassword = newSecret();
      await initdb(bin, dataDir, superPassword, ids);
      writeSecret(superFile, superPassword);
    } else if (!readSecret(superFile)) {
      // Made with the old fixed password: a new secret, set while nothing listens; stored only once it is set.
      superPassword = newSecret();
      await setSuperuserPassword(bin, dataDir, superPassword, ids);
      writeSecret(superFile, superPassword);
      event({ kind: 'migrated_legacy_password', detail: `replaced the fixed password of ${dataDir} with a generated secret` });
    } else {
      superPassword = readSecret(superFile)!;
    }
    appPassword = ensureSecret(secretFile(dataDir, 'app'));
    writeHba(dataDir, ids);
    child = await startWithRetries(() => startPostmaster(bin, dataDir, opts.port, ids, log), 3);
    watchdog = startWatchdog(child.pid!, dataDir);
  } catch (e) {
    release();
    const msg = e instanceof Error ? e.message : String(e);
    throw new EmbeddedStartError(`embedded PostgreSQL did not start on 127.0.0.1:${opts.port}: ${msg}`);
  }

  let stopping = false;
  let backoff = 250;
  let restartTimer: NodeJS.Timeout | null = null;
  // Supervision: a postmaster that dies under us is restarted with backoff; requests meanwhile get 503.
  const supervise = (c: ChildProcess) => {
    c.once('exit', (code, signal) => {
      if (child === c) child = null;
      watchdog?.release();
      watchdog = null;
      if (stopping) return;
      event({ kind: 'exited', detail: `embedded PostgreSQL exited (${signal ?? code}); restarting` });
      const attempt = () => {
        restartTimer = null;
        if (stopping) return;
        startPostmaster(bin, dataDir, opts.port, ids, log).then(
          (next) => {
            if (stopping) {
              next.kill('SIGINT');
              return;
            }
            child = next;
            watchdog = startWatchdog(next.pid!, dataDir);
            backoff = 250;
            supervise(next);
            event({ kind: 'restarted', detail: `embedded PostgreSQL restarted (pid ${next.pid})` });
          },
          (err: unknown) => {
            event({ kind: 'restart_failed', detail: (err as Error).message });
            backoff = Math.min(backoff * 2, 5000);
            restartTimer = setTimeout(attempt, backoff);
          },
        );
      };
      restartTimer = setTimeout(attempt, backoff);
    });
  };
  supervise(child);

  return {
    url: `postgres://${USER}:${encodeURIComponent(superPassword)}@127.0.0.1:${opts.port}/postgres`,
    appPassword,
    get running() {
      return child !== null;
    },
    get pid() {
      return child?.pid ?? null;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      try {
        const c = child;
        if (c && c.exitCode === null && c.signalCode === null) {
          const exited = new Promise<void>((r) => c.once('exit', () => r()));
          c.kill('SIGINT'); // fast shutdown: open sessions are rolled back, data is flushed
          const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
          if (!done) {
            c.kill('SIGQUIT');
            await Promise.race([exited, sleep(5000)]);
          }
        }
        // A start that raced this stop may have left one behind.
        await stopLeftoverPostmaster(dataDir).catch(() => undefined);
      } finally {
        watchdog?.release();
        watchdog = null;
        release();
      }
    },
  };
}

/** Right after a crash the old postmaster's backends may still hold shared memory for a moment: retry briefly. */
async function startWithRetries(start: () => Promise<ChildProcess>, attempts: number): Promise<ChildProcess> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start();
    } catch (e) {
      last = e;
      await sleep(300 * (i + 1));
    }
  }
  throw last;
}

/** Port of the postmaster running on `dataDir`, if one is (for tools that attach to a running gateway's database). */
export function runningPort(dataDir: string): number | null {
  return runningPostmaster(path.resolve(dataDir))?.port ?? null;
}
