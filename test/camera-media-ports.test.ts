// Issue 8 §4: a household camera cannot aim the gateway at any port of its host; only its enrolled media ports.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';

let t: TestGateway;
let odd: Simulator;
let own: Simulator;
const block = 150 + (process.pid % 50);

beforeAll(async () => {
  t = await testGateway();
  // RTSP on 10554: a real port on the camera's host, but not on the allow-list (554, 8554).
  odd = await startSimulator({ cameras: [{ id: 'odd-port' }], addressMode: 'per-camera-ip', baseAddress: `127.${block}.8.1`, httpPort: 8000, rtspPort: 10554, username: 'admin', password: 'pw-1234', nameOverlay: false });
  // RTSP on 8080: the gateway's own HTTP port (http.port in the test config).
  own = await startSimulator({ cameras: [{ id: 'own-port' }], addressMode: 'per-camera-ip', baseAddress: `127.${block}.9.1`, httpPort: 8000, rtspPort: 8080, username: 'admin', password: 'pw-1234', nameOverlay: false });
});
afterAll(async () => {
  await odd?.close();
  await own?.close();
  await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('media-port allow-list at enrolment and reprobe', () => {
  it('refuses a stream URI on a port off the allow-list with stream_port_not_allowed, and stores nothing', async () => {
    const token = await t.login('shouzhang.officer');
    const c = odd.cameras[0]!;
    const base = { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.95, lon: 115.9 };
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: base });
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().error.code).toBe('stream_port_not_allowed');
    expect(refused.json().error.message).toMatch(/port 10554/);
    expect(await t.gw.repos.cameras.byEndpoint(c.host, c.httpPort)).toBeUndefined();

    // The operator names the camera's port: enrolled, the port kept with the camera, reprobe passes.
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: { ...base, mediaPorts: [10554] } });
    expect(ok.statusCode, ok.body).toBe(201);
    const stored = (await t.gw.repos.cameras.byId(ok.json().id))!;
    expect(stored.mediaPorts).toEqual([10554]);
    expect(stored.profiles[0]!.streamUri).toMatch(/:10554\//);
    const duty = await t.login('shouzhang.duty');
    const reprobe = await t.app.inject({ method: 'POST', url: `/api/v1/cameras/${stored.id}/reprobe`, headers: auth(duty) });
    expect(reprobe.statusCode, reprobe.body).toBe(200);

    // Without the port on record, a reprobe refuses the camera's URIs again.
    await t.gw.repos.cameras.update(stored.id, { mediaPorts: [] });
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/cameras/${stored.id}/reprobe`, headers: auth(duty) });
    expect(again.statusCode, again.body).toBe(422);
    expect(again.json().error.code).toBe('stream_port_not_allowed');
  });

  it('never allows one of the gateway\'s own service ports, even when the operator gives it', async () => {
    const token = await t.login('shouzhang.officer');
    const c = own.cameras[0]!;
    const base = { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.95, lon: 115.9 };
    const given = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: { ...base, mediaPorts: [8080] } });
    expect(given.statusCode, given.body).toBe(400);
    expect(given.json().error.message).toMatch(/8080 is one of the gateway's own/);
    const plain = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: base });
    expect(plain.statusCode, plain.body).toBe(422);
    expect(plain.json().error.code).toBe('stream_port_not_allowed');
  });
});
