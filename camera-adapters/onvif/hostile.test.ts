import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OnvifClient } from './client.ts';
import { probeCamera } from './probe.ts';
import { onvifFailure } from './test-support/onvif-failure.ts';

const MiB = 1024 * 1024;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** An HTTP server on 127.0.0.1 that answers every request with `handler`. */
async function hostile(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return (server.address() as AddressInfo).port;
}


const client = (port: number, extra: Partial<ConstructorParameters<typeof OnvifClient>[0]> = {}): OnvifClient =>
  new OnvifClient({ host: '127.0.0.1', port, username: 'admin', password: 'secret-pw', ...extra });

const soap = (body: string): string =>
  `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>${body}</s:Body></s:Envelope>`;

describe('hostile devices', () => {
  it('XXE payload → bad_response, no file content anywhere', async () => {
    const port = await hostile((_req, res) => {
      res.end('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
        soap('<GetDeviceInformationResponse><Manufacturer>&xxe;</Manufacturer></GetDeviceInformationResponse>'));
    });
    const err = await onvifFailure(client(port).getDeviceInformation());
    expect(err.code).toBe('bad_response');
    expect(err.message).not.toMatch(/root:/);
  });

  it('billion laughs → bad_response', async () => {
    const entities = ['<!ENTITY l0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`)].join('');
    const port = await hostile((_req, res) => res.end(`<?xml version="1.0"?><!DOCTYPE lolz [${entities}]>` + soap('<R>&l9;</R>')));
    expect((await onvifFailure(client(port).getDeviceInformation())).code).toBe('bad_response');
  });

  it('a 50 MB body → too_large, and the device could push only a little of it', async () => {
    let written = 0;
    const port = await hostile((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = (): void => {
        // Bounded: at most 50 MB, stops as soon as the client hangs up.
        while (written < 50 * MiB && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      res.write('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>');
      pump();
    });
    const rssBefore = process.memoryUsage().rss;
    const err = await onvifFailure(client(port).getDeviceInformation());
    expect(err.code).toBe('too_large');
    // The cap is 1 MiB; what the device wrote beyond it sits in loopback socket buffers, not in our heap.
    expect(written).toBeLessThan(16 * MiB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * MiB);
  });

  it('a Content-Length over the cap → too_large before the body arrives', async () => {
    const port = await hostile((_req, res) => {
      res.writeHead(200, { 'content-length': String(50 * MiB) });
      res.write('<s:Envelope');
    });
    const err = await onvifFailure(client(port, { maxBytes: 64 * 1024 }).getDeviceInformation());
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(/announced/);
  });

  it('a 1 byte/second drip → timeout at the total deadline, not an idle timeout', async () => {
    const port = await hostile((_req, res) => {
      const body = soap('<GetDeviceInformationResponse><Model>x</Model></GetDeviceInformationResponse>');
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= body.length) return void (clearInterval(timer), res.end());
        res.write(body[i++]!);
      }, 1_000);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const err = await onvifFailure(client(port, { deadlineMs: 1_000 }).getDeviceInformation());
    expect(err.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('a server that accepts and never answers → timeout', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }));
    const err = await onvifFailure(client((server.address() as AddressInfo).port, { deadlineMs: 500 }).getSystemDateAndTime());
    expect(err.code).toBe('timeout');
  });

  it('an ordinary web server → not_onvif', async () => {
    const port = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!-- router --><html><head><title>Login</title></head><body><form><input name=u></form><br></body></html>');
    });
    const err = await onvifFailure(probeCamera({ host: '127.0.0.1', port, username: 'a', password: 'b' }));
    expect(err.code).toBe('not_onvif');
  });

  it('a 404 page → not_onvif; a redirect is not followed', async () => {
    let hits = 0;
    const port404 = await hostile((_req, res) => res.writeHead(404).end('Not Found'));
    const portRedirect = await hostile((_req, res) => {
      hits++;
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    });
    expect((await onvifFailure(client(port404).getDeviceInformation())).code).toBe('not_onvif');
    expect((await onvifFailure(client(portRedirect).getDeviceInformation())).code).toBe('not_onvif');
    expect(hits).toBe(1);
  });

  it('connection refused → unreachable', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await onvifFailure(probeCamera({ host: '127.0.0.1', port, username: 'a', password: 'secret-pw' }));
    expect(err.code).toBe('unreachable');
    expect(err.message).not.toContain('secret-pw');
  });

  it('401 without a Digest challenge → auth_failed', async () => {
    const port = await hostile((_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="cam"' }).end());
    expect((await onvifFailure(client(port).getDeviceInformation())).code).toBe('auth_failed');
  });
});
