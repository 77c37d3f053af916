// Privacy masks: the owner's rectangles are blurred for a partner in playback and export, not for the owner;
// the recording keeps the original; the owner can lift the mask for one grant.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { footageGateway, type FootageGateway } from './helpers/footage.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { recordFixture, type FixtureSegment } from './helpers/recordings.ts';
import { locateFfmpeg, runToCompletion } from '../camera-adapters/ffmpeg/index.ts';
import { AUDIT } from '../gateway/audit/actions.ts';

let f: FootageGateway;
let cam = '';
let segs: FixtureSegment[] = [];
let grantId = '';
const OWNER = 'chengguan-chengguan.owner';
const PARTNER = 'shouzhang.investigator';
const T0 = Math.floor((Date.now() - 5 * 3600_000) / 1000) * 1000;
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const window = { from: at(10), to: at(20) };
const RECT = { x: 0.5, y: 0.25, w: 0.4, h: 0.5 };
const W = 320;
const H = 180;

/** First decoded frame of an MPEG-TS buffer as 8-bit grey pixels. */
async function firstFrameGrey(ts: Buffer): Promise<Buffer> {
  const r = await runToCompletion(locateFfmpeg(), ['-hide_banner', '-loglevel', 'error', '-f', 'mpegts', '-i', 'pipe:0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { timeoutMs: 30_000, stdin: ts });
  expect(r.exit.code, r.stderr).toBe(0);
  return r.stdout;
}

/** Mean absolute difference of two grey frames inside and outside the mask rectangle (with a margin). */
function diff(a: Buffer, b: Buffer): { inside: number; outside: number } {
  let inS = 0, inN = 0, outS = 0, outN = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = Math.abs(a[y * W + x]! - b[y * W + x]!);
      const fx = x / W, fy = y / H;
      const inside = fx > RECT.x + 0.02 && fx < RECT.x + RECT.w - 0.02 && fy > RECT.y + 0.02 && fy < RECT.y + RECT.h - 0.02;
      const outside = fx < RECT.x - 0.05 || fx > RECT.x + RECT.w + 0.05 || fy < RECT.y - 0.05 || fy > RECT.y + RECT.h + 0.05;
      if (inside) { inS += d; inN++; } else if (outside) { outS += d; outN++; }
    }
  }
  return { inside: inS / inN, outside: outS / outN };
}

async function playFirstSegment(user: string): Promise<Buffer> {
  const tok = await f.api(user, 'POST', '/play-tokens', { cameraId: cam, action: 'playback', footage: window });
  expect(tok.status, JSON.stringify(tok.body)).toBe(201);
  const pl = await f.app.inject({ method: 'GET', url: `/media/playback/${cam}/index.m3u8?token=${encodeURIComponent(tok.body.token)}&from=${window.from}&to=${window.to}` });
  expect(pl.statusCode, pl.body).toBe(200);
  const seg = pl.body.split('\n').find((l) => l.startsWith('seg/'))!;
  const r = await f.app.inject({ method: 'GET', url: `/media/playback/${cam}/${seg}` });
  expect(r.statusCode, r.body).toBe(200);
  return r.rawPayload;
}

