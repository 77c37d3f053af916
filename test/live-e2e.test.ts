// Scenario 4 with video: a partner station's investigator watches a Shouzhang camera under a grant; revocation cuts the stream.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';
import { locateFfprobe, runToCompletion } from '../camera-adapters/ffmpeg/index.ts';
import { verifyAuditChain } from '../gateway/audit/verify.ts';
import { watchFlv } from './helpers/flv-viewer.ts';

let t: TestGateway;
let sim: Simulator;
const tokens: Record<string, string> = {};
let cameraId = '';

async function api(user: string, method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.body ? r.json() : null };
}

const watch = (path: string, limitMs: number) => watchFlv(`${t.baseUrl}${path}`, limitMs);

beforeAll(async () => {
  sim = await startSimulator({ cameras: [{ id: 'bridge' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
  // the simulator's RTSP port is random: it is this test's media-port allow-list
  t = await testGateway({ media: true, overrides: { cameras: { mediaPorts: [sim.cameras[0]!.rtspPort] } } });
  for (const u of ['shouzhang.officer', 'chengguan.investigator', 'shouzhang.duty', 'shouzhang.auditor', 'admin', 'shouzhang.investigator']) tokens[u] = await t.login(u);
  const c = sim.cameras[0]!;
  const r = await api('shouzhang.officer', 'POST', '/cameras', { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.952, lon: 115.884, name: 'G220 bridge', mediaPorts: [c.rtspPort] });
  expect(r.status).toBe(201);
  cameraId = r.body.id;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('live video through the authorising edge', () => {
  it('an officer of the owning station plays decodable H.264 with a play token', async () => {
    const tok = await api('shouzhang.officer', 'POST', '/play-tokens', { cameraId, action: 'live' });
    expect(tok.status).toBe(201);
    const r = await runToCompletion(
      locateFfprobe(),
      ['-v', 'error', '-probesize', '32768', '-analyzeduration', '500000', '-show_streams', '-of', 'json', `${t.baseUrl}/media/live/${cameraId}.flv?token=${tok.body.token}`],
      { timeoutMs: 30_000 },
    );
    const streams = JSON.parse(r.stdout.toString() || '{"streams":[]}').streams as Array<{ codec_name: string; width: number }>;
    expect(streams.find((s) => s.codec_name === 'h264')?.width).toBe(1280);
  });

  it('a stream URL re-aimed at another port is refused at pull time with a generic answer (detail only in the log)', async () => {
    const tok = await api('shouzhang.officer', 'POST', '/play-tokens', { cameraId, action: 'live' });
    const before = await t.tdb.db.query('SELECT profiles FROM cameras WHERE id = $1', [cameraId]);
    const profiles = before.rows[0].profiles as Array<{ streamUri: string }>;
    const evil = profiles.map((p) => ({ ...p, streamUri: p.streamUri.replace(/:(\d+)\//, ':5432/') }));
    await t.tdb.db.query('UPDATE cameras SET profiles = $2 WHERE id = $1', [cameraId, JSON.stringify(evil)]);
    try {
      const r = await t.app.inject({ method: 'GET', url: `/media/live/${cameraId}.flv?token=${encodeURIComponent(tok.body.token)}` });
      expect(r.statusCode).toBe(503);
      expect(r.json().error).toEqual({ code: 'camera_unavailable', message: 'The camera is not delivering video.' });
      expect(r.body).not.toContain('5432');
    } finally {
      await t.tdb.db.query('UPDATE cameras SET profiles = $2 WHERE id = $1', [cameraId, JSON.stringify(profiles)]);
    }
  });

  it('a partner without a grant cannot get a token; a forged token gets zero video bytes', async () => {
    const refused = await api('chengguan.investigator', 'POST', '/play-tokens', { cameraId, action: 'live' });
    expect(refused.status).toBe(403);
    const forged = watch(`/media/live/${cameraId}.flv?token=eyJhbGciOiJFZERTQSJ9.e30.AAAA`, 3000);
    await forged.done;
    expect(forged.status).toBe(401);
    const body = forged.bytes;
    expect(body).toBeLessThan(300); // a JSON error, not FLV
  });

  it('scenario 4: a granted partner watches; revocation closes the open stream within a second; all of it is audited', async () => {
    const now = Date.now();
    const req = await api('chengguan.investigator', 'POST', '/grants', {
      cameraIds: [cameraId], caseNo: 'TQ-2026-1123-07', reason: 'serial battery thefts crossing the bridge', actions: ['live', 'playback'],
      footage: { from: new Date(now - 3 * 3600_000).toISOString(), to: new Date(now - 3600_000).toISOString() },
      live: { from: new Date(now - 60_000).toISOString(), to: new Date(now + 3600_000).toISOString() },
    });
    expect(req.status, JSON.stringify(req.body)).toBe(201);
    const grantId = req.body.grants[0].grant.id;
    const ok = await api('shouzhang.duty', 'POST', `/grants/${grantId}/approve`, { reason: 'ok' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const tok = await api('chengguan.investigator', 'POST', '/play-tokens', { cameraId, action: 'live' });
    expect(tok.status, JSON.stringify(tok.body)).toBe(201);
    const viewer = watch(`/media/live/${cameraId}.flv?token=${tok.body.token}`, 20_000);
    for (let i = 0; i < 100 && viewer.bytes < 50_000; i++) await new Promise((r) => setTimeout(r, 100));
    expect(viewer.bytes).toBeGreaterThan(50_000);
    const revokedAt = Date.now();
    const rv = await api('shouzhang.duty', 'POST', `/grants/${grantId}/revoke`, { reason: 'wrong case' });
    expect(rv.status, JSON.stringify(rv.body)).toBe(200);
    await viewer.done;
    expect(viewer.closedAt! - revokedAt).toBeLessThan(3000);
    // The same token is now refused at the edge.
    const again = watch(`/media/live/${cameraId}.flv?token=${tok.body.token}`, 3000);
    await again.done;
    expect(again.status).toBe(403);

    await new Promise((r) => setTimeout(r, 300)); // audit of the close is written asynchronously
    const audit = await api('shouzhang.auditor', 'GET', `/audit?grantId=${grantId}&limit=100`);
    const actions = audit.body.items.map((a: { action: string }) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['video.live.open', 'video.live.close']));
    const close = audit.body.items.find((a: { action: string }) => a.action === 'video.live.close');
    expect(close.caseNo).toBe('TQ-2026-1123-07');
    expect(close.details.bytes).toBeGreaterThan(50_000);
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
  });

  it('logging out or being disabled closes open streams at once', async () => {
    const open = async (user: string) => {
      const tok = await api(user, 'POST', '/play-tokens', { cameraId, action: 'live' });
      expect(tok.status).toBe(201);
      const v = watch(`/media/live/${cameraId}.flv?token=${tok.body.token}`, 20_000);
      for (let i = 0; i < 100 && v.bytes < 10_000; i++) await new Promise((r) => setTimeout(r, 100));
      expect(v.bytes).toBeGreaterThan(10_000);
      return v;
    };
    const inv = await open('shouzhang.investigator');
    const t0 = Date.now();
    expect((await api('shouzhang.investigator', 'POST', '/auth/logout')).status).toBe(204);
    await inv.done;
    expect(inv.closedAt! - t0).toBeLessThan(3000);

    const officer = await open('shouzhang.officer');
    const officerId = (await t.gw.repos.users.byUsername('shouzhang.officer'))!.id;
    const t1 = Date.now();
    expect((await api('admin', 'POST', `/users/${officerId}/disable`)).status).toBe(200);
    await officer.done;
    expect(officer.closedAt! - t1).toBeLessThan(3000);
    expect((await api('shouzhang.officer', 'GET', '/me')).status).toBe(401);
  });

});
