// Two gateway processes (two composeGateway instances, each with its own pool and pg bus) on one database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { connectEvents } from './helpers/ws.ts';
import { composeGateway, type Gateway } from '../gateway/compose.ts';
import { buildApp } from '../gateway/http/app.ts';
import { createPool, runtimeRole, type Db } from '../gateway/db/pool.ts';
import type { RevocationNotice } from '../gateway/access/runtime.ts';

let a: TestGateway;
let b: Gateway;
let bApp: FastifyInstance;
let bPool: Db;
let cam = '';
const HOUR = 3_600_000;
const now = Date.now();
const night = { from: new Date(now - 6 * HOUR).toISOString(), to: new Date(now - 4 * HOUR).toISOString() };
const footage = { from: new Date(now - 5.5 * HOUR), to: new Date(now - 5 * HOUR) };
const tokens: Record<string, string> = {};
let caseSeq = 0;

async function api(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await a.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload !== undefined && { payload: payload as object }) });
  return { status: r.statusCode, body: r.body ? r.json() : null };
}

/** An approved grant and a play token for it, both made on process A. */
async function grantAndToken(): Promise<{ grantId: string; token: string }> {
  const g = (await api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cam], caseNo: `YG-XP-${++caseSeq}`, reason: 'x', actions: ['playback'], footage: night })).body.grants[0].grant;
  expect((await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, {})).status).toBe(200);
  const tok = await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: cam, action: 'playback', grantId: g.id, footage: { from: footage.from.toISOString(), to: footage.to.toISOString() } });
  expect(tok.status).toBe(201);
  return { grantId: g.id, token: tok.body.token };
}
const onB = (token: string) => b.access.authorizePlay({ token, cameraId: cam, action: 'playback', footage });

/** Polls B until it refuses; returns how long that took. */
async function refusedOnBWithin(token: string, limitMs: number): Promise<{ ms: number; code: string }> {
  const start = performance.now();
  for (;;) {
    try {
      await onB(token);
    } catch (e) {
      return { ms: performance.now() - start, code: (e as { code: string }).code };
    }
    if (performance.now() - start > limitMs) throw new Error(`B still accepts the token after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  a = await testGateway();
  bPool = createPool({ url: a.tdb.url, max: 5, role: await runtimeRole(a.tdb.superDb) });
  b = await composeGateway({ config: a.config, db: bPool, log: pino({ level: 'silent' }) });
  bApp = await buildApp(b);
  await bApp.ready();
  cam = await insertTestCamera(a.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872 });
  for (const u of ['shouzhang.investigator', 'chengguan.duty']) tokens[u] = await a.login(u);
});
afterAll(async () => {
  await bApp?.close();
  await b?.close();
  await bPool?.end();
  await a?.close();
});

describe('cross-process', () => {
  it('both processes share the signing keys: B verifies what A issued', async () => {
    expect(b.access.keyRing.activeKid).toBe(a.gw.access.keyRing.activeKid);
    const { grantId, token } = await grantAndToken();
    expect((await onB(token)).grantId).toBe(grantId);
  });

  it('revoke on A → B refuses within 1 s, B tells its open sessions, and B pushes the revocation to its ws users', async () => {
    const { grantId, token } = await grantAndToken();
    expect((await onB(token)).grantId).toBe(grantId); // warms B's caches: the refusal must come from the bus
    const notices: RevocationNotice[] = [];
    const off = b.access.onRevocation((n) => notices.push(n));
    const ws = await connectEvents(bApp, tokens['shouzhang.investigator']!);
    expect((await api('chengguan.duty', 'POST', `/grants/${grantId}/revoke`, { reason: 'wrong case' })).status).toBe(200);
    const { ms, code } = await refusedOnBWithin(token, 1000);
    expect(code).toBe('grant_revoked');
    expect(ms).toBeLessThan(1000);
    expect(notices.some((n) => n.reason === 'grant_revoked' && n.grantIds?.includes(grantId))).toBe(true);
    expect((await ws.next((m) => m.type === 'grant.revoked')).payload.grantId).toBe(grantId);
    off();
    ws.close();
  });

  it('logout on A → B refuses that session’s play tokens', async () => {
    const session = await a.login('shouzhang.investigator');
    const saved = tokens['shouzhang.investigator'];
    tokens['shouzhang.investigator'] = session;
    const { token } = await grantAndToken();
    expect((await onB(token)).userId).toBeTruthy();
    await api('shouzhang.investigator', 'POST', '/auth/logout');
    tokens['shouzhang.investigator'] = saved!;
    // A token issued in the same second as the logout counts as before it.
    expect((await refusedOnBWithin(token, 1000)).code).toBe('access_denied');
  });

  it('after B loses its LISTEN connection it reconnects, resyncs, and still learns of revocations', async () => {
    const { grantId, token } = await grantAndToken();
    b.bus.simulateDisconnect();
    expect(b.bus.connected).toBe(false);
    expect((await api('chengguan.duty', 'POST', `/grants/${grantId}/revoke`, { reason: 'during an outage' })).status).toBe(200);
    for (let i = 0; i < 100 && !b.bus.connected; i++) await new Promise((r) => setTimeout(r, 20));
    expect(b.bus.connected).toBe(true);
    for (let i = 0; i < 100 && !b.access.revocations.isGrantRevoked(grantId); i++) await new Promise((r) => setTimeout(r, 20));
    expect(b.access.revocations.isGrantRevoked(grantId)).toBe(true);
    expect((await refusedOnBWithin(token, 1000)).code).toBe('grant_revoked');
  });

  it('the expiry sweeper runs in both processes without expiring a grant twice', async () => {
    const { grantId } = await grantAndToken();
    await a.tdb.superDb.query(`UPDATE grants SET expires_at = now() - interval '1 second' WHERE id = $1`, [grantId]);
    const [na, nb] = await Promise.all([a.gw.grants.expireDue(), b.grants.expireDue()]);
    expect(na + nb).toBe(1);
    const rows = await a.gw.repos.audit.query({ grantId, action: 'grant.expire' });
    expect(rows).toHaveLength(1);
  });
});
