// Issue 8 §4: health probes the stream endpoint too, says which part failed, and tells unreadable credentials apart.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';
import { OnvifClient } from '../camera-adapters/onvif/index.ts';
import type { GatewayEvent } from '../gateway/events/types.ts';

let t: TestGateway;
let sim: Simulator;
const events: GatewayEvent[] = [];
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await testGateway({ overrides: { cameras: { healthEnabled: false } } });
  t.gw.events.subscribe((e) => events.push(e));
  sim = await startSimulator({
    cameras: [{ id: 'health-rtsp' }, { id: 'health-keys' }],
    addressMode: 'per-camera-ip', baseAddress: `127.${150 + (process.pid % 50)}.12.1`, username: 'admin', password: 'pw-1234', nameOverlay: false,
  });
  const token = await t.login('shouzhang.officer');
  for (const [i, c] of sim.cameras.entries()) {
    const r = await t.app.inject({
      method: 'POST', url: '/api/v1/cameras', headers: { authorization: `Bearer ${token}` },
      payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.95, lon: 115.9 + i * 0.001 },
    });
    expect(r.statusCode, r.body).toBe(201);
    ids[c.id] = r.json().id;
  }
});
afterAll(async () => {
  await sim?.close();
  await t?.close();
});

const stateOf = async (id: string) => (await t.gw.repos.cameras.byId(id))!;

describe('health probes ONVIF and RTSP', () => {
  it('RTSP server down, ONVIF still answering → offline with rtsp_unreachable in one sweep; back → online', async () => {
    const cam = sim.camera('health-rtsp')!;
    const id = ids['health-rtsp']!;
    await t.gw.health.sweep();
    expect((await stateOf(id)).state).toBe('online');

    await cam.setRtspOffline(true);
    events.length = 0;
    await t.gw.health.sweep();
    const down = await stateOf(id);
    expect(down.state).toBe('offline');
    expect(down.stateReason).toMatch(/^rtsp_unreachable: /);
    expect(events.find((e) => e.type === 'camera.state' && e.payload.cameraId === id)).toMatchObject({ payload: { from: 'online', to: 'offline' } });
    // Operators read the detail; lower ranks only which part failed, with no address or port.
    const seen = async (user: string) => (await t.app.inject({ url: `/api/v1/cameras/${id}`, headers: { authorization: `Bearer ${await t.login(user)}` } })).json().stateReason as string;
    expect(await seen('shouzhang.duty')).toContain(cam.host);
    expect(await seen('shouzhang.investigator')).toBe('rtsp_unreachable: camera is not delivering video');
    // The device service itself is fine: only the stream part failed.
    const onvif = new OnvifClient({ host: cam.host, port: cam.httpPort, username: 'admin', password: 'pw-1234', deadlineMs: 2000 });
    expect((await onvif.getDeviceInformation()).manufacturer).not.toBe('');

    await cam.setRtspOffline(false);
    await t.gw.health.sweep();
    expect((await stateOf(id)).state).toBe('online');
  });

  it('the whole camera down → offline with an onvif_ reason', async () => {
    const cam = sim.camera('health-rtsp')!;
    const id = ids['health-rtsp']!;
    await cam.stop();
    try {
      await t.gw.health.sweep();
      const down = await stateOf(id);
      expect(down.state).toBe('offline');
      expect(down.stateReason).toMatch(/^onvif_unreachable: /);
    } finally {
      await cam.start();
    }
    // Its fourth change in a row: a flapping camera has to hold the new state for two sweeps.
    await t.gw.health.sweep();
    expect((await stateOf(id)).state).toBe('offline');
    await t.gw.health.sweep();
    expect((await stateOf(id)).state).toBe('online');
  });

  it('credentials that no configured key decrypts → credentials_unreadable, not offline', async () => {
    const id = ids['health-keys']!;
    const before = await stateOf(id);
    expect(before.state).toBe('online');
    await t.gw.repos.cameras.update(id, { credentialsEnc: `${before.credentialsEnc.split('.')[0]}x.AAAA.AAAA.AAAA` });
    events.length = 0;
    await t.gw.health.sweep();
    const after = await stateOf(id);
    expect(after.state).toBe('credentials_unreadable');
    expect(after.stateReason).toMatch(/^credentials_unreadable/);
    expect(events.find((e) => e.type === 'camera.state' && e.payload.cameraId === id)).toMatchObject({ payload: { to: 'credentials_unreadable' } });
  });
});
