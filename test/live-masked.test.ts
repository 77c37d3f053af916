// Masked live view: a home camera's owner saves a privacy mask; a partner watching live under a grant gets the
// region blurred from ONE shared transcode, the owner gets the original; a new mask version, a lift for the grant,
// a revocation and a failed transcode each end the partner's masked view — never with the original instead.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';
import { locateFfmpeg, runToCompletion } from '../camera-adapters/ffmpeg/index.ts';
import { AUDIT } from '../gateway/audit/actions.ts';
import { footageRepository } from '../gateway/repositories/footage.repository.ts';
import { BUS_CHANNEL } from '../gateway/events/pg-bus.ts';
import { watchFlv, type FlvViewer } from './helpers/flv-viewer.ts';

let t: TestGateway;
let sim: Simulator;
let recDir = '';
const tokens: Record<string, string> = {};
let cameraId = '';
let grantId = '';
const OWNER = 'chengguan-chengguan.owner';
const PARTNER = 'shouzhang.investigator';
const COMMITTEE = 'chengguan-chengguan.committee';
const W = 1280;
const H = 720;
const RECT = { x: 0.5, y: 0.25, w: 0.4, h: 0.5 };
/** Left of the mask: colour-bar edges that no mask touches. */
const OUTSIDE = { x: 0.05, y: 0.3, w: 0.4, h: 0.6 };

async function api(user: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.body ? r.json() : null };
}

