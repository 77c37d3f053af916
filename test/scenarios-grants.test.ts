// Scenarios 1, 2, 4 and 5 of shared/domain.md through the HTTP API and the events socket (no video).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { connectEvents } from './helpers/ws.ts';
import { verifyAuditChain } from '../gateway/audit/verify.ts';
import type { RevocationNotice } from '../gateway/access/runtime.ts';

let t: TestGateway;
const HOUR = 3_600_000;
const now = Date.now();
// "02:00-04:00 last night": a two-hour window ending four hours ago.
const night = { from: new Date(now - 6 * HOUR).toISOString(), to: new Date(now - 4 * HOUR).toISOString() };
const inside = { from: new Date(now - 5.5 * HOUR).toISOString(), to: new Date(now - 5 * HOUR).toISOString() };

type CamKey = 'bridge' | 'road' | 'shop' | 'home' | 'homeStation' | 'yanggu' | 'junction' | 'g104east' | 'qqHome' | 'dongshu1' | 'dongshu2';
const cams = {} as Record<CamKey, string>;
const tokens: Record<string, string> = {};

async function api(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload !== undefined && { payload: payload as object }) });
  return { status: r.statusCode, body: r.headers['content-type']?.toString().includes('json') ? r.json() : r.body };
}

beforeAll(async () => {
  t = await testGateway();
  // Taiqian Chengguan cameras by the bridge the car crossed; one Shouzhang camera on the Yanggu side.
  cams.bridge = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: 'Chengguan bridge west end' });
  cams.road = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.96, lon: 115.866, name: 'Chengguan S101' });
  cams.shop = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.962, lon: 115.878, name: 'Chengguan e-bike shop street' });
  cams.home = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: 'chengguan-chengguan.owner', lat: 35.958, lon: 115.87, name: 'Li family door' });
  cams.homeStation = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'station', ownerUsername: 'chengguan-chengguan.owner', lat: 35.957, lon: 115.871, name: 'Li family lane' });
  cams.yanggu = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.952, lon: 115.884, name: 'Shouzhang G220 bridge' });
  // Scenario 2: Qianqing cameras at National Road 104 × Qunxian Road, and a home camera shared with the station.
  cams.junction = await insertTestCamera(t.gw, { stationCode: '33060301', ownerClass: 'police', lat: 30.11, lon: 120.41, name: 'G104 × Qunxian Rd' });
  cams.g104east = await insertTestCamera(t.gw, { stationCode: '33060301', ownerClass: 'police', lat: 30.112, lon: 120.415, name: 'G104 east' });
  cams.qqHome = await insertTestCamera(t.gw, { stationCode: '33060301', ownerClass: 'household', sharingMode: 'station', ownerUsername: 'qianqing-qianqing.owner', lat: 30.111, lon: 120.412, name: 'Qianqing home' });
  // Scenario 5: Ningyang's Dongshu cameras on the city border.
  cams.dongshu1 = await insertTestCamera(t.gw, { stationCode: '37092101', ownerClass: 'police', lat: 35.7, lon: 116.72 });
  cams.dongshu2 = await insertTestCamera(t.gw, { stationCode: '37092101', ownerClass: 'police', lat: 35.702, lon: 116.723 });
  for (const u of ['shouzhang.investigator', 'chengguan.duty', 'chengguan-chengguan.owner', 'shouzhang.auditor', 'yaqian.officer', 'qianqing.duty',
    'qianqing-qianqing.owner', 'caohe.investigator', 'gucun.investigator', 'dongshu.duty']) {
    tokens[u] = await t.login(u);
  }
});
afterAll(async () => {
  await t?.close();
});

