// End-to-end grant figures over a real database: approval → requester can play (API + ws), and
// revocation on gateway process A → refusal on process B. Used by bench/policy.ts.
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { benchDatabase, percentile, round } from '../lib.ts';
import { loadConfig } from '../../gateway/config/load.ts';
import { composeGateway, type Gateway } from '../../gateway/compose.ts';
import { buildApp } from '../../gateway/http/app.ts';
import { createPool, runtimeRole } from '../../gateway/db/pool.ts';
import { loadDemo, DEMO_PASSWORD } from '../../gateway/demo/load-demo.ts';
import { insertTestCamera } from '../../test/helpers/cameras.ts';
import { connectEvents } from '../../test/helpers/ws.ts';

const HOUR = 3_600_000;

export interface GrantFigures {
  approval_to_play_ms: number;
  approval_to_play_p99_ms: number;
  approvals: number;
  cross_process_revoke_ms_p50: number;
  cross_process_revoke_ms_p99: number;
  revokes: number;
}

export async function runGrantFigures(opts: { approvals?: number; revokes?: number } = {}): Promise<GrantFigures> {
  const nApprovals = opts.approvals ?? 20;
  const nRevokes = opts.revokes ?? 50;
  const bench = await benchDatabase();
  const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, log: { level: 'silent' } } });
  const log = pino({ level: 'silent' });
  const a = await composeGateway({ config, db: bench.db, log });
  const bPool = createPool({ url: bench.url, max: 5, role: await runtimeRole(bench.db) });
  let b: Gateway | null = null;
  let app: FastifyInstance | null = null;
  try {
    await loadDemo(a);
    b = await composeGateway({ config, db: bPool, log });
    app = await buildApp(a);
    await app.ready();
    const login = async (username: string) =>
      (app!.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: DEMO_PASSWORD } })).then((r) => (r.json() as { token: string }).token);
    const inv = await login('shouzhang.investigator');
    const duty = await login('chengguan.duty');
    const call = async (token: string, url: string, payload: object) => {
      const r = await app!.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, payload });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
      return r.json() as Record<string, any>;
    };
    const cams: string[] = [];
    for (let i = 0; i < 4; i++) cams.push(await insertTestCamera(a, { stationCode: '41092701', ownerClass: 'police', lat: 35.955 + i * 0.001, lon: 115.872 }));
    const now = Date.now();
    const night = { from: new Date(now - 6 * HOUR).toISOString(), to: new Date(now - 4 * HOUR).toISOString() };
    const footage = { from: new Date(now - 5.5 * HOUR), to: new Date(now - 5 * HOUR) };
    const footageIn = { from: footage.from.toISOString(), to: footage.to.toISOString() };
    let seq = 0;
    const newRequest = async () =>
      (await call(inv, '/grants', { cameraIds: cams, caseNo: `BENCH-${++seq}`, reason: 'bench', actions: ['playback'], footage: night })).grants[0].grant.id as string;

    // Approval → the requester's socket hears it → play token → the media edge's check passes.
    const ws = await connectEvents(app, inv);
    const approval: number[] = [];
    for (let i = 0; i < nApprovals + 2; i++) {
      const id = await newRequest();
      const t0 = performance.now();
      await call(duty, `/grants/${id}/approve`, {});
      await ws.next((m) => m.type === 'grant.decided' && m.payload.grantId === id, 5000);
      const tok = await call(inv, '/play-tokens', { cameraId: cams[0], action: 'playback', grantId: id, footage: footageIn });
      await a.access.authorizePlay({ token: tok.token, cameraId: cams[0]!, action: 'playback', footage });
      if (i >= 2) approval.push(performance.now() - t0); // first two warm up JIT and pools
    }
    ws.close();

    // Revocation on A → B refuses (B's caches warm, so the refusal comes over LISTEN/NOTIFY).
    const dutyUser = (await a.repos.users.byUsername('chengguan.duty'))!;
    const revoke: number[] = [];
    for (let i = 0; i < nRevokes + 2; i++) {
      const id = await newRequest();
      await call(duty, `/grants/${id}/approve`, {});
      const tok = await call(inv, '/play-tokens', { cameraId: cams[0], action: 'playback', grantId: id, footage: footageIn });
      await b.access.authorizePlay({ token: tok.token, cameraId: cams[0]!, action: 'playback', footage });
      const t0 = performance.now();
      await a.grants.revoke(dutyUser, id, 'bench');
      for (;;) {
        try {
          await b.access.authorizePlay({ token: tok.token, cameraId: cams[0]!, action: 'playback', footage });
        } catch {
          break;
        }
        if (performance.now() - t0 > 10_000) throw new Error('B never refused the revoked token');
        await new Promise((r) => setImmediate(r));
      }
      if (i >= 2) revoke.push(performance.now() - t0);
    }
    approval.sort((x, y) => x - y);
    revoke.sort((x, y) => x - y);
    return {
      approval_to_play_ms: round(percentile(approval, 50)),
      approval_to_play_p99_ms: round(percentile(approval, 99)),
      approvals: approval.length,
      cross_process_revoke_ms_p50: round(percentile(revoke, 50)),
      cross_process_revoke_ms_p99: round(percentile(revoke, 99)),
      revokes: revoke.length,
    };
  } finally {
    await app?.close();
    await b?.close();
    await a.close();
    await bPool.end();
    await bench.close();
  }
}
