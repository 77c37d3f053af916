// Issue 8 §4: a household camera cannot aim the gateway at any port of its host; only its enrolled media ports.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';

let t: TestGateway;
let odd: Simulator;
let own: Simulator;
let home: Simulator;
const block = 150 + (process.pid % 50);

beforeAll(async () => {
  t = await testGateway();
  // RTSP on 10554: a real port on the camera's host, but not on the allow-list (554, 8554).
  odd = await startSimulator({ cameras: [{ id: 'odd-port' }], addressMode: 'per-camera-ip', baseAddress: `127.${block}.8.1`, httpPort: 8000, rtspPort: 10554, username: 'admin', password: 'pw-1234', nameOverlay: false });
  // RTSP on 8080: the gateway's own HTTP port (http.port in the test config).
  home = await startSimulator({ cameras: [{ id: 'home-port' }], addressMode: 'per-camera-ip', baseAddress: `127.${block}.10.1`, httpPort: 8000, rtspPort: 10555, username: 'admin', password: 'pw-1234', nameOverlay: false });
  own = await startSimulator({ cameras: [{ id: 'own-port' }], addressMode: 'per-camera-ip', baseAddress: `127.${block}.9.1`, httpPort: 8000, rtspPort: 8080, username: 'admin', password: 'pw-1234', nameOverlay: false });
});
afterAll(async () => {
  await odd?.close();
  await own?.close();
  await home?.close();
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
    // A manager gives the port again: stored once a probe passes with it.
    const fixed = await t.app.inject({ method: 'PUT', url: `/api/v1/cameras/${stored.id}/media-ports`, headers: auth(duty), payload: { mediaPorts: [10554] } });
    expect(fixed.statusCode, fixed.body).toBe(200);
    expect((await t.gw.repos.cameras.byId(stored.id))!.mediaPorts).toEqual([10554]);
    const ownPort = await t.app.inject({ method: 'PUT', url: `/api/v1/cameras/${stored.id}/media-ports`, headers: auth(duty), payload: { mediaPorts: [54329] } });
    expect(ownPort.statusCode, ownPort.body).toBe(400);

    // Credentials no configured key can read: a reprobe says so with its own code, not a 500.
    await t.gw.repos.cameras.update(stored.id, { credentialsEnc: 'kx.AAAA.AAAA.AAAA' });
    const unreadable = await t.app.inject({ method: 'POST', url: `/api/v1/cameras/${stored.id}/reprobe`, headers: auth(duty) });
    expect(unreadable.statusCode, unreadable.body).toBe(422);
    expect(unreadable.json().error.code).toBe('credentials_unreadable');
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

describe('media ports in a committee CSV', () => {
  it('a row names its camera\'s media port in media_ports; a re-run repairs unreadable credentials', async () => {
    const token = await t.login('lize-xijie.committee');
    const c = home.cameras[0]!;
    const header = 'address,port,username,password,owner_name,owner_phone,house,lat,lon,sharing_mode,consent_date';
    const row = `${c.host},${c.httpPort},admin,pw-1234,王秀兰,13900000001,西街村 2排3号,37.421,117.841,station,2026-10-01`;
    const upload = (csv: string) => t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=false', headers: { ...auth(token), 'content-type': 'text/csv' }, payload: csv });

    const without = (await upload(`${header}\r\n${row}\r\n`)).json();
    expect(without.rows[0]).toMatchObject({ status: 'rejected', code: 'stream_port_not_allowed' });

    const withPort = (await upload(`${header},media_ports\r\n${row},10555\r\n`)).json();
    expect(withPort.rows[0], JSON.stringify(withPort.rows[0])).toMatchObject({ status: 'enrolled' });
    const id = withPort.rows[0].cameraId as string;
    expect((await t.gw.repos.cameras.byId(id))!.mediaPorts).toEqual([10555]);

    // Credentials no key can read: the same row again stores them afresh.
    await t.gw.repos.cameras.update(id, { credentialsEnc: 'kx.AAAA.AAAA.AAAA' });
    const rerun = (await upload(`${header},media_ports\r\n${row},10555\r\n`)).json();
    expect(rerun.rows[0]).toMatchObject({ status: 'updated' });
    expect(t.gw.cipher.decrypt((await t.gw.repos.cameras.byId(id))!.credentialsEnc)).toEqual({ username: 'admin', password: 'pw-1234' });
  });
});
