// Issue 8 §1: token-less floods cannot bury the log or break the chain; owners see live views and snapshots, newest first.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { verifyAuditChain } from '../gateway/audit/verify.ts';
import { AUDIT } from '../gateway/audit/actions.ts';
import { RefusalAggregator } from '../gateway/audit/refusal-aggregator.ts';
import { edgeDepsFor } from '../gateway/media/edge-deps.ts';
import type { AuditInput } from '../gateway/repositories/audit.repository.ts';

let t: TestGateway;
let camera: string;
beforeAll(async () => {
  t = await testGateway({ media: true, overrides: { audit: { refusalIntervalSeconds: 1, anonymousMediaPerMinute: 50, checkpointIntervalSeconds: 0 } } });
  camera = await insertTestCamera(t.gw, {
    stationCode: '37152101', ownerClass: 'household', ownerUsername: 'shouzhang-shouzhang.owner', lat: 35.953, lon: 115.902, name: '杨家 gate',
  });
}, 90_000);
afterAll(async () => {
  await t?.close();
});

const rowsOf = async (action: string) => (await t.gw.repos.audit.query({ action, limit: 10_000 }));
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('refusals at the media edge', () => {
  it('an UPPER-CASE camera id without a token is refused and the chain stays intact', async () => {
    const r = await t.app.inject({ url: `/media/live/${camera.toUpperCase()}.flv`, remoteAddress: '10.9.0.1' });
    expect(r.statusCode).toBe(401);
    const rows = await until(() => rowsOf(AUDIT.liveRefused), (x) => x.length > 0);
    expect(rows.at(-1)!.cameraId).toBe(camera);
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
  });

  it('urn:uuid and non-UUID camera ids are a 400 with a code, token or not', async () => {
    for (const id of [`urn:uuid:${camera}`, 'not-a-camera', `${camera}%00`]) {
      for (const q of ['', '?token=eyJhbGciOiJFZERTQSJ9.e30.x']) {
        const r = await t.app.inject({ url: `/media/live/${id}.flv${q}`, remoteAddress: '10.9.0.2' });
        expect(r.statusCode, `${id}${q}`).toBe(400);
        expect(r.json().error.code).toBe('validation_failed');
      }
    }
  });

  it('with a valid play token, a non-UUID or urn:uuid camera id is a 400 on every media route (ws included), never a 500', async () => {
    const police = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.95, lon: 115.9 });
    const officer = `Bearer ${await t.login('shouzhang.officer')}`;
    const tok = await t.app.inject({ method: 'POST', url: '/api/v1/play-tokens', headers: { authorization: officer }, payload: { cameraId: police, action: 'live' } });
    expect(tok.statusCode, tok.body).toBe(201);
    const token = tok.json().token as string;
    for (const id of ['not-a-uuid', `urn:uuid:${police}`, `${police}x`]) {
      for (const url of [`/media/live/${id}.flv`, `/media/live/${id}.ws`, `/media/snapshot/${id}.jpg`]) {
        const r = await t.app.inject({ url: `${url}?token=${token}`, remoteAddress: '10.9.0.5' });
        expect(r.statusCode, `${url} ${r.body}`).toBe(400);
      }
    }
    const ws = await t.app.inject({ url: `/media/live/${police.toUpperCase()}.ws`, remoteAddress: '10.9.0.6' });
    expect(ws.statusCode).toBe(401);
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
  });

  it('a flood from one address writes one row, is rate-limited with 429, and ends as one aggregate row with the count', async () => {
    const ip = '10.9.0.3';
    const before = (await rowsOf(AUDIT.liveRefused)).length;
    const codes: Record<number, number> = {};
    for (let i = 0; i < 200; i++) {
      const r = await t.app.inject({ url: `/media/live/${camera}.flv`, remoteAddress: ip });
      codes[r.statusCode] = (codes[r.statusCode] ?? 0) + 1;
    }
    expect(codes[401]).toBe(50);
    expect(codes[429]).toBe(150);
    const limited = await t.app.inject({ url: `/media/snapshot/${camera}.jpg`, remoteAddress: ip });
    expect(limited.json().error.code).toBe('rate_limited');
    // Another address is not limited by the first one's flood.
    expect((await t.app.inject({ url: `/media/live/${camera}.flv`, remoteAddress: '10.9.0.4' })).statusCode).toBe(401);
    await new Promise((r) => setTimeout(r, 1100));
    t.gw.refusals.flushDue();
    const agg = await until(() => rowsOf(AUDIT.refusedFlood), (x) => x.some((r) => r.details.ip === ip));
    const mine = agg.filter((r) => r.details.ip === ip);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.details.count).toBe(200);
    expect(mine[0]!.details.codes).toEqual({ token_missing: 49, rate_limited: 151 });
    const single = (await rowsOf(AUDIT.liveRefused)).slice(before);
    expect(single.filter((r) => r.details.ip === ip)).toHaveLength(1);
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
  });
});

