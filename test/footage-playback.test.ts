// Recorded footage through the authorising path: listing clipped to what the caller may see, HLS playback that
// contains only frames inside the grant's window (cut mid-segment), refusals with the nearest range, revocation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { decodeFrames, recordFixture, type FixtureSegment } from './helpers/recordings.ts';
import { buildApp } from '../gateway/http/app.ts';
import { startFootage, type Footage } from '../gateway/media/playback/start-footage.ts';
import { AUDIT } from '../gateway/audit/actions.ts';
import { probeTs } from '../gateway/media/playback/ts-clip.ts';

let t: TestGateway;
let app: FastifyInstance;
let footage: Footage;
let root: string;
let cam = '';
let segs: FixtureSegment[] = [];
const tokens: Record<string, string> = {};
// Whole seconds, five hours back: "last night".
const T0 = Math.floor((Date.now() - 5 * 3600_000) / 1000) * 1000;
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const grantWindow = { from: at(12.5), to: at(37.3) };
let grantId = '';

async function api(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload !== undefined && { payload: payload as object }) });
  return { status: r.statusCode, body: r.json() };
}

async function playToken(user: string, footageWindow: { from: string; to: string }, action = 'playback'): Promise<string> {
  const r = await api(user, 'POST', '/play-tokens', { cameraId: cam, action, footage: footageWindow });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.token as string;
}

async function playlist(token: string, from: string, to: string) {
  return app.inject({ method: 'GET', url: `/media/playback/${cam}/index.m3u8?token=${encodeURIComponent(token)}&from=${from}&to=${to}` });
}

function segmentUrls(m3u8: string): string[] {
  return m3u8.split('\n').filter((l) => l.startsWith('seg/')).map((l) => `/media/playback/${cam}/${l}`);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'shouwang-footage-'));
  t = await testGateway();
  footage = startFootage(t.gw, { recordingDir: root });
  app = await buildApp(t.gw, { plugins: [footage.routes] });
  await app.ready();
  cam = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: 'Chengguan bridge west end' });
  // 60 s in 10 s segments; segment 4 (40–50 s) lost to a camera outage.
  segs = await recordFixture(t.tdb.db, { root, cameraId: cam, startMs: T0, seconds: 60, drop: [4] });
  for (const u of ['shouzhang.investigator', 'chengguan.duty']) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: u, password: 'shouwang-demo' } });
    tokens[u] = r.json().token;
  }
  const req = await api('shouzhang.investigator', 'POST', '/grants', {
    cameraIds: [cam], caseNo: 'YG-2026-1124-07', reason: 'battery thefts at the bridge', actions: ['playback', 'export'], footage: grantWindow,
  });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  grantId = req.body.grants[0].grant.id;
  const ok = await api('chengguan.duty', 'POST', `/grants/${grantId}/approve`, { reason: 'ok' });
  expect(ok.status, JSON.stringify(ok.body)).toBe(200);
}, 120_000);

