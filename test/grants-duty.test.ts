// Issue 8 §6: grants behave as a duty officer expects — one approval task for simultaneous identical requests,
// joined requests outlive a withdrawal, nothing is sent to owners who cannot act, never_live and future windows
// are settled at request time, emergencies respect the owner's consent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';

let t: TestGateway;
const HOUR = 3_600_000;
const now = Date.now();
const night = { from: new Date(now - 6 * HOUR).toISOString(), to: new Date(now - 4 * HOUR).toISOString() };
const tokens: Record<string, string> = {};
const cams = {} as Record<'bridge' | 'road' | 'neverLive' | 'inactiveOwner' | 'qqPolice' | 'qqOnRequest', string>;

async function api(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload !== undefined && { payload: payload as object }) });
  return { status: r.statusCode, body: r.json() };
}

beforeAll(async () => {
  t = await testGateway();
  cams.bridge = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: 'Chengguan bridge' });
  cams.road = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.96, lon: 115.866, name: 'Chengguan S101' });
  cams.neverLive = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'never_live', ownerUsername: 'chengguan-chengguan.owner', lat: 35.957, lon: 115.871 });
  // A home camera whose owner account was created at enrolment and never activated.
  const village = (await t.gw.repos.users.byUsername('chengguan-chengguan.owner'))!.jurisdictionId;
  await t.gw.repos.users.upsert({ username: 'owner-13700000001', displayName: '李四', role: 'household_owner', jurisdictionId: village, passwordHash: '!disabled:x' });
  cams.inactiveOwner = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: 'owner-13700000001', lat: 35.9575, lon: 115.8705 });
  cams.qqPolice = await insertTestCamera(t.gw, { stationCode: '33060301', ownerClass: 'police', lat: 30.11, lon: 120.41 });
  cams.qqOnRequest = await insertTestCamera(t.gw, { stationCode: '33060301', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: 'qianqing-qianqing.owner', lat: 30.111, lon: 120.412 });
  for (const u of ['shouzhang.investigator', 'shouzhang.officer', 'jindouying.investigator', 'chengguan.duty', 'yaqian.officer']) tokens[u] = await t.login(u);
});
afterAll(async () => {
  await t?.close();
});

describe('deduplication is serialised per station and case', () => {
  it('two identical requests sent at the same instant make one approval task, every time', async () => {
    for (let i = 0; i < 12; i++) {
      const body = { cameraIds: [cams.bridge], caseNo: `兖公刑立字〔2026〕${200 + i}号`, reason: 'battery thefts', actions: ['playback'], footage: night };
      const [a, b] = await Promise.all([api('shouzhang.investigator', 'POST', '/grants', body), api('shouzhang.officer', 'POST', '/grants', body)]);
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      expect(b.status, JSON.stringify(b.body)).toBe(201);
      const outcomes = [a.body.grants[0].dedup, b.body.grants[0].dedup].sort();
      expect(outcomes, `trial ${i}`).toEqual(['created', 'joined']);
      const inbox = (await api('chengguan.duty', 'GET', '/grants?view=inbox')).body.items.filter((g: { caseNo: string }) => g.caseNo === body.caseNo);
      expect(inbox).toHaveLength(1);
    }
  });
});

describe('a withdrawal is the requester’s own', () => {
  it('the first requester withdraws: those who joined keep their requests, one leads, the duty officer still sees one task', async () => {
    const body = { cameraIds: [cams.bridge, cams.road], caseNo: 'YG-2026-W1', reason: 'serial thefts', actions: ['playback'], footage: night };
    const first = await api('shouzhang.investigator', 'POST', '/grants', body);
    const second = await api('shouzhang.officer', 'POST', '/grants', { ...body, cameraIds: [cams.bridge] });
    const third = await api('jindouying.investigator', 'POST', '/grants', { ...body, cameraIds: [cams.road] });
    expect(second.body.grants[0].dedup).toBe('joined');
    const parent = first.body.grants[0].grant.id as string;
    const w = await api('shouzhang.investigator', 'POST', `/grants/${parent}/revoke`, { reason: 'my part of the case is closed' });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    expect(w.body.grant.state).toBe('withdrawn');
    const mine = async (u: string) => (await api(u, 'GET', '/grants?view=mine')).body.items.find((g: { caseNo: string }) => g.caseNo === body.caseNo);
    const s = await mine('shouzhang.officer');
    const j = await mine('jindouying.investigator');
    expect(s.state).toBe('pending');
    expect(j.state).toBe('pending');
    // The officer's request leads; the Jindouying request asked for a camera the leader did not, so it stands alone.
    expect(s.parentId).toBeNull();
    expect(j.parentId).toBeNull();
    expect(s.cameraIds).toEqual([cams.bridge]);
    expect(j.cameraIds).toEqual([cams.road]);
    const inbox = (await api('chengguan.duty', 'GET', '/grants?view=inbox')).body.items.filter((g: { caseNo: string }) => g.caseNo === body.caseNo);
    expect(inbox.map((g: { id: string }) => g.id).sort()).toEqual([s.id, j.id].sort());
    const ok = await api('chengguan.duty', 'POST', `/grants/${s.id}/approve`, {});
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.grant.state).toBe('approved');
  });

  it('a joiner covered by the new leader rejoins it and follows its decision', async () => {
    const body = { cameraIds: [cams.bridge], caseNo: 'YG-2026-W2', reason: 'serial thefts', actions: ['playback'], footage: night };
    const first = await api('shouzhang.investigator', 'POST', '/grants', body);
    const second = await api('shouzhang.officer', 'POST', '/grants', body);
    const third = await api('jindouying.investigator', 'POST', '/grants', body);
    expect([second.body.grants[0].dedup, third.body.grants[0].dedup]).toEqual(['joined', 'joined']);
    await api('shouzhang.investigator', 'POST', `/grants/${first.body.grants[0].grant.id}/revoke`, { reason: 'withdrawn' });
    const lead = second.body.grants[0].grant.id as string;
    const follower = third.body.grants[0].grant.id as string;
    expect((await api('chengguan.duty', 'POST', `/grants/${lead}/approve`, {})).status).toBe(200);
    const f = await api('jindouying.investigator', 'GET', `/grants/${follower}`);
    expect(f.body.grant).toMatchObject({ state: 'approved', parentId: lead });
  });
});

