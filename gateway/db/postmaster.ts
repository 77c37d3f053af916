// The postmaster of a data dir: who is running on it (postmaster.pid), stopping one left behind, and the
// watchdog that stops ours when the gateway dies, however it dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface PostmasterInfo {
  pid: number;
  dataDir: string;
  port: number | null;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by an init that may never reap it) answers kill 0 but is gone.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** postmaster.pid: line 1 the pid, line 2 the data dir, line 4 the port. Null when absent or unreadable. */
export function readPostmasterPid(dataDir: string): PostmasterInfo | null {
  let text: string;
  try {
    text = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return { pid, dataDir: lines[1] ?? '', port: Number.isInteger(port) && port > 0 ? port : null };
}

/** Is `pid` a live postgres process serving `dataDir` (not a recycled pid of something else)? */
export function runningPostmaster(dataDir: string): PostmasterInfo | null {
  const info = readPostmasterPid(dataDir);
  if (!info || !pidAlive(info.pid)) return null;
  if (path.resolve(info.dataDir) !== path.resolve(dataDir)) return null;
  if (process.platform === 'linux') {
    try {
      const comm = readFileSync(`/proc/${info.pid}/comm`, 'utf8').trim();
      if (comm !== 'postgres') return null;
    } catch {
      return null;
    }
  }
  return info;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await sleep(50);
  }
  return !pidAlive(pid);
}

/**
 * Stops a postmaster a previous run left on this data dir (fast shutdown, then immediate). We stop it rather
 * than adopt it: we did not start it, so its settings (socket dir, auth) and its lifetime are not ours to vouch for.
 */
export async function stopLeftoverPostmaster(dataDir: string, timeoutMs = 10_000): Promise<number | null> {
  const info = runningPostmaster(dataDir);
  if (!info) return null;
  process.kill(info.pid, 'SIGINT');
  if (await waitGone(info.pid, timeoutMs)) return info.pid;
  process.kill(info.pid, 'SIGQUIT');
  if (await waitGone(info.pid, 5000)) return info.pid;
  throw new Error(`a PostgreSQL left on ${dataDir} (pid ${info.pid}) did not stop`);
}

// Blocks reading stdin, which only the gateway holds open: EOF comes when the gateway exits, kill -9 included.
// Then it stops the postmaster, if postmaster.pid still names it (a pid is not trusted after reuse).
const WATCHDOG = `read -r _
pm="$1"; pidfile="$2/postmaster.pid"
[ -r "$pidfile" ] && [ "$(head -n 1 "$pidfile")" = "$pm" ] || exit 0
kill -INT "$pm" 2>/dev/null || exit 0
i=0
while kill -0 "$pm" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
kill -QUIT "$pm" 2>/dev/null
exit 0`;

export interface Watchdog {
  /** The postmaster was stopped by us: let the watchdog go. */
  release(): void;
}

/** A tiny detached shell that outlives the gateway by at most the time the postmaster needs to stop. */
export function startWatchdog(postmasterPid: number, dataDir: string): Watchdog {
  const child: ChildProcess = spawn('/bin/sh', ['-c', WATCHDOG, 'shouwang-pg-watchdog', String(postmasterPid), path.resolve(dataDir)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    release() {
      child.stdin?.end();
    },
  };
}
