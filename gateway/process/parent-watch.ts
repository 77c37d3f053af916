// `npm start` runs the gateway as npm → sh → tsx wrapper → gateway. If any of the launchers is killed (kill -9 of
// the pid a user sees: npm's or the wrapper's), the gateway would run on as an orphan holding the port and the
// data dir, and the next `npm start` would fail. Notice and shut down in order instead.
import { readFileSync } from 'node:fs';

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** ppid and start time (clock ticks since boot) of a live process; null when it is gone (or a zombie). */
function stat(pid: number): { ppid: number; start: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // after "pid (comm) " come: state ppid ... field 22 is starttime; comm may hold spaces and parentheses
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return null;
    return { ppid: Number(rest[1]), start: rest[19] ?? '' };
  } catch {
    return null;
  }
}

const LAUNCHER = /\btsx\b|\bnpm\b|npm-cli\.js|^(\/\S*\/)?(ba|da)?sh -c /;
const MAX_DEPTH = 5;

/**
 * The launchers above us, nearest first, up to and including npm: each with its start time so a reused pid is
 * not mistaken for the launcher. Empty when we were not started by tsx (a test, systemd, plain node).
 */
export function launchers(from = process.ppid): Array<{ pid: number; start: string }> {
  const chain: Array<{ pid: number; start: string }> = [];
  let pid = from;
  for (let depth = 0; depth < MAX_DEPTH && pid > 1; depth++) {
    const cmd = cmdline(pid);
    const st = stat(pid);
    if (!st || !LAUNCHER.test(cmd)) break;
    chain.push({ pid, start: st.start });
    if (/\bnpm\b|npm-cli\.js/.test(cmd)) break;
    pid = st.ppid;
  }
  return chain.length > 0 && /\btsx\b/.test(cmdline(chain[0]!.pid)) ? chain : [];
}

/**
 * Calls `onOrphaned` once when a launcher of `chain` has gone. Take the chain at the very start of the process and
 * watch it once ready: a launcher killed in between is noticed at the first check. Returns the stop function.
 */
export function watchLauncher(onOrphaned: () => void, intervalMs = 500, chain = launchers()): () => void {
  if (process.platform !== 'linux' || chain.length === 0) return () => undefined;
  const timer = setInterval(() => {
    if (chain.every((l) => stat(l.pid)?.start === l.start)) return;
    clearInterval(timer);
    onOrphaned();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
