import { describe, expect, it } from 'vitest';
import { checkDeviceUri, checkMediaUri, normaliseHost, pinXAddr, type DeviceUriKind } from './uri-guard.ts';

const cases: [string, DeviceUriKind, string, boolean, RegExp?][] = [
  // uri, kind, enrolled host, accepted, reason
  ['rtsp://127.10.0.5:554/Streaming/101', 'stream', '127.10.0.5', true],
  ['rtsp://127.10.0.5:8554/live?a=1&b=2', 'stream', '127.10.0.5', true],
  ['rtsps://127.10.0.5/live', 'stream', '127.10.0.5', true],
  ['rtsp://127.0.0.1:5432/', 'stream', '127.10.0.5', false, /127\.0\.0\.1 \(loopback\).*127\.10\.0\.5/],
  ['rtsp://169.254.10.1/live', 'stream', '192.168.1.64', false, /link-local/],
  ['rtsp://192.168.1.1/live', 'stream', '192.168.1.64', false, /private/],
  ['rtsp://10.0.0.9/live', 'stream', '203.0.113.7', false, /private/],
  ['rtsp://admin:pw@127.10.0.5/live', 'stream', '127.10.0.5', false, /credentials/],
  ['rtsp://admin@127.10.0.5/live', 'stream', '127.10.0.5', false, /credentials/],
  ['http://127.10.0.5/live', 'stream', '127.10.0.5', false, /scheme http/],
  ['file:///etc/passwd', 'stream', '127.10.0.5', false, /scheme file/],
  ['http://127.10.0.5/snap.jpg', 'snapshot', '127.10.0.5', true],
  ['https://127.10.0.5:8443/snap.jpg', 'snapshot', '127.10.0.5', true],
  ['rtsp://127.10.0.5/snap.jpg', 'snapshot', '127.10.0.5', false, /scheme rtsp/],
  ['javascript:alert(1)', 'snapshot', '127.10.0.5', false, /scheme/],
  ['http://127.0.0.1/snap.jpg', 'snapshot', '127.10.0.5', false, /loopback/],
  ['rtsp://CAM-7.Village.Example./live', 'stream', 'cam-7.village.example', true],
  ['rtsp://cam-8.village.example/live', 'stream', 'cam-7.village.example', false, /hostname/],
  ['rtsp://[fe80::1]/live', 'stream', '127.10.0.5', false, /link-local/],
  ['rtsp://[0:0:0:0:0:0:0:1]:554/live', 'stream', '::1', true],
  ['rtsp://[::1]/live', 'stream', '[::1]', true],
  ['rtsp://[::ffff:127.10.0.5]/live', 'stream', '127.10.0.5', false, /IPv4-mapped/],
  // Numeric forms other parsers read differently are refused even when they might mean the enrolled host.
  ['rtsp://0x7f.10.0.5/live', 'stream', '127.10.0.5', false, /no valid host/],
  ['rtsp://2131361797/live', 'stream', '127.10.0.5', false, /no valid host/],
  ['rtsp://127.010.0.5/live', 'stream', '127.10.0.5', false, /no valid host/],
  ['rtsp://%31%32%37.10.0.5/live', 'stream', '127.10.0.5', false, /no valid host/],
  ['rtsp:///live', 'stream', '127.10.0.5', false, /no valid host|not a valid/],
  ['not a uri', 'stream', '127.10.0.5', false, /not a valid absolute URI/],
  [`rtsp://127.10.0.5/${'a'.repeat(3000)}`, 'stream', '127.10.0.5', false, /longer than/],
];

describe('checkDeviceUri', () => {
  it.each(cases)('%s (%s, enrolled %s) → %s', (uri, kind, host, ok, reason) => {
    const result = checkDeviceUri(uri, kind, host);
    expect(result.ok).toBe(ok);
    if (!result.ok && reason) expect(result.reason).toMatch(reason);
  });
});

