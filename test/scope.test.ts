// Issue 8 §6 scope: camera lists, fields and camera events decided by scope(subject), over HTTP and the ws hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { connectEvents, type EventClient } from './helpers/ws.ts';

let t: TestGateway;
const tokens: Record<string, string> = {};
let home = '';
let policeInVillage = '';

async function list(user: string) {
  const r = await t.app.inject({ url: '/api/v1/cameras', headers: { authorization: `Bearer ${tokens[user]}` } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().items as Array<{ id: string; stationId: string; ownerName: string | null; address: string | null; endpoint: string | null }>;
}

beforeAll(async () => {
  t = await testGateway();
  home = await insertTestCamera(t.gw, { stationCode: '37167101', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: 'lize-xijie.owner', lat: 37.42, lon: 117.84 });
  await t.gw.repos.cameras.update(home, { ownerName: '张秀英', address: '西街村 1排3号' });
  policeInVillage = await insertTestCamera(t.gw, { stationCode: '37167101', ownerClass: 'police', lat: 37.421, lon: 117.841 });
  // Enrolment gives a police camera inside a village boundary that village too.
  await t.gw.repos.cameras.update(policeInVillage, { villageId: (await t.gw.repos.users.byUsername('lize-xijie.committee'))!.jurisdictionId });
  await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872 });
  for (const u of ['lize.auditor', 'lize-xijie.committee', 'lize-xijie.owner', 'lize-dongjie.owner', 'lize-dongjie.committee', 'lize.officer', 'lize.duty', 'admin']) tokens[u] = await t.login(u);
});
afterAll(async () => {
  await t?.close();
});

describe('camera lists', () => {
  it('an auditor lists cameras of every station without owners’ names, addresses or device addresses', async () => {
    const items = await list('lize.auditor');
    expect(new Set(items.map((c) => c.stationId)).size).toBeGreaterThan(1);
    const h = items.find((c) => c.id === home)!;
    expect(h).toMatchObject({ ownerName: null, address: null, endpoint: null });
  });

  it('a committee lists its village’s home camera but not the police camera inside the village', async () => {
    const ids = (await list('lize-xijie.committee')).map((c) => c.id);
    expect(ids).toContain(home);
    expect(ids).not.toContain(policeInVillage);
    const detail = await t.app.inject({ url: `/api/v1/cameras/${policeInVillage}`, headers: { authorization: `Bearer ${tokens['lize-xijie.committee']}` } });
    expect(detail.statusCode).toBe(404);
  });

  it('only managers see IP:port; the station’s officer sees the owner (to serve them) but not the device address', async () => {
    const officer = (await list('lize.officer')).find((c) => c.id === home)!;
    expect(officer).toMatchObject({ ownerName: '张秀英', endpoint: null });
    const committee = (await list('lize-xijie.committee')).find((c) => c.id === home)!;
    expect(committee.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    const duty = (await list('lize.duty')).find((c) => c.id === policeInVillage)!;
    expect(duty.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('camera events', () => {
  it('a home camera’s state reaches its owner, its committee and the station’s police, not other owners, other committees or the auditor; the reason only its managers', async () => {
    const clients: Record<string, EventClient> = {};
    for (const u of ['lize-xijie.owner', 'lize-dongjie.owner', 'lize-xijie.committee', 'lize-dongjie.committee', 'lize.auditor', 'lize.officer']) clients[u] = await connectEvents(t.app, tokens[u]!);
    const station = (await t.gw.repos.cameras.byId(home))!.stationId;
    t.gw.events.publish({ type: 'camera.state', stationIds: [station], payload: { cameraId: home, from: 'online', to: 'offline', reason: 'ONVIF 127.0.0.1:20001 timed out' } });
    // A marker after it: whoever has the marker and not the state event was not sent it (events stay in order).
    t.gw.events.publish({ type: 'test.marker', stationIds: [station], payload: {} });
    const got: Record<string, Array<{ type: string; payload: Record<string, unknown> }>> = {};
    for (const [u, c] of Object.entries(clients)) {
      await c.next((m) => m.type === 'test.marker');
      got[u] = c.messages.filter((m) => m.type === 'camera.state');
      c.close();
    }
    expect(got['lize-xijie.owner']).toHaveLength(1);
    expect(got['lize-xijie.owner']![0]!.payload.reason).toContain('timed out');
    expect(got['lize-xijie.committee']).toHaveLength(1);
    expect(got['lize.officer']).toHaveLength(1);
    expect(got['lize.officer']![0]!.payload.reason).toBeNull();
    expect(got['lize-dongjie.owner']).toHaveLength(0);
    expect(got['lize-dongjie.committee']).toHaveLength(0);
    expect(got['lize.auditor']).toHaveLength(0);
  });
});
