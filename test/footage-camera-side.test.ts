// Camera-side footage (ONVIF Profile G on the simulator) in the recordings listing, clipped like gateway footage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { footageGateway, type FootageGateway } from './helpers/footage.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';

const HOUR = 3_600_000;
let f: FootageGateway;
let sim: Simulator;
let cam = '';

beforeAll(async () => {
  sim = await startSimulator({ cameras: [{ id: 'sd-card-1' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
  f = await footageGateway();
  const station = (await f.t.gw.repos.jurisdictions.byCode('41092701'))!;
  const s = sim.cameras[0]!;
  cam = await f.t.gw.repos.cameras.insert({
    deviceIdPrefix: '4109270100131', name: 'Chengguan shop with SD card', ownerClass: 'police', stationId: station.id, villageId: null,
    ownerUserId: null, ownerName: null, ownerPhone: null, address: null, sharingMode: null, delegatedToCommittee: false,
    lat: 35.96, lon: 115.87, jurisdictionOverride: null, onvifHost: s.host, onvifPort: s.httpPort,
    credentialsEnc: f.t.gw.cipher.encrypt({ username: 'admin', password: 'pw-1234' }), deviceInfo: {}, clockOffsetMs: 0, profiles: [], enabled: true, enrolledBy: null,
  });
  await f.login('chengguan.duty', 'shouzhang.investigator');
}, 60_000);
afterAll(async () => {
  await f?.close();
  await sim?.close();
});

describe('camera-side ranges in the listing', () => {
  it('the owning station sees what the SD card holds, with the hour the card was out', async () => {
    const to = new Date(Date.now() - 60_000);
    const from = new Date(to.getTime() - 8 * HOUR);
    const r = await f.api('chengguan.duty', 'GET', `/cameras/${cam}/recordings?from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const camera = r.body.ranges.filter((x: { source: string }) => x.source === 'camera');
    expect(camera).toHaveLength(2);
    expect(camera[0].from).toBe(from.toISOString());
    expect(Math.abs(new Date(camera[1].from).getTime() - new Date(camera[0].to).getTime() - HOUR)).toBeLessThan(2000);
    expect(camera[1].to).toBe(to.toISOString());
  });

  it('a grantee sees camera-side footage only inside the grant’s window', async () => {
    const window = { from: new Date(Date.now() - 7 * HOUR).toISOString(), to: new Date(Date.now() - 6.5 * HOUR).toISOString() };
    const g = await f.api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cam], caseNo: 'YG-2026-1124-11', reason: 'SD card', actions: ['playback'], footage: window });
    expect(g.status, JSON.stringify(g.body)).toBe(201);
    expect((await f.api('chengguan.duty', 'POST', `/grants/${g.body.grants[0].grant.id}/approve`, { reason: 'ok' })).status).toBe(200);
    const r = await f.api('shouzhang.investigator', 'GET', `/cameras/${cam}/recordings?from=${new Date(Date.now() - 24 * HOUR).toISOString()}&to=${new Date().toISOString()}`);
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('grant');
    expect(r.body.ranges).toEqual([{ ...window, source: 'camera' }]);
  });
});
