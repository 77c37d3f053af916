// Route tracing through the HTTP API: scenario 1 (battery thieves cross from Yanggu into Taiqian) and
// scenario 5 (a serial case shared by two Yanzhou stations requesting Ningyang footage once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { verifyRouteReport, type SignedRouteReport } from '../gateway/tracing/route-report.ts';
import { PublicKeySet } from '../gateway/access/tokens.ts';

let t: TestGateway;
const MIN = 60_000;
const HOUR = 60 * MIN;
const now = Date.now();
// "02:00 last night": six hours ago.
const t0 = now - 6 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const tokens: Record<string, string> = {};
const cams = {} as Record<'orphanHome' | 'yanggu' | 'bridge' | 'road' | 'shop' | 'home' | 'far' | 'qianqing' | 'dongshu1' | 'dongshu2', string>;
let calls = 0;

async function api(user: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  calls++;
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload !== undefined && { payload: payload as object }) });
  return { status: r.statusCode, body: r.headers['content-type']?.toString().includes('json') ? r.json() : r.body, raw: r };
}

beforeAll(async () => {
  t = await testGateway();
  // Shouzhang's own camera on the Yanggu side of the bridge (the first sighting), Chengguan's cameras across the border.
  cams.yanggu = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.952, lon: 115.884, name: 'Shouzhang G220 bridge' });
  cams.bridge = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: 'Chengguan bridge west end' });
  cams.road = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.96, lon: 115.866, name: 'Chengguan S101' });
  cams.shop = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.962, lon: 115.878, name: 'Chengguan e-bike shop street' });
  cams.home = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: 'chengguan-chengguan.owner', lat: 35.958, lon: 115.87, name: 'Li family door' });
  // A home camera whose owner has no account and delegated nobody: no one can approve a request for it.
  cams.orphanHome = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'on_request', lat: 35.9565, lon: 115.8705, name: 'Wang family door' });
  // ~45 km away: out of reach by car in 30 minutes (50 km/h, road factor 1.3 → 19 km).
  cams.far = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.75, lon: 115.45, name: 'Chengguan far west' });
  cams.qianqing = await insertTestCamera(t.gw, { stationCode: '33060301', ownerClass: 'police', lat: 30.11, lon: 120.41 });
  cams.dongshu1 = await insertTestCamera(t.gw, { stationCode: '37092101', ownerClass: 'police', lat: 35.7, lon: 116.72, name: 'Dongshu 1' });
  cams.dongshu2 = await insertTestCamera(t.gw, { stationCode: '37092101', ownerClass: 'police', lat: 35.702, lon: 116.723, name: 'Dongshu 2' });
  for (const u of ['shouzhang.investigator', 'chengguan.investigator', 'chengguan.duty', 'chengguan-chengguan.owner', 'shouzhang.auditor',
    'caohe.investigator', 'gucun.investigator', 'dongshu.duty', 'lize.investigator']) {
    tokens[u] = await t.login(u);
  }
});
afterAll(async () => {
  await t?.close();
});