afterAll(async () => {
  await footage?.close();
  await app?.close();
  await t?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('listing', () => {
  it('the owning station sees every recorded range and the gap, merged from 5 segments', async () => {
    expect(segs).toHaveLength(5);
    const r = await api('chengguan.duty', 'GET', `/cameras/${cam}/recordings?from=${at(-3600)}&to=${at(3600)}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.scope).toBe('own');
    expect(r.body.ranges.map((x: { from: string; to: string }) => [x.from, x.to])).toEqual([
      [new Date(segs[0]!.startMs).toISOString(), new Date(segs[3]!.endMs).toISOString()],
      [new Date(segs[4]!.startMs).toISOString(), new Date(segs[4]!.endMs).toISOString()],
    ]);
    expect(r.body.gaps).toHaveLength(1);
    expect(r.body.gaps[0].reason).toBe('camera_offline');
    expect(r.body.speeds).toEqual([1, 2, 4, 8]);
  });

  it('a grantee sees only the grant’s footage window, and a stranger nothing', async () => {
    const r = await api('shouzhang.investigator', 'GET', `/cameras/${cam}/recordings?from=${at(-3600)}&to=${at(3600)}`);
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('grant');
    expect(r.body.visible).toEqual([{ ...grantWindow, grantId }]);
    expect(r.body.ranges).toEqual([{ ...grantWindow, source: 'gateway' }]);
    tokens['yaqian.officer'] = await t.login('yaqian.officer');
    const other = await api('yaqian.officer', 'GET', `/cameras/${cam}/recordings?from=${at(-3600)}&to=${at(3600)}`);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('access_denied');
  });
});

describe('HLS playback clipped to the granted window', () => {
  it('plays only frames from the first keyframe at or after the window start to the last frame before its end', async () => {
    const token = await playToken('shouzhang.investigator', grantWindow);
    // Ask for more than the grant: the answer is the intersection.
    const pl = await playlist(token, at(0), at(60));
    expect(pl.statusCode, pl.body).toBe(200);
    expect(pl.headers['content-type']).toContain('mpegurl');
    expect(pl.body).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(pl.body).toContain(`#EXT-X-PROGRAM-DATE-TIME:${at(13)}`);
    expect(pl.body).toContain('#EXT-X-ENDLIST');
    const urls = segmentUrls(pl.body);
    expect(urls).toHaveLength(3); // 10–20 (cut), 20–30, 30–40 (cut)
    const parts: Buffer[] = [];
    for (const u of urls) {
      const r = await app.inject({ method: 'GET', url: u });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers['content-type']).toBe('video/mp2t');
      parts.push(r.rawPayload);
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'shouwang-pb-'));
    try {
      const file = path.join(dir, 'out.ts');
      writeFileSync(file, Buffer.concat(parts));
      const frames = await decodeFrames(file);
      const wall = (pts: number) => T0 + (pts - segs[0]!.firstPts) / 90;
      // Keyframes every second: the first kept frame is the one at 13.000 s, decodable, a keyframe.
      expect(frames[0]!.key).toBe(true);
      expect(Math.round(wall(frames[0]!.pts))).toBe(T0 + 13_000);
      const last = wall(frames[frames.length - 1]!.pts);
      expect(last).toBeLessThan(T0 + 37_300);
      expect(Math.round(last)).toBe(T0 + 37_280);
      expect(frames.every((f) => wall(f.pts) >= T0 + 13_000 && wall(f.pts) < T0 + 37_300)).toBe(true);
      expect(frames).toHaveLength(608); // 13.00 … 37.28 s at 25 fps, nothing lost at segment joins
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // One audit row for the playback, not one per segment.
    const { rows } = await t.tdb.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND camera_id = $2`, [AUDIT.playbackOpen, cam]);
    expect(rows[0].n).toBe(1);
  });

  it('a window wholly outside the grant is refused with the nearest allowed range', async () => {
    const token = await playToken('shouzhang.investigator', grantWindow);
    const r = await playlist(token, at(45), at(55));
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('footage_outside_grant');
    expect(r.json().error.details.nearest).toEqual(grantWindow);
    const refused = await t.tdb.db.query(`SELECT reason FROM audit_log WHERE action = $1 AND camera_id = $2`, [AUDIT.playbackRefused, cam]);
    expect(refused.rows.map((x) => x.reason)).toContain('footage_outside_grant');
  });

  it('a window with nothing recorded gets footage_not_recorded and the nearest recorded range', async () => {
    const token = await playToken('chengguan.duty', { from: at(-7200), to: at(-3600) });
    const r = await playlist(token, at(-7200), at(-3600));
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('footage_not_recorded');
    expect(r.json().error.details.nearest).toBeNull(); // the nearest footage lies outside what this token may see
    const wide = await playToken('chengguan.duty', { from: at(-7200), to: at(3600) });
    const r2 = await playlist(wide, at(-7200), at(-3600));
    expect(r2.json().error.details.nearest).toEqual({ from: new Date(segs[0]!.startMs).toISOString(), to: new Date(segs[0]!.endMs).toISOString() });
  });

  it('the owning station plays the whole recording; a segment fully inside is served byte for byte', async () => {
    const token = await playToken('chengguan.duty', { from: at(0), to: at(60) });
    const pl = await playlist(token, at(0), at(60));
    expect(pl.statusCode).toBe(200);
    expect(pl.body).toContain('#EXT-X-DISCONTINUITY'); // the 40–50 s gap
    const urls = segmentUrls(pl.body);
    expect(urls).toHaveLength(5);
    const r = await app.inject({ method: 'GET', url: urls[1]! });
    expect(probeTs(r.rawPayload).frames).toBe(segs[1]!.frames);
    expect(r.rawPayload.length).toBe((await t.tdb.db.query('SELECT bytes FROM recording_segments WHERE id = $1', [segs[1]!.id])).rows[0].bytes * 1);
  });

  it('revoking the grant closes the open playback: later segment requests are refused', async () => {
    const token = await playToken('shouzhang.investigator', grantWindow);
    const pl = await playlist(token, grantWindow.from, grantWindow.to);
    const urls = segmentUrls(pl.body);
    expect((await app.inject({ method: 'GET', url: urls[0]! })).statusCode).toBe(200);
    const id = String(pl.headers['x-playback-id']);
    expect(footage.playback.isOpen(id)).toBe(true);
    const rv = await api('chengguan.duty', 'POST', `/grants/${grantId}/revoke`, { reason: 'case closed' });
    expect(rv.status).toBe(200);
    const deadline = Date.now() + 1000;
    while (footage.playback.isOpen(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(footage.playback.isOpen(id)).toBe(false);
    const after = await app.inject({ method: 'GET', url: urls[1]! });
    expect(after.statusCode).toBe(403);
    expect(after.json().error.code).toBe('playback_closed');
    expect(after.json().error.details.reason).toBe('grant_revoked');
    const again = await playlist(token, grantWindow.from, grantWindow.to);
    expect(again.statusCode).toBe(403);
    expect(again.json().error.code).toBe('grant_revoked');
  });
});