/** Opens an HTTP-FLV viewer with a fresh play token and keeps what arrives until it closes or `limitMs` passes. */
async function watch(user: string, limitMs = 60_000, grant?: string): Promise<FlvViewer> {
  const tok = await api(user, 'POST', '/play-tokens', { cameraId, action: 'live', ...(grant ? { grantId: grant } : {}) });
  expect(tok.status, JSON.stringify(tok.body)).toBe(201);
  return watchFlv(`${t.baseUrl}/media/live/${cameraId}.flv?token=${encodeURIComponent(tok.body.token)}`, limitMs, 4_000_000);
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** First decoded picture of an FLV capture, as 8-bit grey. */
async function firstFrame(flv: Buffer): Promise<Buffer> {
  const r = await runToCompletion(locateFfmpeg(), ['-hide_banner', '-loglevel', 'error', '-f', 'flv', '-i', 'pipe:0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { timeoutMs: 30_000, stdin: flv });
  expect(r.exit.code, r.stderr).toBe(0);
  expect(r.stdout.length).toBe(W * H);
  return r.stdout;
}

/** Detail in a region: mean absolute difference between neighbouring pixels (a blur flattens it). */
function detail(grey: Buffer, r: { x: number; y: number; w: number; h: number }): number {
  let s = 0;
  let n = 0;
  for (let y = Math.ceil(r.y * H) + 4; y < (r.y + r.h) * H - 5; y++) {
    for (let x = Math.ceil(r.x * W) + 4; x < (r.x + r.w) * W - 5; x++) {
      const p = grey[y * W + x]!;
      s += Math.abs(grey[y * W + x + 1]! - p) + Math.abs(grey[(y + 1) * W + x]! - p);
      n++;
    }
  }
  return s / n;
}

/** Watches until a picture's worth of video arrived, then decodes its first frame. */
async function frameOf(v: FlvViewer): Promise<Buffer> {
  await until(() => v.bytes > 400_000 || v.closedAt !== null, 45_000, 'video bytes');
  expect(v.status).toBe(200);
  return firstFrame(v.flv());
}

/** ffmpeg children of this process that blur (the masked transcodes), counted from /proc, not from our own bookkeeping. */
function blurProcesses(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || Number(ppid) !== process.pid) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('boxblur')) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function liveAudit(action: string, since: number) {
  const r = await t.tdb.db.query(
    'SELECT id, actor_user_id, reason, details FROM audit_log WHERE action = $1 AND camera_id = $2 AND id > $3 ORDER BY id',
    [action, cameraId, since],
  );
  return r.rows as Array<{ id: number; actor_user_id: string; reason: string | null; details: Record<string, unknown> }>;
}
const lastAuditId = async (): Promise<number> => Number((await t.tdb.db.query('SELECT coalesce(max(id), 0) AS id FROM audit_log')).rows[0].id);

async function requestLiveGrant(caseNo: string): Promise<string> {
  const now = Date.now();
  const g = await api(PARTNER, 'POST', '/grants', {
    cameraIds: [cameraId], caseNo, reason: 'a door camera on the suspect’s route', actions: ['live'],
    live: { from: new Date(now - 60_000).toISOString(), to: new Date(now + 3600_000).toISOString() },
  });
  expect(g.status, JSON.stringify(g.body)).toBe(201);
  const id = g.body.grants[0].grant.id as string;
  const ok = await api(OWNER, 'POST', `/grants/${id}/approve`, { reason: 'ok' });
  expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  return id;
}

beforeAll(async () => {
  sim = await startSimulator({ cameras: [{ id: 'door' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
  recDir = mkdtempSync(path.join(tmpdir(), 'shouwang-masked-live-'));
  t = await testGateway({ media: true, footage: { recordingDir: recDir }, overrides: { cameras: { mediaPorts: [sim.cameras[0]!.rtspPort] } } });
  for (const u of [OWNER, PARTNER, COMMITTEE]) tokens[u] = await t.login(u);
  const c = sim.cameras[0]!;
  const owner = await t.gw.repos.users.byUsername(OWNER);
  const r = await api(COMMITTEE, 'POST', '/cameras', {
    host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', name: '城关村 李家门口', ownerClass: 'household',
    lat: 35.972, lon: 115.856, ownerUserId: owner!.id, sharingMode: 'on_request', consentDate: '2026-10-08', mediaPorts: [c.rtspPort],
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  cameraId = r.body.id;
  grantId = await requestLiveGrant('TQ-2026-1124-31');
  const m = await api(OWNER, 'PUT', `/cameras/${cameraId}/masks`, { rects: [RECT] });
  expect(m.status, JSON.stringify(m.body)).toBe(200);
  expect(m.body.version).toBe(1);
}, 180_000);
afterAll(async () => {
  await t?.close();
  await sim?.close();
  if (recDir) rmSync(recDir, { recursive: true, force: true });
}, 60_000);

describe('masked live view', () => {
  it('the partner gets the masked region blurred, the owner the original; both audited with the mask version', async () => {
    const since = await lastAuditId();
    const owner = await watch(OWNER);
    const ownerFrame = await frameOf(owner);
    // the owner watches the camera's own channel: no transcode runs for them
    expect(t.media!.edge.masked.stats()).toEqual([]);
    const partner = await watch(PARTNER);
    const partnerFrame = await frameOf(partner);
    owner.stop();
    partner.stop();
    const o = { inside: detail(ownerFrame, RECT), outside: detail(ownerFrame, OUTSIDE) };
    const p = { inside: detail(partnerFrame, RECT), outside: detail(partnerFrame, OUTSIDE) };
    expect(o.inside).toBeGreaterThan(1.5); // the simulator's pattern has edges and moving shapes there
    expect(p.inside).toBeLessThan(0.4 * o.inside);
    // only the mask's region: the rest of the partner's picture keeps its detail
    expect(p.outside).toBeGreaterThan(0.6 * o.outside);
    await Promise.all([owner.done, partner.done]);
    await until(async () => (await liveAudit(AUDIT.liveClose, since)).length >= 2, 10_000, 'close audits');
    const opens = await liveAudit(AUDIT.liveOpen, since);
    const ownerId = (await t.gw.repos.users.byUsername(OWNER))!.id;
    expect(opens.map((a) => [a.actor_user_id === ownerId ? 'owner' : 'partner', a.details.masks, a.details.maskLifted])).toEqual([
      ['owner', [], null],
      ['partner', [1], null],
    ]);
  }, 120_000);

  it('two masked viewers share ONE transcode process; it stops after the last leaves', async () => {
    const startedBefore = t.media!.edge.masked.started;
    const a = await watch(PARTNER);
    const b = await watch(PARTNER);
    await until(() => a.bytes > 100_000 && b.bytes > 100_000, 45_000, 'both viewers playing');
    const stats = t.media!.edge.masked.stats();
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ cameraId, version: 1, viewers: 2 });
    expect(blurProcesses()).toEqual([stats[0]!.pid]);
    expect(t.media!.edge.masked.started - startedBefore).toBeLessThanOrEqual(1); // 0 when the previous test's is still in its grace
    expect(t.media!.sessions.list('masked-live')).toHaveLength(2);
    a.stop();
    b.stop();
    await Promise.all([a.done, b.done]);
    await until(() => t.media!.edge.masked.stats().length === 0 && blurProcesses().length === 0, 40_000, 'the idle transcode to stop');
  }, 120_000);

  it('a new mask version closes masked viewers with mask_changed; reconnecting gets the new version', async () => {
    const since = await lastAuditId();
    const owner = await watch(OWNER);
    const partner = await watch(PARTNER);
    await until(() => owner.bytes > 100_000 && partner.bytes > 100_000, 45_000, 'both playing');
    const m = await api(OWNER, 'PUT', `/cameras/${cameraId}/masks`, { rects: [RECT, { x: 0.05, y: 0.05, w: 0.2, h: 0.2 }] });
    expect(m.status).toBe(200);
    expect(m.body.version).toBe(2);
    await partner.done;
    expect(owner.closedAt).toBeNull(); // the owner's view does not depend on the mask
    await until(async () => (await liveAudit(AUDIT.liveClose, since)).some((a) => a.reason === 'mask_changed'), 10_000, 'the mask_changed close');
    const again = await watch(PARTNER);
    const frame = await frameOf(again);
    expect(detail(frame, RECT)).toBeLessThan(1);
    expect(t.media!.edge.masked.stats().map((s) => s.version)).toContain(2);
    again.stop();
    owner.stop();
    await Promise.all([again.done, owner.done]);
  }, 120_000);

  it('a transcode that dies closes its viewers (fail closed) and the next viewer gets a new one', async () => {
    const since = await lastAuditId();
    const v = await watch(PARTNER);
    await until(() => v.bytes > 100_000, 45_000, 'playing');
    // the transcode this viewer is on (an older version's may still be in its grace period)
    const pid = t.media!.edge.masked.stats().find((x) => x.viewers > 0)!.pid!;
    process.kill(pid, 'SIGKILL');
    await v.done;
    await until(async () => (await liveAudit(AUDIT.liveClose, since)).some((a) => a.reason === 'mask_transcode_failed'), 10_000, 'the failed close');
    const next = await watch(PARTNER);
    const frame = await frameOf(next);
    expect(detail(frame, RECT)).toBeLessThan(1);
    expect(t.media!.edge.masked.stats().find((x) => x.viewers > 0)!.pid).not.toBe(pid);
    next.stop();
    await next.done;
  }, 120_000);

  it('revoking the grant closes the masked viewer at once', async () => {
    const v = await watch(PARTNER);
    await until(() => v.bytes > 100_000, 45_000, 'playing');
    const revokedAt = Date.now();
    const revoked = await api(OWNER, 'POST', `/grants/${grantId}/revoke`, { reason: 'case closed' });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    await v.done;
    expect(v.closedAt! - revokedAt).toBeLessThan(5000);
    expect(t.media!.sessions.list('masked-live')).toHaveLength(0);
  }, 120_000);

  it('the owner lifts the mask for a grant: that partner then gets the original', async () => {
    const g2 = await requestLiveGrant('TQ-2026-1124-32');
    const masked = await watch(PARTNER, 60_000, g2);
    await until(() => masked.bytes > 100_000, 45_000, 'masked playing');
    const since = await lastAuditId();
    const lift = await api(OWNER, 'POST', `/grants/${g2}/mask-lift`, { cameraId });
    expect(lift.status, JSON.stringify(lift.body)).toBe(200);
    await masked.done; // re-decided: the masked view is closed so the reconnect gets the original
    const plain = await watch(PARTNER, 60_000, g2);
    const owner = await watch(OWNER);
    const [pf, of] = [await frameOf(plain), await frameOf(owner)];
    plain.stop();
    owner.stop();
    expect(detail(pf, RECT)).toBeGreaterThan(0.6 * detail(of, RECT));
    await Promise.all([plain.done, owner.done]);
    const opens = await liveAudit(AUDIT.liveOpen, since);
    const partnerId = (await t.gw.repos.users.byUsername(PARTNER))!.id;
    expect(opens.filter((a) => a.actor_user_id === partnerId).map((a) => [a.details.masks, a.details.maskLifted])).toEqual([[[], 2]]);
  }, 120_000);
  it('a mask change made by another gateway process reaches this one over the bus: the masked view is re-decided', async () => {
    const g3 = await requestLiveGrant('TQ-2026-1124-33');
    const v = await watch(PARTNER, 60_000, g3);
    await until(() => v.bytes > 100_000, 45_000, 'masked playing');
    expect(t.media!.sessions.list('masked-live')).toHaveLength(1);
    // another process removes the mask (an empty version) and announces it with NOTIFY, as its bus does
    const ownerId = (await t.gw.repos.users.byUsername(OWNER))!.id;
    const row = await footageRepository(t.tdb.db).saveMask(cameraId, [], ownerId, t.tdb.db);
    await t.tdb.db.query('SELECT pg_notify($1, $2)', [BUS_CHANNEL, JSON.stringify({ o: 'another-gateway-process', k: 'mask', d: { op: 'saved', cameraId, version: row.version } })]);
    await v.done;
    const plain = await watch(PARTNER, 60_000, g3);
    const frame = await frameOf(plain);
    plain.stop();
    await plain.done;
    expect(detail(frame, RECT)).toBeGreaterThan(1.5);
    expect(t.media!.sessions.list('masked-live')).toHaveLength(0);
  }, 120_000);
});
