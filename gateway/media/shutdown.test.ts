// MediaRuntime.close() (called in order at SIGTERM) closes every open media session with reason `shutdown`,
// and that close is in the audit log before close() resolves.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { testGateway, type TestGateway } from '../../test/helpers/gateway.ts';
import { startSimulator, type Simulator } from '../../camera-adapters/simulator/index.ts';

let t: TestGateway;
let sim: Simulator;
let cameraId = '';
let token = '';

beforeAll(async () => {
  sim = await startSimulator({ cameras: [{ id: 'yard' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-sd-1', nameOverlay: false });
  t = await testGateway({ media: true, overrides: { cameras: { mediaPorts: [sim.cameras[0]!.rtspPort] } } });
  const login = await t.login('shouzhang.officer');
  const c = sim.cameras[0]!;
  const r = await t.app.inject({
    method: 'POST', url: '/api/v1/cameras', headers: { authorization: `Bearer ${login}` },
    payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-sd-1', ownerClass: 'police', lat: 35.95, lon: 115.88, name: 'Yard' },
  });
  cameraId = r.json().id;
  const tok = await t.app.inject({ method: 'POST', url: '/api/v1/play-tokens', headers: { authorization: `Bearer ${login}` }, payload: { cameraId, action: 'live' } });
  token = tok.json().token;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('media shutdown', () => {
  it('closes open viewers with reason shutdown, audited before close() resolves', async () => {
    const closed = new Promise<number>((resolve, reject) => {
      const req = http.get(`${t.baseUrl}/media/live/${cameraId}.flv?token=${encodeURIComponent(token)}`, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => {
          n += d.length;
        });
        res.on('close', () => resolve(n));
      });
      req.on('error', reject);
    });
    const until = Date.now() + 20_000;
    while (t.media!.edge.sessions().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(t.media!.edge.sessions()).toHaveLength(1); // attached, not only waiting for video
    await t.media!.close();
    expect(await closed).toBeGreaterThan(0);
    const rows = await t.tdb.db.query(`SELECT reason FROM audit_log WHERE action = 'video.live.close' AND camera_id = $1`, [cameraId]);
    expect(rows.rows.map((r) => r.reason)).toEqual(['shutdown']);
  }, 60_000);
});
