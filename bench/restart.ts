// Restart after `kill -9` of the gateway (embedded database): from the kill to /readyz 200 on the next start.
// The postmaster the killed gateway left is stopped by its watchdog or at the next start (see gateway/db/postmaster.ts).
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { freePort, tempDir } from './lib.ts';
import { spawnGateway, stopGateway, waitReady, type SpawnedGateway } from '../test/helpers/spawn-gateway.ts';

export async function run() {
  const dir = tempDir('shouwang-bench-restart-');
  const live: SpawnedGateway[] = [];
  try {
    const port = await freePort();
    const env = {
      PORT: String(port), SHOUWANG_DATA_DIR: path.join(dir, 'pg'), SHOUWANG_EMBEDDED_PG_PORT: String(await freePort()),
      DATABASE_URL: '', SHOUWANG_CREDENTIAL_KEY: Buffer.alloc(32, 3).toString('base64'),
    };
    let g = spawnGateway(env);
    live.push(g);
    await waitReady(port, g);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      g.child.kill('SIGKILL');
      await g.exited;
      g = spawnGateway(env);
      live.push(g);
      await waitReady(port, g);
      times.push(performance.now() - t0);
    }
    // The same start after a clean SIGTERM, under the same load: what kill -9 recovery adds is the difference.
    const clean: number[] = [];
    for (let i = 0; i < 3; i++) {
      await stopGateway(g);
      const t0 = performance.now();
      g = spawnGateway(env);
      live.push(g);
      await waitReady(port, g);
      clean.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    clean.sort((a, b) => a - b);
    return {
      restart_after_kill9_ready_ms_median: Math.round(times[1]!),
      restart_after_kill9_ready_ms_max: Math.round(times[2]!),
      start_after_sigterm_ready_ms_median: Math.round(clean[1]!),
      runs: times.length,
      goal_ms: 5000,
      load_average_1m: Math.round(os.loadavg()[0]! * 10) / 10,
      note: 'gateway process without the tsx wrapper, embedded PostgreSQL, media off, no demo',
    };
  } finally {
    for (const g of live) await stopGateway(g);
    rmSync(dir, { recursive: true, force: true });
  }
}