beforeAll(async () => {
  f = await footageGateway();
  cam = await insertTestCamera(f.t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: OWNER, lat: 35.958, lon: 115.87, name: 'Li family door' });
  segs = await recordFixture(f.t.tdb.db, { root: f.root, cameraId: cam, startMs: T0, seconds: 30, width: W, height: H });
  await f.login(OWNER, PARTNER, 'chengguan.duty');
  const g = await f.api(PARTNER, 'POST', '/grants', { cameraIds: [cam], caseNo: 'YG-2026-1124-12', reason: 'door camera', actions: ['playback', 'export'], footage: window });
  expect(g.status, JSON.stringify(g.body)).toBe(201);
  grantId = g.body.grants[0].grant.id;
  expect((await f.api(OWNER, 'POST', `/grants/${grantId}/approve`, { reason: 'ok' })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await f?.close();
});

describe('privacy masks', () => {
  it('only someone who manages the camera saves a mask; each save is a version, audited', async () => {
    expect((await f.api('chengguan.duty', 'PUT', `/cameras/${cam}/masks`, { rects: [RECT] })).status).toBe(403);
    expect((await f.api(OWNER, 'PUT', `/cameras/${cam}/masks`, { rects: [{ x: 0.9, y: 0, w: 0.5, h: 0.1 }] })).status).toBe(400);
    const r = await f.api(OWNER, 'PUT', `/cameras/${cam}/masks`, { rects: [RECT] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ version: 1, rects: [RECT] });
    expect((await f.api(OWNER, 'GET', `/cameras/${cam}/masks`)).body.version).toBe(1);
    const a = await f.t.tdb.db.query('SELECT details FROM audit_log WHERE action = $1 AND camera_id = $2', [AUDIT.cameraMask, cam]);
    expect(a.rows[0].details.version).toBe(1);
  });

  it('the partner gets the region blurred in playback; the owner gets the original recording', async () => {
    const owner = await playFirstSegment(OWNER);
    // The owner's segment lies wholly inside the window: served byte for byte as recorded.
    expect(owner.equals(readFileSync(path.join(f.root, segs[1]!.path)))).toBe(true);
    const partner = await playFirstSegment(PARTNER);
    expect(partner.equals(owner)).toBe(false);
    const d = diff(await firstFrameGrey(owner), await firstFrameGrey(partner));
    expect(d.inside).toBeGreaterThan(4 * d.outside + 3);
    const open = await f.t.tdb.db.query(`SELECT actor_user_id, details FROM audit_log WHERE action = $1 AND camera_id = $2 ORDER BY id`, [AUDIT.playbackOpen, cam]);
    expect(open.rows.map((x) => x.details.masks)).toEqual([[], [1]]);
  }, 60_000);

  it('a partner’s export carries the blur and names the mask version in its manifest', async () => {
    const r = await f.api(PARTNER, 'POST', '/exports', { cameraId: cam, from: window.from, to: window.to, grantId });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    for (let i = 0; i < 300 && (await f.api(PARTNER, 'GET', `/exports/${r.body.id}`)).body.state === 'running'; i++) await new Promise((res) => setTimeout(res, 100));
    const m = JSON.parse((await f.api(PARTNER, 'GET', `/exports/${r.body.id}/manifest.json`)).raw.toString('utf8')).manifest;
    expect(m.transform.masks).toEqual([{ version: 1, rects: [RECT] }]);
    expect(m.transform.maskLifted).toBeNull();
    expect(m.transform.ffmpeg.args.join(' ')).toContain('boxblur');
  }, 60_000);

  it('the owner lifts the mask for this grant: the partner then gets the original, on record', async () => {
    expect((await f.api(PARTNER, 'POST', `/grants/${grantId}/mask-lift`, { cameraId: cam })).status).toBe(403);
    const lift = await f.api(OWNER, 'POST', `/grants/${grantId}/mask-lift`, { cameraId: cam });
    expect(lift.status, JSON.stringify(lift.body)).toBe(200);
    expect(lift.body.maskVersion).toBe(1);
    const partner = await playFirstSegment(PARTNER);
    expect(partner.equals(readFileSync(path.join(f.root, segs[1]!.path)))).toBe(true);
    const r = await f.api(PARTNER, 'POST', '/exports', { cameraId: cam, from: window.from, to: window.to, grantId });
    for (let i = 0; i < 300 && (await f.api(PARTNER, 'GET', `/exports/${r.body.id}`)).body.state === 'running'; i++) await new Promise((res) => setTimeout(res, 100));
    const m = JSON.parse((await f.api(PARTNER, 'GET', `/exports/${r.body.id}/manifest.json`)).raw.toString('utf8')).manifest;
    expect(m.transform.masks).toEqual([]);
    expect(m.transform.maskLifted).toMatchObject({ grantId, maskVersion: 1 });
  }, 60_000);

  it('the owner reads every mask version and the grants it is lifted for; a partner may not', async () => {
    expect((await f.api(PARTNER, 'GET', `/cameras/${cam}/masks/history`)).status).toBe(403);
    const second = await f.api(OWNER, 'PUT', `/cameras/${cam}/masks`, { rects: [RECT, { x: 0.1, y: 0.1, w: 0.123456, h: 0.2 }] });
    expect(second.body.version).toBe(2);
    const h = await f.api(OWNER, 'GET', `/cameras/${cam}/masks/history`);
    expect(h.status, JSON.stringify(h.body)).toBe(200);
    expect(h.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(h.body.versions[0].rects[1]).toEqual({ x: 0.1, y: 0.1, w: 0.1235, h: 0.2 }); // canonicalised by the server
    expect(h.body.versions[1]).toMatchObject({ rects: [RECT], createdBy: OWNER });
    expect(h.body.lifts).toEqual([expect.objectContaining({ grantId, maskVersion: 1 })]);
  });
});