describe('scenario 1: from the first sighting to grouped requests on every reachable partner camera', () => {
  const caseNo = '阳公（刑）立字〔2026〕1123号';
  let caseId = '';
  let first = '';
  let stationGrant = '';
  let homeGrant = '';
  let reach: { cameras: Array<{ cameraId: string; ownStation: boolean; access: { canView: boolean; reason: string }; agreement: { code: string } | null; ownerStation: { name: string }; arrivalMinutes: number; footage: { from: string; to: string }; footageRecorded: boolean }> } & Record<string, unknown>;

  it('first sighting → reachable cameras → grouped requests, in at most 6 calls', async () => {
    calls = 0;
    const started = performance.now();
    const c = await api('shouzhang.investigator', 'POST', '/cases', { caseNo, title: 'E-bike battery thefts, white car', openedAt: iso(t0 - 30 * MIN) });
    expect(c.status).toBe(201);
    caseId = c.body.id;
    expect(c.body.caseNo).toBe(caseNo);
    const s = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: cams.yanggu, seenAt: iso(t0 + 5 * MIN), note: 'white car heading west onto the bridge', confidence: 0.9 });
    expect(s.status).toBe(201);
    first = s.body.id;
    const r = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { sightingId: first }, mode: 'car', minutes: 30, direction: 'after', slackMinutes: 15 });
    expect(r.status).toBe(200);
    reach = r.body;
    const ids = reach.cameras.map((x) => x.cameraId);
    expect(ids).toEqual(expect.arrayContaining([cams.bridge, cams.road, cams.shop, cams.home, cams.yanggu]));
    expect(ids).not.toContain(cams.far);
    expect(ids).not.toContain(cams.qianqing);
    const arrivals = reach.cameras.map((x) => x.arrivalMinutes);
    expect([...arrivals].sort((a, b) => a - b)).toEqual(arrivals);
    const bridge = reach.cameras.find((x) => x.cameraId === cams.bridge)!;
    expect(bridge).toMatchObject({ ownStation: false, agreement: { code: 'yanggu-taiqian' }, access: { canView: false, reason: 'other_station' }, footageRecorded: false });
    expect(bridge.ownerStation.name).toMatch(/Chengguan|城关/);
    expect(new Date(bridge.footage.to).getTime() - new Date(bridge.footage.from).getTime()).toBe(30 * MIN);
    expect(reach.cameras.find((x) => x.cameraId === cams.yanggu)!.access).toMatchObject({ canView: true, reason: 'own_station' });

    const req = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/requests`, {
      cameras: reach.cameras.map((x) => ({ cameraId: x.cameraId, from: x.footage.from, to: x.footage.to })),
      reason: 'battery thefts, white car crossed the bridge', actions: ['playback', 'export'],
    });
    expect(req.status).toBe(200);
    const elapsed = performance.now() - started;
    expect(calls).toBeLessThanOrEqual(6);
    // One request to Chengguan: its duty officers get the police cameras, the home owner the home camera.
    expect(req.body.requests).toHaveLength(1);
    const grants = req.body.requests[0].grants;
    expect(grants.map((g: { approverKind: string }) => g.approverKind).sort()).toEqual(['owner', 'station']);
    stationGrant = grants.find((g: { approverKind: string }) => g.approverKind === 'station').grantId;
    homeGrant = grants.find((g: { approverKind: string }) => g.approverKind === 'owner').grantId;
    const outcome = Object.fromEntries(req.body.cameras.map((x: { cameraId: string; outcome: string }) => [x.cameraId, x.outcome]));
    expect(outcome).toMatchObject({ [cams.bridge]: 'created', [cams.road]: 'created', [cams.shop]: 'created', [cams.home]: 'created', [cams.yanggu]: 'already_viewable', [cams.orphanHome]: 'not_requested' });
    expect(req.body.cameras.find((x: { cameraId: string }) => x.cameraId === cams.orphanHome)).toMatchObject({ reason: 'no_approver' });
    const g = await api('chengguan.duty', 'GET', `/grants/${stationGrant}`);
    expect(g.body.grant).toMatchObject({ caseNo, state: 'pending' });
    expect(g.body.grant.cameraIds.sort()).toEqual([cams.bridge, cams.road, cams.shop].sort());
    console.log(`scenario 1: ${calls} API calls, ${elapsed.toFixed(0)} ms`);
  });

  it('refuses a sighting on a camera the investigator may not view, naming the grant it needs', async () => {
    const r = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: cams.bridge, seenAt: iso(t0 + 8 * MIN), confidence: 0.8 });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('access_denied');
    expect(r.body.error.details).toMatchObject({ reason: 'other_station', needs: { cameraId: cams.bridge, actions: ['playback'] } });
  });

  it('after the Taiqian duty officer approves, the route grows and the corridor follows it', async () => {
    expect((await api('chengguan.duty', 'POST', `/grants/${stationGrant}/approve`, { cameraIds: [cams.bridge, cams.road], reason: 'bridge and road' })).status).toBe(200);
    const tok = await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: cams.bridge, action: 'playback', footage: { from: iso(t0 + 7 * MIN), to: iso(t0 + 9 * MIN) } });
    expect(tok.status).toBe(201);
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('frame at the bridge'), Buffer.from([0xff, 0xd9])]);
    const s = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, {
      cameraId: cams.bridge, seenAt: iso(t0 + 8 * MIN), note: 'same car, two people', confidence: 0.7, snapshot: { playToken: tok.body.token, jpegBase64: jpeg.toString('base64') },
    });
    expect(s.status).toBe(201);
    expect(s.body.accessGrantId).toBe(stationGrant);
    expect(s.body.snapshotSha256).toMatch(/^[0-9a-f]{64}$/);
    const img = await api('shouzhang.investigator', 'GET', `/cases/${caseId}/sightings/${s.body.id}/snapshot.jpg`);
    expect(img.status).toBe(200);
    expect(img.raw.rawPayload.equals(jpeg)).toBe(true);
    // A token for another camera does not vouch for this still.
    const other = await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: cams.yanggu, action: 'playback', footage: { from: iso(t0), to: iso(t0 + 20 * MIN) } });
    const bad = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: cams.bridge, seenAt: iso(t0 + 9 * MIN), confidence: 0.5, snapshot: { playToken: other.body.token, jpegBase64: jpeg.toString('base64') } });
    expect(bad.status).toBe(403);

    // Edited with history.
    const e = await api('shouzhang.investigator', 'PATCH', `/cases/${caseId}/sightings/${s.body.id}`, { confidence: 0.95, note: 'same car, plate 鲁P·3K2…', version: 1 });
    expect(e.status).toBe(200);
    expect(e.body.version).toBe(2);
    const stale = await api('shouzhang.investigator', 'PATCH', `/cases/${caseId}/sightings/${s.body.id}`, { confidence: 0.1, version: 1 });
    expect(stale.body.error.code).toBe('stale_version');
    const h = await api('shouzhang.investigator', 'GET', `/cases/${caseId}/sightings/${s.body.id}/history`);
    expect(h.body.items.map((x: { kind: string }) => x.kind)).toEqual(['created', 'edited']);
    expect(h.body.items[1].before.confidence).toBeCloseTo(0.7);

    const route = await api('shouzhang.investigator', 'GET', `/cases/${caseId}/sightings`);
    expect(route.body.items.map((x: { cameraId: string }) => x.cameraId)).toEqual([cams.yanggu, cams.bridge]);

    const cor = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/corridor`, { useSightings: true, widthM: 400 });
    expect(cor.status).toBe(200);
    const along = cor.body.cameras.map((x: { cameraId: string }) => x.cameraId);
    expect(along).toEqual(expect.arrayContaining([cams.yanggu, cams.bridge]));
    expect(along).not.toContain(cams.far);
    for (const x of cor.body.cameras) {
      const at = new Date(x.arrivalAt).getTime();
      expect(at).toBeGreaterThanOrEqual(t0 + 5 * MIN - 1000);
      expect(at).toBeLessThanOrEqual(t0 + 8 * MIN + 1000);
    }
    expect(cor.body.cameras.find((x: { cameraId: string }) => x.cameraId === cams.bridge).access).toMatchObject({ canView: true, reason: 'grant' });

    // From the second sighting the heading is west: cameras ahead of the car rank before those behind at similar arrival.
    const next = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { sightingId: s.body.id }, mode: 'car', minutes: 10, direction: 'after' });
    expect(next.body.origin.headingDeg).toBeGreaterThan(180);
    expect(next.body.cameras.find((x: { cameraId: string }) => x.cameraId === cams.road).headingAgreement).toBeGreaterThan(0);
    expect(next.body.cameras.find((x: { cameraId: string }) => x.cameraId === cams.yanggu).headingAgreement).toBeLessThan(0);
  });

  it('keeps the index in step with camera changes (a disabled camera drops out of the answer)', async () => {
    const before = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { sightingId: first }, mode: 'car', minutes: 30, direction: 'after' });
    expect(before.body.cameras.map((x: { cameraId: string }) => x.cameraId)).toContain(cams.shop);
    expect((await api('chengguan.duty', 'POST', `/cameras/${cams.shop}/disable`, {})).status).toBe(200);
    for (let i = 0; i < 50; i++) {
      const after = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { sightingId: first }, mode: 'car', minutes: 30, direction: 'after' });
      if (!after.body.cameras.some((x: { cameraId: string }) => x.cameraId === cams.shop)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the disabled camera is still listed');
  });

  it('catches up on rows no bus message announced (a camera written straight to the table)', async () => {
    const late = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.9545, lon: 115.875, name: 'Chengguan late install' });
    expect(await t.gw.tracing.index.catchUp()).toBeGreaterThan(0);
    const r = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { sightingId: first }, mode: 'car', minutes: 30, direction: 'after' });
    expect(r.body.cameras.map((x: { cameraId: string }) => x.cameraId)).toContain(late);
    // The grant preview's radius selection goes through the same index.
    const p = await api('shouzhang.investigator', 'POST', '/grants/preview', { near: { lat: 35.9545, lon: 115.875, radiusM: 50 }, caseNo: 'YG-PREVIEW-1', reason: 'x', actions: ['playback'], footage: { from: iso(t0), to: iso(t0 + HOUR) } });
    expect(p.status).toBe(200);
    expect(p.body.cameras.map((x: { id: string }) => x.id)).toEqual([late]);
  });

  it('timeline: sightings and granted windows per camera on one axis', async () => {
    const tl = await api('shouzhang.investigator', 'GET', `/cases/${caseId}/timeline`);
    expect(tl.status).toBe(200);
    const bridge = tl.body.cameras.find((x: { cameraId: string }) => x.cameraId === cams.bridge);
    expect(bridge.sightings).toHaveLength(1);
    expect(bridge.windows.some((w: { grantId: string; state: string }) => w.grantId === stationGrant && w.state === 'approved')).toBe(true);
    expect(tl.body.cameras[0].cameraId).toBe(cams.yanggu);
    expect(new Date(tl.body.axis.from).getTime()).toBeLessThanOrEqual(t0 + 5 * MIN);
    expect(homeGrant).toBeTruthy();
  });

  it('the route report exports signed, verifies, and a tampered copy fails; the HTML prints the route', async () => {
    // An evidence export of the case, as the export service audits it (the clip's hash and its segments' Merkle root).
    const inv = await t.gw.repos.users.byUsername('shouzhang.investigator');
    await t.gw.repos.audit.append({ action: 'video.export', outcome: 'allow', actorUserId: inv!.id, actorName: 'shouzhang.investigator', cameraId: cams.bridge, grantId: stationGrant, caseNo,
      windowFrom: new Date(t0 + 7 * MIN), windowTo: new Date(t0 + 9 * MIN), details: { exportId: '6f1c2a8e-0000-4000-8000-000000000001', clipSha256: 'd'.repeat(64), merkleRoot: 'e'.repeat(64) } });
    const r = await api('shouzhang.investigator', 'GET', `/cases/${caseId}/report.json`);
    expect(r.status).toBe(200);
    const doc = r.body as SignedRouteReport;
    expect(doc.report.evidence).toEqual([expect.objectContaining({ cameraId: cams.bridge, clipSha256: 'd'.repeat(64), merkleRoot: 'e'.repeat(64), grantId: stationGrant })]);
    expect(doc.report.case.caseNo).toBe(caseNo);
    expect(doc.report.sightings).toHaveLength(2);
    expect(doc.report.grants.map((g) => g.id)).toEqual(expect.arrayContaining([stationGrant, homeGrant]));
    expect(doc.signature.kid).toBe(t.gw.access.keyRing.activeKid);
    // Verified with nothing but the published public keys.
    const jwks = await api('shouzhang.investigator', 'GET', '/play-tokens/jwks');
    const keys = await PublicKeySet.fromJwks(jwks.body.keys);
    expect(await verifyRouteReport(doc, keys)).toEqual({ valid: true, kid: doc.signature.kid });
    const tampered = structuredClone(doc);
    tampered.report.sightings[1]!.confidence = 0.2;
    expect(await verifyRouteReport(tampered, keys)).toEqual({ valid: false, reason: 'bad_signature' });
    expect((await api('shouzhang.investigator', 'POST', '/cases/report/verify', doc)).body).toMatchObject({ valid: true });
    expect((await api('shouzhang.investigator', 'POST', '/cases/report/verify', tampered)).body).toMatchObject({ valid: false, reason: 'bad_signature' });

    const html = await api('shouzhang.investigator', 'GET', `/cases/${caseId}/report.html`);
    expect(html.status).toBe(200);
    expect(html.raw.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toContain('<svg');
    expect(html.body).toContain('<polyline');
    expect(html.body).toContain('〔2026〕1123号');
    expect(html.body).toContain('data:image/jpeg;base64,');
    expect(html.body).toContain('e'.repeat(64));
    const audit = await t.gw.repos.audit.query({ caseNo, action: 'route.report', limit: 10 });
    expect(audit.map((a) => a.details.format).sort()).toEqual(['html', 'json']);
    expect(audit[0]!.details.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('bad input gets a clear code', async () => {
    const days = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { sightingId: first }, mode: 'foot', minutes: 3 * 24 * 60, direction: 'after' });
    expect(days.body.error).toMatchObject({ code: 'travel_time_too_long', details: { maxMinutes: 360 } });
    const future = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: cams.yanggu, seenAt: iso(now + 2 * HOUR), confidence: 0.5 });
    expect(future.body.error).toMatchObject({ code: 'time_out_of_range', details: { reason: 'time_in_future' } });
    const early = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { lat: 35.95, lon: 115.88, at: iso(t0 - 2 * HOUR) }, mode: 'car', minutes: 30, direction: 'before' });
    expect(early.body.error).toMatchObject({ code: 'time_out_of_range', details: { reason: 'time_before_case' } });
    // The same case number (another spacing and width of brackets canonicalise the same) at another station.
    const taken = await api('chengguan.investigator', 'POST', '/cases', { caseNo: ' 阳公（刑）立字〔2026〕1123号 ', title: 'ours' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('case_number_taken');
    expect(taken.body.error.details.caseId).toBeUndefined();
    // Two stations racing for one new number: exactly one gets it.
    const race = await Promise.all([
      api('chengguan.investigator', 'POST', '/cases', { caseNo: '台公刑立字〔2026〕77号', title: 'a' }),
      api('shouzhang.investigator', 'POST', '/cases', { caseNo: '台公刑立字〔2026〕77号', title: 'b' }),
    ]);
    expect(race.map((r) => r.status).sort()).toEqual([201, 409]);
    const bowtie = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/requests`, { polygon: { ring: [[115.86, 35.95], [115.88, 35.97], [115.88, 35.95], [115.86, 35.97]], from: iso(t0), to: iso(t0 + HOUR) }, reason: 'x', actions: ['playback'] });
    expect(bowtie.body.error.code).toBe('polygon_self_intersects');
    const province = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/requests`, { polygon: { ring: [[114.5, 34.5], [118.5, 34.5], [118.5, 38], [114.5, 38]], from: iso(t0), to: iso(t0 + HOUR) }, reason: 'x', actions: ['playback'] });
    expect(province.body.error).toMatchObject({ code: 'area_too_large' });
    // Not a member: the case does not exist for them.
    expect((await api('chengguan.investigator', 'GET', `/cases/${caseId}`)).status).toBe(404);
    // A polygon that is fine selects through the index.
    const ok = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/requests`, { polygon: { ring: [[115.86, 35.95], [115.875, 35.95], [115.875, 35.965], [115.86, 35.965]], from: iso(t0), to: iso(t0 + HOUR) }, reason: 'wider window on the west end', actions: ['playback'] });
    expect(ok.status).toBe(200);
    expect(ok.body.cameras.map((x: { cameraId: string }) => x.cameraId)).toEqual(expect.arrayContaining([cams.bridge, cams.road, cams.home]));
  });

  it('closing the case releases its footage holds, audited; a closed case takes no sightings', async () => {
    await t.tdb.superDb.query(`INSERT INTO footage_holds (camera_id, start_at, end_at, case_no, reason) VALUES ($1, $2, $3, $4, 'case')`, [cams.bridge, new Date(t0), new Date(t0 + HOUR), caseNo]);
    const closed = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/close`, { reason: 'suspects handed over' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ holdsReleased: 1, case: { status: 'closed' } });
    const { rows } = await t.tdb.superDb.query(`SELECT released_at FROM footage_holds WHERE case_no = $1`, [caseNo]);
    expect(rows[0].released_at).not.toBeNull();
    const late = await api('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: cams.yanggu, seenAt: iso(t0 + 20 * MIN), confidence: 0.5 });
    expect(late.body.error.code).toBe('case_closed');
    const audit = await t.gw.repos.audit.query({ caseNo, limit: 100 });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['case.create', 'sighting.save', 'case.close', 'footage.release', 'grant.request']));
  });
});