describe('normaliseHost', () => {
  it.each([
    ['127.10.0.5', '127.10.0.5'],
    ['Cam.Example.', 'cam.example'],
    ['[::1]', '::1'],
    ['0:0::1', '::1'],
    ['0x7f.1', undefined],
    ['127.1', undefined],
    ['a b', undefined],
    ['', undefined],
  ])('%s → %s', (input, expected) => expect(normaliseHost(input)).toBe(expected));
});

describe('pinXAddr', () => {
  const enrolled = new URL('http://127.10.0.5:8080/onvif/device_service');
  it.each([
    ['http://10.0.0.9/onvif/Media', 'http://127.10.0.5:8080/onvif/Media'],
    ['https://evil.example:9999/media?x=1', 'http://127.10.0.5:8080/media?x=1'],
    ['http://[fe80::1]:80/onvif/media http://192.168.1.2/other', 'http://127.10.0.5:8080/onvif/media'],
    ['ftp://127.10.0.5/x', 'http://127.10.0.5:8080/onvif/media_service'],
    ['garbage', 'http://127.10.0.5:8080/onvif/media_service'],
    ['', 'http://127.10.0.5:8080/onvif/media_service'],
  ])('%s → %s', (xaddr, expected) => expect(pinXAddr(xaddr, enrolled, '/onvif/media_service').href).toBe(expected));
});

describe('checkMediaUri', () => {
  const rules = { host: '127.10.0.5', allowedPorts: [554, 8554], forbiddenPorts: [8080, 54329, 19350, 18950] };
  it.each([
    // uri, extra rules, ok / code, reason
    ['rtsp://127.10.0.5:554/Streaming/101', {}, 'ok', 554],
    ['rtsp://127.10.0.5/Streaming/101', {}, 'ok', 554],
    ['rtsp://127.10.0.5:8554/live', {}, 'ok', 8554],
    ['rtsp://127.10.0.5:5432/x', {}, 'stream_port_not_allowed', /port 5432, not one of this camera's media ports \(554, 8554\)/],
    ['rtsp://127.10.0.5:5432/x', { allowedPorts: [554, 5432] }, 'ok', 5432],
    ['rtsp://127.10.0.5:8080/x', { allowedPorts: [8080] }, 'stream_port_not_allowed', /gateway's own/],
    ['rtsp://127.10.0.5:54329/x', { allowedPorts: [54329] }, 'stream_port_not_allowed', /gateway's own/],
    ['rtsps://127.10.0.5/x', {}, 'stream_port_not_allowed', /port 322/],
    ['rtsp://127.0.0.1:554/x', {}, 'uri_rejected', /loopback/],
    ['http://127.10.0.5/snap.jpg', { kind: 'snapshot', allowedPorts: [80, 443, 8000] }, 'ok', 80],
    ['https://127.10.0.5/snap.jpg', { kind: 'snapshot', allowedPorts: [80, 443, 8000] }, 'ok', 443],
    ['http://127.10.0.5:8000/snap.jpg', { kind: 'snapshot', allowedPorts: [80, 443, 8000] }, 'ok', 8000],
    ['http://127.10.0.5:6379/snap.jpg', { kind: 'snapshot', allowedPorts: [80, 443, 8000] }, 'snapshot_port_not_allowed', /port 6379/],
    ['http://127.10.0.5:8080/snap.jpg', { kind: 'snapshot', allowedPorts: [80, 8080] }, 'snapshot_port_not_allowed', /gateway's own/],
    ['rtsp://127.10.0.5:554/x', { kind: 'snapshot', allowedPorts: [554] }, 'uri_rejected', /scheme rtsp/],
  ] as const)('%s %j → %s', (uri, extra, expected, detail) => {
    const result = checkMediaUri(uri, { ...rules, ...extra });
    if (expected === 'ok') {
      expect(result).toMatchObject({ ok: true, port: detail });
    } else {
      expect(result).toMatchObject({ ok: false, code: expected });
      if (!result.ok) expect(result.reason).toMatch(detail as RegExp);
    }
  });
});
