import { afterEach, describe, expect, it } from 'vitest';
import { OnvifClient } from './client.ts';
import { probeCamera } from './probe.ts';
import { onvifFailure } from './test-support/onvif-failure.ts';
import { startFakeDevice, type FakeDevice, type FakeDeviceOptions } from './test-support/fake-device.ts';

const HOUR = 3_600_000;
let device: FakeDevice | undefined;
afterEach(async () => {
  await device?.close();
  device = undefined;
});

async function start(o: FakeDeviceOptions): Promise<FakeDevice> {
  device = await startFakeDevice(o);
  return device;
}


describe.each(['wsse', 'digest'] as const)('probeCamera against a well-behaved device (%s)', (auth) => {
  it('learns a +1 h clock offset and reads everything with a non-ASCII password', async () => {
    const d = await start({ username: 'admin', password: '守望2024', auth, clockOffsetMs: HOUR });
    const result = await probeCamera({ host: d.host, port: d.port, username: 'admin', password: '守望2024' });

    expect(Math.abs(result.clockOffsetMs - HOUR)).toBeLessThan(2_000);
    expect(result.device).toEqual({ manufacturer: 'Shouwang & Co', model: 'SW-1', firmware: '1.0', serial: '0012', hardwareId: 'HW' });
    expect(result.profiles).toEqual([
      { token: 'main_token', name: 'main', encoding: 'H264', width: 1920, height: 1080, fps: 25, bitrateKbps: 4096,
        streamUri: 'rtsp://127.0.0.1:554/main_token?a=1&b=2', snapshotUri: 'http://127.0.0.1/snap/main_token.jpg' },
      { token: 'sub_token', name: 'sub', encoding: 'H265', width: 640, height: 360, fps: 15, bitrateKbps: 512,
        streamUri: 'rtsp://127.0.0.1:554/sub_token?a=1&b=2', snapshotUri: 'http://127.0.0.1/snap/sub_token.jpg' },
    ]);
    expect(d.requests.every((r) => r.operation === 'GetSystemDateAndTime' || r.hadWsse)).toBe(true);
    if (auth === 'digest') {
      // One challenge, then Digest is sent up front on every later request.
      expect(d.requests.filter((r) => !r.authorization && r.operation !== 'GetSystemDateAndTime')).toHaveLength(1);
    }
  });
});

describe('OnvifClient', () => {
  it('without the clock offset, WS-Security is refused by a device an hour ahead', async () => {
    const d = await start({ username: 'admin', password: 'pw', auth: 'wsse', clockOffsetMs: HOUR });
    const client = new OnvifClient({ host: d.host, port: d.port, username: 'admin', password: 'pw' });
    expect((await onvifFailure(client.getDeviceInformation())).code).toBe('auth_failed');
    await client.getSystemDateAndTime();
    expect((await client.getDeviceInformation()).model).toBe('SW-1');
  });

  it.each(['wsse', 'digest'] as const)('wrong password → auth_failed without leaking it (%s)', async (auth) => {
    const d = await start({ username: 'admin', password: 'right', auth });
    const err = await onvifFailure(probeCamera({ host: d.host, port: d.port, username: 'admin', password: 'wr0ng-s3cret' }));
    expect(err.code).toBe('auth_failed');
    expect(err.message).not.toContain('wr0ng-s3cret');
    if (auth === 'digest') expect(d.requests.filter((r) => r.operation === 'GetDeviceInformation')).toHaveLength(2);
  });

  it('keeps the media service on the enrolled host:port whatever XAddr the device announces', async () => {
    const d = await start({ username: 'a', password: 'b', auth: 'wsse', mediaXAddr: 'http://10.9.9.9:81/onvif/Media' });
    const client = new OnvifClient({ host: d.host, port: d.port, username: 'a', password: 'b' });
    expect((await client.mediaServiceUrl()).href).toBe(`http://127.0.0.1:${d.port}/onvif/Media`);
    expect(await client.getProfiles()).toHaveLength(2);
    expect(d.requests.at(-1)?.path).toBe('/onvif/Media');
  });

  it('refuses a stream URI pointing at another host (127.0.0.1:5432 for a camera at 127.10.0.5)', async () => {
    const d = await start({ username: 'a', password: 'b', auth: 'wsse', uriHost: '127.10.0.5' });
    // Enrolled at 127.0.0.1, the device names 127.10.0.5 in its URIs.
    const err = await onvifFailure(probeCamera({ host: d.host, port: d.port, username: 'a', password: 'b' }));
    expect(err.code).toBe('uri_rejected');
    expect(err.message).toMatch(/127\.10\.0\.5.*127\.0\.0\.1/);
  });

  it('refuses a stream URI on its own host but a port off the allow-list (the gateway database port 5432)', async () => {
    const d = await start({ username: 'a', password: 'b', auth: 'wsse', streamPort: 5432 });
    const err = await onvifFailure(probeCamera({ host: d.host, port: d.port, username: 'a', password: 'b' }));
    expect(err.code).toBe('stream_port_not_allowed');
    expect(err.message).toMatch(/port 5432/);
    // The same device with 5432 given by the operator, but 5432 is one of the gateway's own ports: still refused.
    const own = await onvifFailure(probeCamera({ host: d.host, port: d.port, username: 'a', password: 'b', mediaPorts: { stream: [554, 5432], snapshot: [80], forbidden: [5432] } }));
    expect(own.code).toBe('stream_port_not_allowed');
    expect(own.message).toMatch(/gateway's own/);
    // An operator-given port that is not the gateway's is accepted.
    const ok = await probeCamera({ host: d.host, port: d.port, username: 'a', password: 'b', mediaPorts: { stream: [5432], snapshot: [80], forbidden: [8080] } });
    expect(ok.profiles[0]!.streamUri).toMatch(/:5432\//);
  });

  it('refuses a snapshot URI on a port that is neither the ONVIF port, 80, 443 nor configured', async () => {
    const d = await start({ username: 'a', password: 'b', auth: 'digest', snapshotPort: 6379 });
    const err = await onvifFailure(probeCamera({ host: d.host, port: d.port, username: 'a', password: 'b' }));
    expect(err.code).toBe('snapshot_port_not_allowed');
    const atOnvifPort = await start({ username: 'a', password: 'b', auth: 'digest' });
    expect((await probeCamera({ host: atOnvifPort.host, port: atOnvifPort.port, username: 'a', password: 'b' })).profiles[0]!.snapshotUri).toMatch(/^http:/);
  });

  it('a device without snapshots still probes, with snapshotUri null', async () => {
    const d = await start({ username: 'a', password: 'b', auth: 'digest', snapshot: false });
    const result = await probeCamera({ host: d.host, port: d.port, username: 'a', password: 'b' });
    expect(result.profiles.map((p) => p.snapshotUri)).toEqual([null, null]);
  });

  it('escapes the username in XML', async () => {
    const d = await start({ username: 'a<&>"b', password: 'p', auth: 'wsse' });
    const client = new OnvifClient({ host: d.host, port: d.port, username: 'a<&>"b', password: 'p' });
    expect((await client.getDeviceInformation()).serial).toBe('0012');
  });
});