describe('requests are settled at request time', () => {
  it('owners who can never act get nothing; the preview says no_approver', async () => {
    const p = await api('shouzhang.investigator', 'POST', '/grants/preview', { cameraIds: [cams.bridge, cams.inactiveOwner], caseNo: 'YG-2026-N1', reason: 'x', actions: ['playback'], footage: night });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.excluded).toEqual([expect.objectContaining({ cameraId: cams.inactiveOwner, reason: 'no_approver' })]);
    expect(p.body.groups.flatMap((g: { cameraIds: string[] }) => g.cameraIds)).toEqual([cams.bridge]);
    const r = await api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cams.bridge, cams.inactiveOwner], caseNo: 'YG-2026-N1', reason: 'x', actions: ['playback'], footage: night });
    expect(r.status).toBe(201);
    expect(r.body.grants.flatMap((g: { grant: { cameraIds: string[] } }) => g.grant.cameraIds)).toEqual([cams.bridge]);
    const alone = await api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cams.inactiveOwner], caseNo: 'YG-2026-N2', reason: 'x', actions: ['playback'], footage: night });
    expect(alone.status).toBe(400);
    expect(alone.body.error.details.reason).toBe('nothing_to_request');
  });

  it('live on a never_live camera is refused when asked', async () => {
    const r = await api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cams.neverLive], caseNo: 'YG-2026-L1', reason: 'x', actions: ['live'] });
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'camera_not_requestable', details: { reason: 'never_live' } });
  });

  it('footage windows: starting in the future is refused, ending in the future is clamped to now and said so', async () => {
    const future = { from: new Date(Date.now() + HOUR).toISOString(), to: new Date(Date.now() + 2 * HOUR).toISOString() };
    const refused = await api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cams.road], caseNo: 'YG-2026-F1', reason: 'x', actions: ['playback'], footage: future });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.reason).toBe('footage_in_future');
    const spanning = { from: new Date(Date.now() - HOUR).toISOString(), to: new Date(Date.now() + HOUR).toISOString() };
    const r = await api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cams.road], caseNo: 'YG-2026-F2', reason: 'x', actions: ['playback'], footage: spanning });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.notes).toEqual([expect.objectContaining({ code: 'footage_clamped_to_now' })]);
    expect(new Date(r.body.grants[0].grant.footage.to).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('an emergency does not cover an on_request home camera unless its owner allowed it; the preview says why', async () => {
    const body = { near: { lat: 30.11, lon: 120.41, radiusM: 1500 }, caseNo: 'YQ-2026-E1', reason: 'missing man', actions: ['live'], emergency: true };
    const p = await api('yaqian.officer', 'POST', '/grants/preview', body);
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.excluded).toEqual(expect.arrayContaining([expect.objectContaining({ cameraId: cams.qqOnRequest, reason: 'owner_not_asked' })]));
    expect(p.body.groups.flatMap((g: { cameraIds: string[] }) => g.cameraIds)).not.toContain(cams.qqOnRequest);
    await t.gw.repos.cameras.addConsent({ cameraId: cams.qqOnRequest, sharingMode: 'on_request', consentDate: '2026-11-20', recordedBy: null, documentRef: null, emergencyBypass: true });
    const after = await api('yaqian.officer', 'POST', '/grants/preview', body);
    expect(after.body.groups.flatMap((g: { cameraIds: string[] }) => g.cameraIds)).toContain(cams.qqOnRequest);
  });
});