describe('API description', () => {
  it('documents the case routes in OpenAPI', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(r.statusCode).toBe(200);
    const paths = Object.keys(r.json().paths);
    for (const p of ['/api/v1/cases', '/api/v1/cases/{id}/reachable', '/api/v1/cases/{id}/corridor', '/api/v1/cases/{id}/requests', '/api/v1/cases/{id}/timeline', '/api/v1/cases/{id}/report.json']) expect(paths).toContain(p);
  });
});

describe('scenario 5: one case, two Yanzhou stations, Ningyang footage requested once', () => {
  it('the owner invites a partner investigator; their overlapping request joins the first', async () => {
    const c = await api('caohe.investigator', 'POST', '/cases', { caseNo: '兖公刑立字〔2026〕118号', title: 'serial battery thefts', openedAt: iso(t0 - HOUR) });
    expect(c.status).toBe(201);
    const caseId = c.body.id;
    expect((await api('caohe.investigator', 'POST', `/cases/${caseId}/members`, { username: 'lize.investigator' })).body.error.code).toBe('no_agreement');
    const m = await api('caohe.investigator', 'POST', `/cases/${caseId}/members`, { username: 'gucun.investigator' });
    expect(m.body.members.map((x: { username: string }) => x.username).sort()).toEqual(['caohe.investigator', 'gucun.investigator']);
    expect((await api('gucun.investigator', 'POST', `/cases/${caseId}/members`, { username: 'lize.investigator' })).body.error.details.reason).toBe('not_case_owner');

    const r = await api('caohe.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { lat: 35.71, lon: 116.73, at: iso(t0) }, mode: 'ebike', minutes: 15, direction: 'before' });
    expect(r.status).toBe(200);
    const dongshu = r.body.cameras.filter((x: { cameraId: string }) => [cams.dongshu1, cams.dongshu2].includes(x.cameraId));
    expect(dongshu).toHaveLength(2);
    expect(dongshu[0].agreement.code).toBe('yanzhou-ningyang');
    expect(new Date(dongshu[0].arrivalAt).getTime()).toBeLessThan(t0);

    const window = { from: iso(t0 - HOUR), to: iso(t0 + HOUR) };
    const a = await api('caohe.investigator', 'POST', `/cases/${caseId}/requests`, { cameras: [cams.dongshu1, cams.dongshu2].map((id) => ({ cameraId: id, ...window })), reason: 'serial thefts', actions: ['playback'] });
    expect(a.body.cameras.map((x: { outcome: string }) => x.outcome)).toEqual(['created', 'created']);
    const parent = a.body.requests[0].grants[0].grantId;
    const b = await api('gucun.investigator', 'POST', `/cases/${caseId}/requests`, { cameras: [{ cameraId: cams.dongshu1, from: iso(t0 - 30 * MIN), to: iso(t0) }], reason: 'same thieves seen in Gucun', actions: ['playback'] });
    expect(b.status).toBe(200);
    expect(b.body.cameras[0]).toMatchObject({ cameraId: cams.dongshu1, outcome: 'joined' });
    expect(b.body.requests[0].grants[0]).toMatchObject({ dedup: 'joined' });
    const again = await api('caohe.investigator', 'POST', `/cases/${caseId}/requests`, { cameras: [{ cameraId: cams.dongshu2, ...window }], reason: 'again', actions: ['playback'] });
    expect(again.body.cameras[0].outcome).toBe('existing');
    const inbox = (await api('dongshu.duty', 'GET', '/grants?view=inbox')).body.items.filter((g: { caseNo: string }) => g.caseNo === '兖公刑立字〔2026〕118号');
    expect(inbox.map((g: { id: string }) => g.id)).toEqual([parent]);

    expect((await api('dongshu.duty', 'POST', `/grants/${parent}/approve`, {})).status).toBe(200);
    // The member's request followed the decision: the Gucun investigator can mark a sighting there now.
    const s = await api('gucun.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: cams.dongshu1, seenAt: iso(t0 - 10 * MIN), confidence: 0.6 });
    expect(s.status).toBe(201);
    const tl = await api('caohe.investigator', 'GET', `/cases/${caseId}/timeline`);
    const d1 = tl.body.cameras.find((x: { cameraId: string }) => x.cameraId === cams.dongshu1);
    expect(d1.windows.filter((w: { state: string }) => w.state === 'approved')).toHaveLength(2);
  });
});
