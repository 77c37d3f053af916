// Logins per second through the HTTP API (argon2id verification dominates), two at a time on 2 cores.
import pino from 'pino';
import { benchDatabase, round } from './lib.ts';
import { composeGateway } from '../gateway/compose.ts';
import { loadConfig } from '../gateway/config/load.ts';
import { buildApp } from '../gateway/http/app.ts';
import { loadDemo, DEMO_PASSWORD } from '../gateway/demo/load-demo.ts';

export async function run() {
  const { db, close } = await benchDatabase();
  let gw: Awaited<ReturnType<typeof composeGateway>> | null = null;
  try {
    const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, auth: { loginRatePerMinute: 100_000, lockoutAttempts: 100 } } });
    gw = await composeGateway({ config, db, log: pino({ level: 'silent' }) });
    const { users } = await loadDemo(gw);
    const app = await buildApp(gw);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/auth/login`;
    const durationMs = 5000;
    let ok = 0;
    let failed = 0;
    const end = performance.now() + durationMs;
    const worker = async (w: number) => {
      for (let i = w; performance.now() < end; i += 2) {
        const u = users[i % users.length]!;
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u.username, password: DEMO_PASSWORD }) });
        if (r.status === 200) ok++;
        else failed++;
        await r.arrayBuffer();
      }
    };
    const t0 = performance.now();
    await Promise.all([worker(0), worker(1)]);
    const secs = (performance.now() - t0) / 1000;
    await app.close();
    return { per_s: round(ok / secs, 1), failed, concurrency: 2, argon2: 'argon2id m=19MiB t=2 p=1' };
  } finally {
    await gw?.close();
    await close();
  }
}
