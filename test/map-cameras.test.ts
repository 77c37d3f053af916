// Issue 10: the map's compact camera listing (GET /map/cameras) lists exactly what scope() lists, in columns, with
// an ETag that changes when a listed camera changes and a 304 when it did not; and a grantee reads the record of a
// partner camera its approved grant names (GET /cameras/:id), without owner data, device address or health detail.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';

let t: TestGateway;
const tokens: Record<string, string> = {};
const cams = {} as Record<'szPolice' | 'szVillage' | 'szOffline' | 'szDisabled' | 'home' | 'cgBridge' | 'cgRoad' | 'cgHome', string>;
const HOUR = 3_600_000;

interface Listing {
  count: number; next: string | null; ownerClasses: string[]; sharingModes: string[]; stations: string[]; villages: string[]; states: string[];
  ids: string[]; names: string[]; lon: number[]; lat: number[]; ownerClass: number[]; station: number[]; village: number[];
  sharingMode: number[]; state: number[]; enabled: number[];
}

async function get(user: string | null, url: string, headers: Record<string, string> = {}) {
  return t.app.inject({ url: `/api/v1${url}`, headers: { ...(user && { authorization: `Bearer ${tokens[user]}` }), ...headers } });
}
async function listing(user: string, query = ''): Promise<Listing> {
  const r = await get(user, `/map/cameras${query}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as Listing;
}
async function scoped(user: string): Promise<string[]> {
  const r = await get(user, '/cameras?limit=5000');
  expect(r.statusCode, r.body).toBe(200);
  return (r.json().items as Array<{ id: string }>).map((c) => c.id).sort();
}
/** One camera of a listing, decoded as the page does. */
function row(l: Listing, id: string) {
  const i = l.ids.indexOf(id);
  if (i < 0) return null;
  return {
    name: l.names[i], ownerClass: l.ownerClasses[l.ownerClass[i]!], stationId: l.stations[l.station[i]!],
    villageId: l.village[i]! < 0 ? null : l.villages[l.village[i]!], sharingMode: l.sharingMode[i]! < 0 ? null : l.sharingModes[l.sharingMode[i]!],
    lon: l.lon[i], lat: l.lat[i], enabled: l.enabled[i] === 1, state: l.states[l.state[i]!],
  };
}

beforeAll(async () => {
  t = await testGateway();
  cams.szPolice = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.9123456789, lon: 115.8912345678, name: '寿张 路口' });
  cams.szVillage = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'village', villageCode: '3715210101', lat: 35.91, lon: 115.89 });
  cams.szOffline = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.92, lon: 115.88 });
  cams.szDisabled = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.93, lon: 115.87 });
  await t.gw.repos.cameras.update(cams.szDisabled, { enabled: false });
  await t.gw.repos.cameras.setHealth({ cameraId: cams.szOffline, state: 'offline', reason: 'rtsp_unreachable: 127.0.0.1:554 connection refused', seen: false, flaps: 0 });
  cams.home = await insertTestCamera(t.gw, { stationCode: '37167101', ownerClass: 'household', sharingMode: 'never_live', ownerUsername: 'lize-xijie.owner', lat: 37.42, lon: 117.84 });
  await t.gw.repos.cameras.update(cams.home, { ownerName: '张秀英', address: '西街村 1排3号' });
  cams.cgBridge = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: 'Chengguan bridge' });
  cams.cgRoad = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.96, lon: 115.866, name: 'Chengguan S101' });
  cams.cgHome = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: 'chengguan-chengguan.owner', lat: 35.957, lon: 115.871, name: 'Chengguan home' });
  await t.gw.repos.cameras.update(cams.cgHome, { ownerName: '王芳', address: '城关 2号' });
  await t.gw.repos.cameras.setHealth({ cameraId: cams.cgBridge, state: 'offline', reason: 'rtsp_unreachable: 10.1.2.3:554 connection refused', seen: false, flaps: 0 });
  for (const u of ['shouzhang.officer', 'shouzhang.investigator', 'lize-xijie.committee', 'lize-xijie.owner', 'lize.auditor', 'admin', 'chengguan.duty', 'chengguan-chengguan.owner']) {
    tokens[u] = await t.login(u);
  }
});
afterAll(async () => {
  await t?.close();
});

describe('GET /map/cameras', () => {
  it('lists for each user exactly the cameras GET /cameras lists (one scope), in id order', async () => {
    for (const u of ['shouzhang.officer', 'lize-xijie.committee', 'lize-xijie.owner', 'lize.auditor', 'admin', 'chengguan.duty']) {
      const l = await listing(u);
      expect(l.ids, u).toEqual([...l.ids].sort());
      expect([...l.ids].sort(), u).toEqual(await scoped(u));
      expect(l.count).toBe(l.ids.length);
      expect(l.next).toBeNull();
      for (const col of [l.names, l.lon, l.lat, l.ownerClass, l.station, l.village, l.sharingMode, l.state, l.enabled]) expect(col).toHaveLength(l.ids.length);
    }
    expect((await listing('lize-xijie.owner')).ids).toEqual([cams.home]);
    expect((await listing('shouzhang.officer')).ids).not.toContain(cams.cgBridge);
  });

  it('gives what the map draws: name, class, station, village, sharing mode, position, state, enabled', async () => {
    const l = await listing('shouzhang.officer');
    const station = (await t.gw.repos.jurisdictions.byCode('37152101'))!.id;
    const village = (await t.gw.repos.jurisdictions.byCode('3715210101'))!.id;
    expect(row(l, cams.szPolice)).toEqual({ name: '寿张 路口', ownerClass: 'police', stationId: station, villageId: null, sharingMode: null, lon: 115.891235, lat: 35.912346, enabled: true, state: 'unknown' });
    expect(row(l, cams.szVillage)).toMatchObject({ ownerClass: 'village', villageId: village });
    expect(row(l, cams.szOffline)).toMatchObject({ state: 'offline', enabled: true });
    expect(row(l, cams.szDisabled)).toMatchObject({ enabled: false });
    expect(row((await listing('lize-xijie.committee')), cams.home)).toMatchObject({ ownerClass: 'household', sharingMode: 'never_live' });
  });

  it('carries no owner names, addresses, device addresses or health detail, even for those who may read them', async () => {
    for (const u of ['lize-xijie.committee', 'admin']) {
      const r = await get(u, '/map/cameras');
      expect(r.body).not.toContain('张秀英');
      expect(r.body).not.toContain('西街村');
      expect(r.body).not.toContain('127.0.0.1');
      expect(r.body).not.toContain('rtsp_unreachable');
      expect(Object.keys(r.json()).sort()).toEqual(['count', 'enabled', 'ids', 'lat', 'lon', 'names', 'next', 'ownerClass', 'ownerClasses', 'sharingMode', 'sharingModes', 'state', 'states', 'station', 'stations', 'village', 'villages']);
    }
  });

  it('answers 304 to its own ETag until a listed camera changes: renamed, moved, health state changed', async () => {
    const first = await get('shouzhang.officer', '/map/cameras');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const again = await get('shouzhang.officer', '/map/cameras', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // another officer of the same station shares the listing, and its ETag
    expect((await get('shouzhang.investigator', '/map/cameras', { 'if-none-match': etag })).statusCode).toBe(304);
    // a health sweep that finds the same state changes nothing the map shows
    await t.gw.repos.cameras.setHealth({ cameraId: cams.szOffline, state: 'offline', reason: 'rtsp_unreachable: still down', seen: false, flaps: 0 });
    expect((await get('shouzhang.officer', '/map/cameras', { 'if-none-match': etag })).statusCode).toBe(304);

    let last = etag;
    const changed = async (what: string) => {
      const r = await get('shouzhang.officer', '/map/cameras', { 'if-none-match': last });
      expect(r.statusCode, what).toBe(200);
      expect(r.headers.etag, what).not.toBe(last);
      last = r.headers.etag as string;
      return r.json() as Listing;
    };
    await t.gw.repos.cameras.update(cams.szPolice, { name: '寿张 新路口' });
    expect(row(await changed('rename'), cams.szPolice)!.name).toBe('寿张 新路口');
    await t.gw.repos.cameras.setHealth({ cameraId: cams.szOffline, state: 'online', reason: null, seen: true, flaps: 0 });
    expect(row(await changed('health state'), cams.szOffline)!.state).toBe('online');
    await t.gw.repos.cameras.update(cams.szVillage, { lat: 35.915 });
    expect(row(await changed('moved'), cams.szVillage)!.lat).toBe(35.915);
    const added = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.94, lon: 115.86 });
    expect((await changed('enrolled')).ids).toContain(added);
    await t.gw.repos.cameras.markRemoved(added);
    expect((await changed('removed')).ids).not.toContain(added);
    // a change elsewhere leaves this station's listing alone
    await t.gw.repos.cameras.update(cams.cgRoad, { name: 'Chengguan S101 east' });
    expect((await get('shouzhang.officer', '/map/cameras', { 'if-none-match': last })).statusCode).toBe(304);
  });

  it('gzips a large listing for a client that takes it, never for one that refuses it', async () => {
    for (let i = 0; i < 30; i++) await insertTestCamera(t.gw, { stationCode: '33060301', ownerClass: 'police', lat: 30.11 + i / 1000, lon: 120.41 });
    const plain = await get('admin', '/map/cameras');
    expect(plain.body.length).toBeGreaterThan(2048);
    const gz = await get('admin', '/map/cameras', { 'accept-encoding': 'gzip, deflate, br' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(plain.body);
    expect(gz.headers.etag).toBe(plain.headers.etag);
    expect((await get('admin', '/map/cameras', { 'accept-encoding': 'gzip;q=0, identity' })).headers['content-encoding']).toBeUndefined();
  });

  it('pages by afterId', async () => {
    const all = await listing('admin');
    expect(all.ids.length).toBeGreaterThan(3);
    const a = await listing('admin', '?limit=2');
    expect(a.ids).toEqual(all.ids.slice(0, 2));
    expect(a.next).toBe(all.ids[1]);
    const b = await listing('admin', `?limit=5000&afterId=${a.next}`);
    expect(b.ids).toEqual(all.ids.slice(2));
    expect(b.next).toBeNull();
    // each page its own dictionaries
    expect(row(b, all.ids[2]!)).toEqual(row(all, all.ids[2]!));
    // each page its own version: a change on the first page leaves the second one's ETag standing
    const first = await get('admin', '/map/cameras?limit=2');
    const second = await get('admin', `/map/cameras?limit=5000&afterId=${a.next}`);
    // whichever camera sorts first by id (random ids: any of them), renamed and then given its name back, as later tests read names
    const before = (await t.gw.repos.cameras.byId(all.ids[0]!))!.name;
    await t.gw.repos.cameras.update(all.ids[0]!, { name: 'first, renamed' });
    expect((await get('admin', `/map/cameras?limit=5000&afterId=${a.next}`, { 'if-none-match': second.headers.etag as string })).statusCode).toBe(304);
    expect((await get('admin', '/map/cameras?limit=2', { 'if-none-match': first.headers.etag as string })).statusCode).toBe(200);
    await t.gw.repos.cameras.update(all.ids[0]!, { name: before });
  });

  it('refuses anonymous and malformed requests with a code', async () => {
    expect((await get(null, '/map/cameras')).statusCode).toBe(401);
    const bad = await get('admin', '/map/cameras?limit=0');
    expect(bad.statusCode).toBe(400);
    expect((await get('admin', '/map/cameras?afterId=x')).statusCode).toBe(400);
    expect((await get('admin', '/map/cameras?limit=50001')).statusCode).toBe(400);
  });
});

describe('a grantee reads the cameras of its approved grants (GET /cameras/:id)', () => {
  const inv = 'shouzhang.investigator';
  const window = { from: new Date(Date.now() - 6 * HOUR).toISOString(), to: new Date(Date.now() - 4 * HOUR).toISOString() };
  let stationGrant = '';

  async function post(user: string, url: string, payload: object) {
    const r = await t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, payload });
    return { status: r.statusCode, body: r.json() };
  }

  it('not while the request is pending, then with name and basic facts once approved, without owner data, address or health detail', async () => {
    const sent = await post(inv, '/grants', { cameraIds: [cams.cgBridge, cams.cgHome], caseNo: 'YG-2026-MAP1', reason: 'bridge thefts', actions: ['playback'], footage: window });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const byApprover = new Map((sent.body.grants as Array<{ grant: { id: string; approverKind: string } }>).map((g) => [g.grant.approverKind, g.grant.id]));
    stationGrant = byApprover.get('station')!;
    const homeGrant = byApprover.get('owner')!;
    expect(stationGrant).toBeTruthy();
    expect(homeGrant).toBeTruthy();

    expect((await get(inv, `/cameras/${cams.cgBridge}`)).statusCode).toBe(404);
    expect((await post('chengguan.duty', `/grants/${stationGrant}/approve`, {})).status).toBe(200);
    expect((await post('chengguan-chengguan.owner', `/grants/${homeGrant}/approve`, {})).status).toBe(200);

    const bridge = await get(inv, `/cameras/${cams.cgBridge}`);
    expect(bridge.statusCode, bridge.body).toBe(200);
    expect(bridge.json()).toMatchObject({ id: cams.cgBridge, name: 'Chengguan bridge', ownerClass: 'police', state: 'offline', endpoint: null });
    // the partner reads which part failed, not the camera's network
    expect(bridge.json().stateReason).toBe('rtsp_unreachable: camera is not delivering video');
    const home = await get(inv, `/cameras/${cams.cgHome}`);
    expect(home.statusCode, home.body).toBe(200);
    expect(home.json()).toMatchObject({ name: 'Chengguan home', ownerName: null, address: null, endpoint: null });
    // the owning station still reads everything
    expect((await get('chengguan.duty', `/cameras/${cams.cgBridge}`)).json().stateReason).toContain('10.1.2.3');
  });

  it('only the grantee, only the granted cameras, and not in the map listing', async () => {
    expect((await get(inv, `/cameras/${cams.cgRoad}`)).statusCode).toBe(404);
    expect((await get('shouzhang.officer', `/cameras/${cams.cgBridge}`)).statusCode).toBe(404);
    expect((await listing(inv)).ids).not.toContain(cams.cgBridge);
  });

  it('no longer once the grant is revoked', async () => {
    expect((await post(inv, `/grants/${stationGrant}/revoke`, { reason: 'case handed over' })).status).toBe(200);
    expect((await get(inv, `/cameras/${cams.cgBridge}`)).statusCode).toBe(404);
    expect((await get(inv, `/cameras/${cams.cgHome}`)).statusCode).toBe(200);
  });
});
