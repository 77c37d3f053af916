// A device name that resolves to this machine is refused at connect time; an IP literal is used as given.
import { describe, it, expect, afterEach } from 'vitest';
import net from 'node:net';
import http from 'node:http';
import { deviceLookup, forbiddenKind } from './device-lookup.ts';
import { RtspClient } from '../rtsp/rtsp-client.ts';
import { httpRequest } from '../onvif/transport.ts';

describe('forbiddenKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.9.9.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast/reserved'], ['ff02::1', 'multicast'],
    ['192.168.1.20', null], ['10.0.0.5', null], ['172.16.3.4', null], ['203.0.113.9', null], ['2001:db8::5', null],
  ])('%s → %s', (addr, kind) => {
    expect(forbiddenKind(addr)).toBe(kind);
  });
});

describe('deviceLookup', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  async function listener(onConn: (s: net.Socket) => void): Promise<number> {
    const s = net.createServer(onConn);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as net.AddressInfo).port;
  }

  it('refuses a name resolving to loopback, for one address and for all', async () => {
    const one = await new Promise<NodeJS.ErrnoException | null>((r) => deviceLookup('localhost', {}, (err) => r(err)));
    expect(one?.code).toBe('EDEVICEADDR');
    const all = await new Promise<NodeJS.ErrnoException | null>((r) => deviceLookup('localhost', { all: true }, (err) => r(err)));
    expect(all?.code).toBe('EDEVICEADDR');
  });

  it('lets an IP literal through, in both callback shapes', async () => {
    const one = await new Promise<[unknown, unknown]>((r) => deviceLookup('127.0.0.1', {}, (err, a) => r([err, a])));
    expect(one).toEqual([null, '127.0.0.1']);
    const all = await new Promise<[unknown, unknown]>((r) => deviceLookup('127.0.0.1', { all: true }, (err, a) => r([err, a])));
    expect(all).toEqual([null, [{ address: '127.0.0.1', family: 4 }]]);
  });

  it('an RTSP client never reaches a local service through a rebinding name', async () => {
    let reached = 0;
    const port = await listener((s) => { reached++; s.destroy(); });
    await expect(RtspClient.connect(`rtsp://localhost:${port}/stream`, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'connect_failed' });
    expect(reached).toBe(0);
    const ok = await RtspClient.connect(`rtsp://127.0.0.1:${port}/stream`, { timeoutMs: 2000 });
    ok.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(reached).toBe(1);
  });

  it('an ONVIF request never reaches a local HTTP service through a rebinding name', async () => {
    let reached = 0;
    const server = http.createServer((_q, res) => { reached++; res.end('<x/>'); });
    servers.push(server as unknown as net.Server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    await expect(httpRequest({ url: new URL(`http://localhost:${port}/onvif/device_service`), method: 'POST', headers: {}, deadlineMs: 2000, maxBytes: 1024 }))
      .rejects.toMatchObject({ code: 'unreachable' });
    expect(reached).toBe(0);
  });
});
