// `npm start` → /readyz 200, with an empty (cold) and a used (warm) embedded data dir.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { freePort, tempDir } from './lib.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

async function startOnce(dataDir: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['gateway/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), SHOUWANG_DATA_DIR: dataDir, SHOUWANG_EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; i < 1200; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (r.status === 200) return performance.now() - t0;
      } catch {
        /* not listening yet */
      }
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('gateway not ready within 30 s');
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export async function run() {
  const dir = tempDir('shouwang-bench-start-');
  try {
    const dataDir = path.join(dir, 'pg');
    const cold = await startOnce(dataDir);
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) warm.push(await startOnce(dataDir));
    warm.sort((a, b) => a - b);
    return { cold_ready_ms: Math.round(cold), warm_ready_ms: Math.round(warm[1]!), warm_goal_ms: 5000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
