// What the route-tracing workspace of the web viewer needs from the API: the route's cameras (name and place,
// partner cameras too) with the sightings, and a route report page the viewer's CSP lets render from a blob.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { viewerCsp } from '../gateway/http/web-viewer.ts';
import { REPORT_CSS } from '../gateway/tracing/route-report.ts';

let t: TestGateway;
const tokens: Record<string, string> = {};
const HOUR = 3_600_000;
let own = '';
let partner = '';

async function call(user: string, method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload && { payload }) });
  return { status: r.statusCode, body: r.headers['content-type']?.toString().includes('json') ? r.json() : r.body, headers: r.headers };
}

beforeAll(async () => {
  t = await testGateway();
  own = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.952, lon: 115.884, name: '寿张 G220 桥东' });
  partner = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: '城关 桥西' });
  for (const u of ['shouzhang.investigator', 'chengguan.investigator', 'chengguan.duty']) tokens[u] = await t.login(u);
});
afterAll(async () => {
  await t?.close();
});

describe('the sightings list carries its cameras', () => {
  it('names and places every sighting camera, for a partner member too; a non-member gets not_found', async () => {
    const c = await call('shouzhang.investigator', 'POST', '/cases', { caseNo: 'YG-VIEW-0001', title: '电瓶盗窃', openedAt: new Date(Date.now() - 6 * HOUR).toISOString() });
    expect(c.status).toBe(201);
    const caseId = c.body.id as string;
    const empty = await call('shouzhang.investigator', 'GET', `/cases/${caseId}/sightings`);
    expect(empty.body).toEqual({ items: [], cameras: [] });
    const s = await call('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: own, seenAt: new Date(Date.now() - 5 * HOUR).toISOString(), confidence: 0.9, note: '白色轿车' });
    expect(s.status).toBe(201);
    await call('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: own, seenAt: new Date(Date.now() - 4 * HOUR).toISOString(), confidence: 0.5 });
    expect((await call('shouzhang.investigator', 'POST', `/cases/${caseId}/members`, { username: 'chengguan.investigator' })).status).toBe(200);

    const station = await t.gw.repos.jurisdictions.byCode('37152101');
    for (const who of ['shouzhang.investigator', 'chengguan.investigator']) {
      const r = await call(who, 'GET', `/cases/${caseId}/sightings`);
      expect(r.status).toBe(200);
      expect(r.body.items).toHaveLength(2);
      // one entry per camera, not per sighting
      expect(r.body.cameras).toEqual([{ id: own, name: '寿张 G220 桥东', lat: 35.952, lon: 115.884, ownerClass: 'police', stationId: station!.id, removed: false }]);
    }
    expect((await call('chengguan.duty', 'GET', `/cases/${caseId}/sightings`)).status).toBe(404);
    // the partner camera is not in the route: nothing about it leaks
    expect(JSON.stringify((await call('chengguan.investigator', 'GET', `/cases/${caseId}/sightings`)).body)).not.toContain(partner);

    // a removed camera keeps its place on the route
    await t.tdb.db.query('UPDATE cameras SET removed_at = now() WHERE id = $1', [own]);
    const after = await call('shouzhang.investigator', 'GET', `/cases/${caseId}/sightings`);
    expect(after.body.cameras[0]).toMatchObject({ id: own, removed: true });
  });
});

describe('footage windows stay inside the case', () => {
  it('a sighting just after the incident gives windows from the incident on, and request all takes them', async () => {
    const openedAt = new Date(Date.now() - 3 * HOUR);
    const c = await call('shouzhang.investigator', 'POST', '/cases', { caseNo: 'YG-VIEW-0003', title: '窗口', openedAt: openedAt.toISOString() });
    const caseId = c.body.id as string;
    const own2 = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.951, lon: 115.885 });
    const s = await call('shouzhang.investigator', 'POST', `/cases/${caseId}/sightings`, { cameraId: own2, seenAt: new Date(openedAt.getTime() + 5 * 60_000).toISOString(), confidence: 0.9 });
    expect(s.status).toBe(201);
    const r = await call('shouzhang.investigator', 'POST', `/cases/${caseId}/reachable`, { from: { sightingId: s.body.id }, mode: 'car', minutes: 30, direction: 'after', slackMinutes: 15 });
    expect(r.status).toBe(200);
    const bridge = (r.body.cameras as Array<{ cameraId: string; footage: { from: string; to: string }; arrivalAt: string }>).find((x) => x.cameraId === partner)!;
    // arrival a few minutes after the sighting, minus 15 minutes of slack, would start before the incident
    expect(Date.parse(bridge.arrivalAt) - 15 * 60_000).toBeLessThan(openedAt.getTime());
    expect(bridge.footage.from).toBe(openedAt.toISOString());
    expect(Date.parse(bridge.footage.to)).toBe(Date.parse(bridge.arrivalAt) + 15 * 60_000);

    // a window sent reaching back before the case is asked for from the case's opening, not refused
    const req = await call('shouzhang.investigator', 'POST', `/cases/${caseId}/requests`, {
      cameras: [{ cameraId: partner, from: new Date(openedAt.getTime() - 10 * 60_000).toISOString(), to: bridge.footage.to }], reason: '跨县追踪', actions: ['playback'],
    });
    expect(req.status).toBe(200);
    expect(req.body.cameras[0]).toMatchObject({ cameraId: partner, outcome: 'created' });
    expect(req.body.requests[0].footage.from).toBe(openedAt.toISOString());
    // wholly before the case: refused
    const before = await call('shouzhang.investigator', 'POST', `/cases/${caseId}/requests`, {
      cameras: [{ cameraId: partner, from: new Date(openedAt.getTime() - HOUR).toISOString(), to: new Date(openedAt.getTime() - 30 * 60_000).toISOString() }], reason: '跨县追踪', actions: ['playback'],
    });
    expect(before.status).toBe(400);
    expect(before.body.error.code).toBe('time_out_of_range');
  });
});

describe('the route report page under the viewer CSP', () => {
  it('has one style block, allowed by hash in the viewer CSP, and no style attributes', async () => {
    const c = await call('shouzhang.investigator', 'POST', '/cases', { caseNo: 'YG-VIEW-0002', title: '报告', openedAt: new Date(Date.now() - HOUR).toISOString() });
    const html = await call('shouzhang.investigator', 'GET', `/cases/${c.body.id}/report.html`);
    expect(html.status).toBe(200);
    const styles = [...String(html.body).matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(styles).toEqual([REPORT_CSS]);
    expect(String(html.body)).not.toMatch(/\sstyle="/);
    const hash = createHash('sha256').update(styles[0]!).digest('base64');
    const csp = viewerCsp(null);
    expect(csp).toContain(`style-src 'self' 'sha256-${hash}'`);
    expect(csp).not.toContain('unsafe-inline');
  });
});
