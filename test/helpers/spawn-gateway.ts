// A real gateway process (as `npm start` runs it, without the tsx wrapper process, so a signal reaches the gateway
// itself), for tests and benches of start, kill -9 and SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

export interface SpawnedGateway {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `viaTsx`: exactly as `npm start` runs it, under the tsx wrapper process (signals go to the wrapper). */
export function spawnGateway(env: Record<string, string>, opts: { viaTsx?: boolean } = {}): SpawnedGateway {
  const [cmd, args] = opts.viaTsx
    ? [path.join(root, 'node_modules/.bin/tsx'), ['gateway/main.ts']]
    : [process.execPath, ['--import', 'tsx', 'gateway/main.ts']];
  const child = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', SHOUWANG_DEMO: 'false', SHOUWANG_MEDIA: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, output: () => out, exited };
}

/** Polls /readyz until 200; returns the milliseconds it took, or throws with the gateway's output. */
export async function waitReady(port: number, g: SpawnedGateway, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  let exited = false;
  void g.exited.then(() => (exited = true));
  while (Date.now() - t0 < timeoutMs && !exited) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) return Date.now() - t0;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gateway not ready after ${Date.now() - t0} ms (exited: ${exited}): ${g.output().slice(-2000)}`);
}

/** Stops a spawned gateway for good (test clean-up): SIGTERM, wait, SIGKILL. */
export async function stopGateway(g: SpawnedGateway): Promise<void> {
  if (g.child.exitCode !== null || g.child.signalCode !== null) return;
  g.child.kill('SIGTERM');
  const done = await Promise.race([g.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
  if (!done) {
    g.child.kill('SIGKILL');
    await g.exited;
  }
}