describe('scenario 1 + 4: battery thieves cross the county line; the grant is later revoked', () => {
  let grantId = '';
  let homeGrantId = '';
  let playToken = '';

  it('preview expands the cameras within reach and shows the agreement, sending nothing', async () => {
    const r = await api('shouzhang.investigator', 'POST', '/grants/preview', {
      near: { lat: 35.955, lon: 115.875, radiusM: 2000 }, caseNo: 'YG-2026-1123-01', reason: 'battery thefts, white car', actions: ['playback', 'export'], footage: night,
    });
    expect(r.status).toBe(200);
    const ids = r.body.cameras.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining([cams.bridge, cams.road, cams.shop, cams.home, cams.yanggu]));
    const station = r.body.groups.find((g: { approverKind: string }) => g.approverKind === 'station');
    expect(station.agreement.code).toBe('yanggu-taiqian');
    expect(station.cameraIds.sort()).toEqual([cams.bridge, cams.road, cams.shop].sort());
    // Both home cameras go to their owner: 'station' consent covers the owner's own station only.
    expect(r.body.groups.find((g: { approverKind: string }) => g.approverKind === 'owner').cameraIds.sort()).toEqual([cams.home, cams.homeStation].sort());
    const excluded = Object.fromEntries(r.body.excluded.map((e: { cameraId: string; reason: string }) => [e.cameraId, e.reason]));
    expect(excluded[cams.yanggu]).toBe('not_needed');
    expect(excluded[cams.homeStation]).toBeUndefined();
    expect((await api('chengguan.duty', 'GET', '/grants?view=inbox')).body.items).toHaveLength(0);
  });

  it('request → pushed to the Taiqian duty officer → narrowed approval → pushed to the investigator', async () => {
    const duty = await connectEvents(t.app, tokens['chengguan.duty']!);
    const inv = await connectEvents(t.app, tokens['shouzhang.investigator']!, 'message');
    const owner = await connectEvents(t.app, tokens['chengguan-chengguan.owner']!);
    const r = await api('shouzhang.investigator', 'POST', '/grants', {
      near: { lat: 35.955, lon: 115.875, radiusM: 2000 }, caseNo: 'YG-2026-1123-01', reason: 'battery thefts, white car', actions: ['playback', 'export'], footage: night,
    });
    expect(r.status).toBe(201);
    expect(r.body.grants).toHaveLength(2);
    const station = r.body.grants.find((g: { grant: { approverKind: string } }) => g.grant.approverKind === 'station');
    grantId = station.grant.id;
    homeGrantId = r.body.grants.find((g: { grant: { approverKind: string } }) => g.grant.approverKind === 'owner').grant.id;
    expect(station.grant.state).toBe('pending');

    const pushed = await duty.next((m) => m.type === 'grant.requested');
    expect(pushed.payload.grantId).toBe(grantId);
    expect(pushed.payload.caseNo).toBe('YG-2026-1123-01');
    const ownerPush = await owner.next((m) => m.type === 'grant.requested');
    expect(ownerPush.payload.grantId).toBe(homeGrantId);
    // The duty officer does not see the home camera's request; the owner does not see the station's.
    expect(duty.messages.some((m) => m.payload.grantId === homeGrantId)).toBe(false);
    expect(owner.messages.some((m) => m.payload.grantId === grantId)).toBe(false);

    const inbox = await api('chengguan.duty', 'GET', '/grants?view=inbox');
    expect(inbox.body.items.map((g: { id: string }) => g.id)).toEqual([grantId]);

    const ok = await api('chengguan.duty', 'POST', `/grants/${grantId}/approve`, {
      cameraIds: [cams.bridge, cams.road], footage: { from: night.from, to: new Date(now - 4.5 * HOUR).toISOString() }, reason: 'bridge and road only', version: station.grant.version,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.grant.state).toBe('approved');
    expect(ok.body.grant.cameraIds.sort()).toEqual([cams.bridge, cams.road].sort());
    expect(ok.body.grant.requestedCameraIds).toHaveLength(3);
    const decided = await inv.next((m) => m.type === 'grant.decided' && m.payload.grantId === grantId);
    expect(decided.payload.decision).toBe('approved');

    const home = await api('chengguan-chengguan.owner', 'POST', `/grants/${homeGrantId}/approve`, { reason: 'ok for this case' });
    expect(home.status).toBe(200);
    await inv.next((m) => m.type === 'grant.decided' && m.payload.grantId === homeGrantId);
    for (const c of [duty, inv, owner]) c.close();
  });

  it('play tokens work for exactly the approved cameras, actions and footage window', async () => {
    const ok = await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: cams.bridge, action: 'playback', footage: inside });
    expect(ok.status).toBe(201);
    expect(ok.body.grantId).toBe(grantId);
    playToken = ok.body.token;
    const auth = await t.gw.access.authorizePlay({ token: playToken, cameraId: cams.bridge, action: 'playback', footage: { from: new Date(inside.from), to: new Date(inside.to) } });
    expect(auth.grantId).toBe(grantId);
    expect(auth.userId).toBe((await t.gw.repos.users.byUsername('shouzhang.investigator'))!.id);

    // Narrowed out, never asked, outside the window, an action not granted, other camera with this token.
    const refusals = [
      [{ cameraId: cams.shop, action: 'playback', footage: inside }, 'other_station'],
      [{ cameraId: cams.road, action: 'playback', footage: { from: night.from, to: night.to } }, 'footage_outside_grant'],
      [{ cameraId: cams.road, action: 'live' }, 'other_station'],
      [{ cameraId: cams.bridge, action: 'playback', footage: inside, grantId: homeGrantId }, 'grant_not_for_camera'],
    ] as const;
    for (const [body, reason] of refusals) {
      const r = await api('shouzhang.investigator', 'POST', '/play-tokens', body);
      expect(r.status, JSON.stringify(body)).toBe(403);
      expect(r.body.error.details.reason, JSON.stringify(body)).toBe(reason);
    }
    await expect(t.gw.access.authorizePlay({ token: playToken, cameraId: cams.road, action: 'playback', footage: { from: new Date(inside.from), to: new Date(inside.to) } }))
      .rejects.toMatchObject({ code: 'access_denied', details: { reason: 'token_not_for_camera' } });
    await expect(t.gw.access.authorizePlay({ token: playToken, cameraId: cams.bridge, action: 'playback', footage: { from: new Date(night.from), to: new Date(inside.to) } }))
      .rejects.toMatchObject({ details: { reason: 'footage_outside_token' } });
    await expect(t.gw.access.authorizePlay({ token: playToken, cameraId: cams.bridge, action: 'export', footage: { from: new Date(inside.from), to: new Date(inside.to) } }))
      .rejects.toMatchObject({ details: { reason: 'token_action_not_allowed' } });

    const home = await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: cams.home, action: 'export', footage: inside });
    expect(home.status).toBe(201);
    expect(home.body.grantId).toBe(homeGrantId);
  });

  it('revocation: the requester is told, open sessions are told to close, and the token is refused', async () => {
    const inv = await connectEvents(t.app, tokens['shouzhang.investigator']!);
    const notices: RevocationNotice[] = [];
    const off = t.gw.access.onRevocation((n) => notices.push(n));
    const r = await api('chengguan.duty', 'POST', `/grants/${grantId}/revoke`, { reason: 'over-broad: wrong case' });
    expect(r.status).toBe(200);
    expect(r.body.grant.state).toBe('revoked');
    const pushed = await inv.next((m) => m.type === 'grant.revoked');
    expect(pushed.payload.grantId).toBe(grantId);
    expect(notices.some((n) => n.reason === 'grant_revoked' && n.grantIds?.includes(grantId))).toBe(true);
    await expect(t.gw.access.authorizePlay({ token: playToken, cameraId: cams.bridge, action: 'playback', footage: { from: new Date(inside.from), to: new Date(inside.to) } }))
      .rejects.toMatchObject({ code: 'grant_revoked' });
    const again = await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: cams.bridge, action: 'playback', footage: inside, grantId });
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('grant_revoked');
    off();
    inv.close();
  });

  it('the home owner sees every access to their camera: when, which station, which case, which window', async () => {
    const r = await api('chengguan-chengguan.owner', 'GET', `/my/cameras/${cams.home}/accesses`);
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items[0]).toMatchObject({ kind: 'export', caseNo: 'YG-2026-1123-01', grantId: homeGrantId, station: { name: expect.stringContaining('Shouzhang') } });
    expect(new Date(r.body.items[0].footage.from).toISOString()).toBe(inside.from);
    // Someone else's camera, or a police user: refused.
    expect((await api('chengguan-chengguan.owner', 'GET', `/my/cameras/${cams.bridge}/accesses`)).status).toBe(403);
    expect((await api('chengguan.duty', 'GET', `/my/cameras/${cams.home}/accesses`)).status).toBe(403);
  });

  it('the audit shows the views, refusals and the revocation; CSV export; the chain is intact', async () => {
    const rows = await t.gw.repos.audit.query({ caseNo: 'YG-2026-1123-01', limit: 1000 });
    const actions = rows.map((r) => `${r.action}:${r.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['grant.request:ok', 'grant.approve:ok', 'play.token:allow', 'grant.revoke:ok']));
    expect(rows.some((r) => r.action === 'play.token' && r.outcome === 'deny' && r.reason === 'footage_outside_grant')).toBe(true);
    const revoke = rows.find((r) => r.action === 'grant.revoke')!;
    expect(revoke.reason).toBe('over-broad: wrong case');
    const csv = await api('shouzhang.auditor', 'GET', `/audit/export.csv?caseNo=YG-2026-1123-01`);
    expect(csv.status).toBe(200);
    const lines = String(csv.body).trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,at,actorUserId/);
    expect(lines.length - 1).toBe(rows.length);
    expect((await api('shouzhang.investigator', 'GET', '/audit/export.csv')).status).toBe(403);
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
  });
});

describe('scenario 2: missing elderly man, emergency grant across the Zhejiang city border', () => {
  it('starts at once, is short and flagged, notifies the station and home owners, and waits for review', async () => {
    const duty = await connectEvents(t.app, tokens['qianqing.duty']!);
    const owner = await connectEvents(t.app, tokens['qianqing-qianqing.owner']!);
    // The owner shares with their station and agreed that emergencies may bypass that (default: no).
    await t.gw.repos.cameras.addConsent({ cameraId: cams.qqHome, sharingMode: 'station', consentDate: '2026-11-01', recordedBy: null, documentRef: null, emergencyBypass: true });
    const r = await api('yaqian.officer', 'POST', '/grants', {
      near: { lat: 30.11, lon: 120.41, radiusM: 1500 }, caseNo: 'YQ-2026-1123-07', reason: 'missing elderly man, 82, last seen on G104',
      actions: ['live', 'playback'], footage: { from: new Date(now - HOUR).toISOString(), to: new Date(now).toISOString() }, emergency: true,
    });
    expect(r.status).toBe(201);
    expect(r.body.grants).toHaveLength(1);
    const g = r.body.grants[0].grant;
    expect(g).toMatchObject({ state: 'approved', emergency: true, reviewState: 'pending_review' });
    expect(g.cameraIds.sort()).toEqual([cams.junction, cams.g104east, cams.qqHome].sort());
    const minutes = (new Date(g.expiresAt).getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(28);
    expect(minutes).toBeLessThanOrEqual(30);
    expect((await duty.next((m) => m.type === 'grant.emergency')).payload.grantId).toBe(g.id);
    expect((await owner.next((m) => m.type === 'grant.emergency')).payload.grantId).toBe(g.id);

    const live = await api('yaqian.officer', 'POST', '/play-tokens', { cameraId: cams.junction, action: 'live' });
    expect(live.status).toBe(201);
    const a = await t.gw.access.authorizePlay({ token: live.body.token, cameraId: cams.junction, action: 'live' });
    expect(a.grantId).toBe(g.id);
    expect(a.until.getTime()).toBeLessThanOrEqual(new Date(g.expiresAt).getTime());

    const queue = await api('qianqing.duty', 'GET', '/grants?view=review');
    expect(queue.body.items.map((x: { id: string }) => x.id)).toEqual([g.id]);
    expect((await api('yaqian.officer', 'POST', `/grants/${g.id}/review`, { verdict: 'upheld' })).status).toBe(403);
    const reviewed = await api('qianqing.duty', 'POST', `/grants/${g.id}/review`, { verdict: 'upheld', note: 'found at 03:10, safe' });
    expect(reviewed.body.grant.reviewState).toBe('upheld');
    expect((await api('qianqing.duty', 'GET', '/grants?view=review')).body.items).toHaveLength(0);
    expect((await api('qianqing.duty', 'POST', `/grants/${g.id}/review`, { verdict: 'misuse' })).body.error.code).toBe('grant_already_reviewed');
    duty.close();
    owner.close();
  });

  it('an agreement without emergency grants refuses one with a code', async () => {
    const r = await api('caohe.investigator', 'POST', '/grants', {
      cameraIds: [cams.dongshu1], caseNo: 'YZ-1', reason: 'x', actions: ['playback'], footage: night, emergency: true,
    });
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'outside_agreement', details: { reason: 'emergency_not_allowed' } });
  });
});

describe('scenario 5: serial case across Yanzhou and Ningyang — one footage window requested once', () => {
  it('a second station asking the same case and cameras joins the request; no second approval task', async () => {
    const base = { caseNo: 'JN-2026-0815', reason: 'serial battery thefts', actions: ['playback'], footage: night };
    const first = await api('caohe.investigator', 'POST', '/grants', { ...base, cameraIds: [cams.dongshu1, cams.dongshu2] });
    expect(first.body.grants[0].dedup).toBe('created');
    const parent = first.body.grants[0].grant.id;
    const second = await api('gucun.investigator', 'POST', '/grants', { ...base, cameraIds: [cams.dongshu1], footage: inside });
    expect(second.status).toBe(201);
    expect(second.body.grants[0]).toMatchObject({ dedup: 'joined', joinedTo: parent });
    const again = await api('caohe.investigator', 'POST', '/grants', { ...base, cameraIds: [cams.dongshu2] });
    expect(again.body.grants[0]).toMatchObject({ dedup: 'existing', joinedTo: parent });
    expect((await api('dongshu.duty', 'GET', '/grants?view=inbox')).body.items.map((g: { id: string }) => g.id)).toEqual([parent]);

    expect((await api('dongshu.duty', 'POST', `/grants/${parent}/approve`, {})).status).toBe(200);
    const member = second.body.grants[0].grant.id;
    const m = await api('gucun.investigator', 'GET', `/grants/${member}`);
    expect(m.body.grant).toMatchObject({ state: 'approved', cameraIds: [cams.dongshu1] });
    expect((await api('gucun.investigator', 'POST', '/play-tokens', { cameraId: cams.dongshu1, action: 'playback', footage: inside })).status).toBe(201);
    // The member got only what it asked: camera 2 and the wider window are not its.
    expect((await api('gucun.investigator', 'POST', '/play-tokens', { cameraId: cams.dongshu2, action: 'playback', footage: inside })).status).toBe(403);
    // A member cannot be decided on separately.
    expect((await api('dongshu.duty', 'POST', `/grants/${member}/approve`, {})).body.error.code).toBe('grant_not_pending');
  });

  it('an overlapping request for the same case widens the pending one instead of opening a second task', async () => {
    const base = { caseNo: 'JN-2026-0816', reason: 'same car seen again', actions: ['playback'] };
    const first = await api('caohe.investigator', 'POST', '/grants', { ...base, cameraIds: [cams.dongshu1], footage: inside });
    const second = await api('caohe.investigator', 'POST', '/grants', { ...base, cameraIds: [cams.dongshu1, cams.dongshu2], footage: night });
    expect(second.body.grants[0]).toMatchObject({ dedup: 'extended', joinedTo: first.body.grants[0].grant.id });
    expect(second.body.grants[0].grant.cameraIds.sort()).toEqual([cams.dongshu1, cams.dongshu2].sort());
    expect(new Date(second.body.grants[0].grant.footage.from).toISOString()).toBe(night.from);
    const inbox = (await api('dongshu.duty', 'GET', '/grants?view=inbox')).body.items.filter((g: { caseNo: string }) => g.caseNo === base.caseNo);
    expect(inbox).toHaveLength(1);
  });
});

describe('scenario 3 (consent side): a home camera shared only on request, inside the requester’s own station', () => {
  it('the delegated village committee approves; a committee without delegation cannot; the owner sees the access', async () => {
    const delegated = await insertTestCamera(t.gw, { stationCode: '37167101', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: 'lize-xijie.owner', delegatedToCommittee: true, lat: 37.418, lon: 117.838 });
    const notDelegated = await insertTestCamera(t.gw, { stationCode: '37167101', ownerClass: 'household', sharingMode: 'never_live', ownerUsername: 'lize-xijie.owner', lat: 37.424, lon: 117.845 });
    for (const u of ['lize.investigator', 'lize-xijie.committee', 'lize-xijie.owner', 'lize.duty']) tokens[u] = await t.login(u);
    // Without a grant, the station's own investigator is refused: the owner shares only on request.
    const before = await api('lize.investigator', 'POST', '/play-tokens', { cameraId: delegated, action: 'playback', footage: inside });
    expect(before.body.error.details.reason).toBe('sharing_mode_on_request_needs_grant');

    const r = await api('lize.investigator', 'POST', '/grants', { cameraIds: [delegated, notDelegated], caseNo: 'LZ-2026-0042', reason: 'bicycle theft in the lane', actions: ['playback'], footage: night });
    expect(r.status).toBe(201);
    expect(r.body.grants).toHaveLength(2);
    const byCam = (id: string) => r.body.grants.find((g: { grant: { cameraIds: string[] } }) => g.grant.cameraIds.includes(id)).grant.id as string;
    expect((await api('lize.duty', 'POST', `/grants/${byCam(delegated)}/approve`, {})).body.error.code).toBe('not_approver');
    expect((await api('lize-xijie.committee', 'POST', `/grants/${byCam(notDelegated)}/approve`, {})).body.error).toMatchObject({ code: 'not_approver', details: { reason: 'not_delegated' } });
    expect((await api('lize-xijie.committee', 'GET', '/grants?view=inbox')).body.items.map((g: { id: string }) => g.id)).toEqual([byCam(delegated)]);
    expect((await api('lize-xijie.committee', 'POST', `/grants/${byCam(delegated)}/approve`, {})).status).toBe(200);
    expect((await api('lize-xijie.owner', 'POST', `/grants/${byCam(notDelegated)}/deny`, { reason: 'no, thank you' })).body.grant.state).toBe('denied');

    expect((await api('lize.investigator', 'POST', '/play-tokens', { cameraId: delegated, action: 'playback', footage: inside })).status).toBe(201);
    expect((await api('lize.investigator', 'POST', '/play-tokens', { cameraId: notDelegated, action: 'playback', footage: inside })).status).toBe(403);
    const seen = await api('lize-xijie.owner', 'GET', `/my/cameras/${delegated}/accesses`);
    expect(seen.body.items).toHaveLength(1);
    expect(seen.body.items[0]).toMatchObject({ caseNo: 'LZ-2026-0042', kind: 'playback', station: { name: expect.stringContaining('Lize') } });
  });
});
