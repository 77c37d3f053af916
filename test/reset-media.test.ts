// Issue 8 §3 with video: an admin's password reset cuts the user's open live stream at once, and the old play token
// and session are refused afterwards.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';
import { watchFlv } from './helpers/flv-viewer.ts';

let t: TestGateway;
let sim: Simulator;
const tokens: Record<string, string> = {};
let cameraId = '';

async function api(user: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.body ? r.json() : null };
}

const watch = (path: string, limitMs: number) => watchFlv(`${t.baseUrl}${path}`, limitMs);

beforeAll(async () => {
  t = await testGateway({ media: true });
  sim = await startSimulator({ cameras: [{ id: 'gate' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
  for (const u of ['shouzhang.officer', 'admin']) tokens[u] = await t.login(u);
  const c = sim.cameras[0]!;
  const r = await api('shouzhang.officer', 'POST', '/cameras', { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.952, lon: 115.884, name: 'station gate', mediaPorts: [c.rtspPort] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  cameraId = r.body.id;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('password reset with open video', () => {
  it('closes the open stream within seconds; the old play token and the old session are refused', async () => {
    const tok = await api('shouzhang.officer', 'POST', '/play-tokens', { cameraId, action: 'live' });
    expect(tok.status).toBe(201);
    const v = watch(`/media/live/${cameraId}.flv?token=${tok.body.token}`, 20_000);
    for (let i = 0; i < 100 && v.bytes < 10_000; i++) await new Promise((r) => setTimeout(r, 100));
    expect(v.bytes).toBeGreaterThan(10_000);
    const officerId = (await t.gw.repos.users.byUsername('shouzhang.officer'))!.id;
    const t0 = Date.now();
    const reset = await api('admin', 'PUT', `/users/${officerId}/password`, { password: 'a-fresh-password-26' });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    await v.done;
    expect(v.closedAt! - t0).toBeLessThan(3000);
    const again = watch(`/media/live/${cameraId}.flv?token=${tok.body.token}`, 3000);
    await again.done;
    expect(again.status).toBeGreaterThanOrEqual(401);
    expect(again.bytes).toBeLessThan(300);
    expect((await api('shouzhang.officer', 'GET', '/me')).status).toBe(401);
  });
});