describe('the refusal aggregator', () => {
  it('keeps at most maxAddresses windows, flushing the oldest as an aggregate', () => {
    let now = 0;
    const written: AuditInput[][] = [];
    const agg = new RefusalAggregator({ intervalMs: 60_000, maxAddresses: 3, write: (rows) => void written.push(rows), now: () => now, timer: false });
    const row: AuditInput = { action: AUDIT.liveRefused, outcome: 'deny' };
    for (let a = 0; a < 10; a++) {
      for (let i = 0; i < 5; i++) {
        const first = agg.note({ ip: `10.0.0.${a}`, path: '/media/x', code: 'token_missing' }, row);
        expect(first === null).toBe(i > 0);
        now++;
      }
    }
    expect(agg.tracked).toBe(3);
    expect(written.flat()).toHaveLength(7);
    expect(written.flat().every((r) => r.action === AUDIT.refusedFlood && r.details!.count === 4)).toBe(true);
    now += 60_000;
    agg.flushDue();
    expect(agg.tracked).toBe(0);
    expect(written.flat()).toHaveLength(10);
  });
});

describe("the owners' view", () => {
  it('shows live views and snapshots, newest first, with names, paged by `before`, even after a refusal flood', async () => {
    const officer = (await t.gw.repos.users.byUsername('shouzhang.officer'))!;
    const deps = edgeDepsFor(t.gw);
    deps.audit({ type: 'snapshot', userId: officer.id, cameraId: camera, grantId: null, bytes: 1000 });
    await until(() => t.gw.repos.audit.query({ cameraId: camera, action: AUDIT.snapshot }), (x) => x.length === 1);
    const grantId = randomUUID();
    await t.gw.repos.audit.append({
      action: AUDIT.playToken, outcome: 'allow', actorUserId: officer.id, cameraId: camera, grantId, caseNo: '兖公刑立字〔2026〕118号',
      windowFrom: new Date('2026-11-20T01:00:00Z'), windowTo: new Date('2026-11-20T02:00:00Z'), details: { playAction: 'playback', emergency: false },
    });
    deps.audit({ type: 'live.open', userId: officer.id, cameraId: camera, grantId: null });
    await until(() => t.gw.repos.audit.query({ cameraId: camera, action: AUDIT.liveOpen }), (x) => x.length === 1);
    // 300 refusals of this camera from many addresses after the accesses.
    await t.gw.repos.audit.append(Array.from({ length: 300 }, (_, i) => ({ action: AUDIT.liveRefused, outcome: 'deny' as const, cameraId: camera, details: { ip: `10.8.${i >> 8}.${i & 255}` } })));

    const owner = { authorization: `Bearer ${await t.login('shouzhang-shouzhang.owner')}` };
    const page1 = await t.app.inject({ url: `/api/v1/my/cameras/${camera.toUpperCase()}/accesses?limit=2`, headers: owner });
    expect(page1.statusCode, page1.body).toBe(200);
    const b1 = page1.json();
    expect(b1.items.map((i: { kind: string }) => i.kind)).toEqual(['live', 'playback']);
    const [live, playback] = b1.items;
    expect(live).toMatchObject({
      action: AUDIT.liveOpen, grantNeeded: false, user: { id: officer.id, name: 'shouzhang.officer' }, camera: { id: camera, name: '杨家 gate' },
    });
    expect(live.station.name).toBeTruthy();
    expect(live.note).toMatch(/no grant/);
    expect(playback).toMatchObject({ grantNeeded: true, grantId, caseNo: '兖公刑立字〔2026〕118号', footage: { from: '2026-11-20T01:00:00.000Z', to: '2026-11-20T02:00:00.000Z' } });
    const page2 = (await t.app.inject({ url: `/api/v1/my/cameras/${camera}/accesses?limit=2&before=${b1.nextBefore}`, headers: owner })).json();
    expect(page2.items.map((i: { kind: string }) => i.kind)).toEqual(['snapshot']);
    expect(page2.nextBefore).toBeNull();
  });

  it('the auditor list and CSV name people, cameras and stations', async () => {
    const auditor = { authorization: `Bearer ${await t.login('shouzhang.auditor')}` };
    const list = (await t.app.inject({ url: `/api/v1/audit?cameraId=${camera}&action=${AUDIT.liveOpen}`, headers: auditor })).json();
    expect(list.items[0]).toMatchObject({ actorUsername: 'shouzhang.officer', cameraName: '杨家 gate' });
    const csv = await t.app.inject({ url: `/api/v1/audit/export.csv?cameraId=${camera}&action=${AUDIT.liveOpen}`, headers: auditor });
    expect(csv.body.split('\r\n')[0]).toContain('actorUsername');
    expect(csv.body).toContain('shouzhang.officer');
    expect(csv.body).toContain('杨家 gate');
  });
});
