// `npm start` runs the gateway under the tsx wrapper process: if the wrapper is killed (kill -9 of the pid a
// user sees), the gateway would run on as an orphan holding the data dir. Notice and shut down in order instead.
import { readFileSync } from 'node:fs';

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Calls `onOrphaned` once if our parent was a tsx wrapper and has gone. Returns the stop function. */
export function watchLauncher(onOrphaned: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  if (process.platform !== 'linux' || parent <= 1 || !/\btsx\b/.test(cmdline(parent))) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
