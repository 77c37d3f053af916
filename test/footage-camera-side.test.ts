// Camera-side footage (ONVIF Profile G on the simulator) in the recordings listing, clipped like gateway footage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { footageGateway, type FootageGateway } from './helpers/footage.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeFrames } from './helpers/recordings.ts';
import { verifyEvidence } from '../gateway/media/export/manifest.ts';

const HOUR = 3_600_000;
let f: FootageGateway;
let sim: Simulator;
let cam = '';
let grantWindow = { from: '', to: '' };
let grantId = '';

beforeAll(async () => {
  sim = await startSimulator({ cameras: [{ id: 'sd-card-1' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
  f = await footageGateway();
  const station = (await f.t.gw.repos.jurisdictions.byCode('41092701'))!;
  const s = sim.cameras[0]!;
  cam = await f.t.gw.repos.cameras.insert({
    deviceIdPrefix: '4109270100131', name: 'Chengguan shop with SD card', ownerClass: 'police', stationId: station.id, villageId: null,
    ownerUserId: null, ownerName: null, ownerPhone: null, address: null, sharingMode: null, delegatedToCommittee: false,
    lat: 35.96, lon: 115.87, jurisdictionOverride: null, onvifHost: s.host, onvifPort: s.httpPort,
    credentialsEnc: f.t.gw.cipher.encrypt({ username: 'admin', password: 'pw-1234' }), deviceInfo: {}, clockOffsetMs: 0, profiles: [], enabled: true, enrolledBy: null,
  });
  await f.login('chengguan.duty', 'shouzhang.investigator');
}, 60_000);
afterAll(async () => {
  await f?.close();
  await sim?.close();
});

describe('camera-side ranges in the listing', () => {
  it('the owning station sees what the SD card holds, with the hour the card was out', async () => {
    const to = new Date(Date.now() - 60_000);
    const from = new Date(to.getTime() - 8 * HOUR);
    const r = await f.api('chengguan.duty', 'GET', `/cameras/${cam}/recordings?from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const camera = r.body.ranges.filter((x: { source: string }) => x.source === 'camera');
    expect(camera).toHaveLength(2);
    expect(camera[0].from).toBe(from.toISOString());
    expect(Math.abs(new Date(camera[1].from).getTime() - new Date(camera[0].to).getTime() - HOUR)).toBeLessThan(2000);
    expect(camera[1].to).toBe(to.toISOString());
  });

  it('a grantee sees camera-side footage only inside the grant’s window', async () => {
    const window = { from: new Date(Math.floor((Date.now() - 7 * HOUR) / 1000) * 1000).toISOString(), to: new Date(Math.floor((Date.now() - 6.5 * HOUR) / 1000) * 1000).toISOString() };
    grantWindow = window;
    const g = await f.api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cam], caseNo: 'YG-2026-1124-11', reason: 'SD card', actions: ['playback', 'export'], footage: window });
    expect(g.status, JSON.stringify(g.body)).toBe(201);
    grantId = g.body.grants[0].grant.id;
    expect((await f.api('chengguan.duty', 'POST', `/grants/${grantId}/approve`, { reason: 'ok' })).status).toBe(200);
    const r = await f.api('shouzhang.investigator', 'GET', `/cameras/${cam}/recordings?from=${new Date(Date.now() - 24 * HOUR).toISOString()}&to=${new Date().toISOString()}`);
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('grant');
    expect(r.body.ranges).toEqual([{ ...window, source: 'camera' }]);
  });

  it('exports camera-side footage through the same path: replayed over RTSP, cut to the window, signed with source camera', async () => {
    const from = new Date(new Date(grantWindow.from).getTime() + 60_000);
    const to = new Date(from.getTime() + 3000);
    const r = await f.api('shouzhang.investigator', 'POST', '/exports', { cameraId: cam, from: from.toISOString(), to: to.toISOString(), grantId });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.source).toBe('camera');
    let s = r.body;
    for (let i = 0; i < 600 && s.state === 'running'; i++) {
      await new Promise((res) => setTimeout(res, 100));
      s = (await f.api('shouzhang.investigator', 'GET', `/exports/${r.body.id}`)).body;
    }
    expect(s.state, JSON.stringify(s)).toBe('done');
    const clip = (await f.api('shouzhang.investigator', 'GET', `/exports/${r.body.id}/clip.mp4`)).raw;
    const manifestText = (await f.api('shouzhang.investigator', 'GET', `/exports/${r.body.id}/manifest.json`)).raw.toString('utf8');
    const m = JSON.parse(manifestText).manifest;
    expect(m.source).toBe('camera');
    expect(m.segments).toHaveLength(1);
    expect(m.segments[0].id).toMatch(/^camera:sd-rec-1$/);
    expect(m.transform.replay.range).toContain('clock=');
    expect(m.actual).toEqual({ firstFrame: from.toISOString(), lastFrame: new Date(to.getTime() - Math.round(1000 / 15)).toISOString() });
    const jwks = (await f.app.inject({ method: 'GET', url: '/api/v1/play-tokens/jwks' })).json();
    expect((await verifyEvidence(clip, manifestText, jwks)).ok).toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'shouwang-camside-'));
    try {
      writeFileSync(path.join(dir, 'c.mp4'), clip);
      const frames = await decodeFrames(path.join(dir, 'c.mp4'));
      expect(frames).toHaveLength(45); // 3 s at the sub profile's 15 fps
      expect(frames[0]!.key).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('plays camera-side footage over HLS through the same authorising path, fetched in chunks from the card', async () => {
    const from = new Date(new Date(grantWindow.from).getTime() + 120_000);
    const to = new Date(from.getTime() + 8000);
    const tok = await f.api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: cam, action: 'playback', footage: grantWindow });
    expect(tok.status).toBe(201);
    const pl = await f.app.inject({ method: 'GET', url: `/media/playback/${cam}/index.m3u8?token=${encodeURIComponent(tok.body.token)}&from=${from.toISOString()}&to=${to.toISOString()}` });
    expect(pl.statusCode, pl.body).toBe(200);
    const urls = pl.body.split('\n').filter((l: string) => l.startsWith('seg/c'));
    expect(urls).toHaveLength(2); // 6 s + 2 s
    const parts: Buffer[] = [];
    for (const u of urls) {
      const r = await f.app.inject({ method: 'GET', url: `/media/playback/${cam}/${u}` });
      expect(r.statusCode, r.body).toBe(200);
      parts.push(r.rawPayload);
    }
    // A chunk id outside the playback's window is refused, whatever the token allows.
    const outside = urls[0]!.replace(/c\d+-\d+/, `c${to.getTime() + 60_000}-${to.getTime() + 62_000}`);
    expect((await f.app.inject({ method: 'GET', url: `/media/playback/${cam}/${outside}` })).statusCode).toBe(403);
    const dir = mkdtempSync(path.join(tmpdir(), 'shouwang-campb-'));
    try {
      writeFileSync(path.join(dir, 'p.ts'), Buffer.concat(parts));
      const frames = await decodeFrames(path.join(dir, 'p.ts'));
      expect(frames).toHaveLength(120); // 8 s at 15 fps
      expect(frames[0]!.key).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const open = await f.t.tdb.db.query(`SELECT details FROM audit_log WHERE action = 'video.playback.open' AND camera_id = $1`, [cam]);
    expect(open.rows.map((r) => r.details.source)).toEqual(['camera']);
  }, 90_000);
});
