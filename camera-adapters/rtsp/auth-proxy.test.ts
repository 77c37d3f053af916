// The loopback RTSP proxy with real ffmpeg and the simulator: credentials added by the proxy, a 302 to
// another host refused before a single byte of that host's video is fetched, tickets single-use.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { startSimulator, type Simulator } from '../simulator/simulator.ts';
import { locateFfmpeg, runToCompletion } from '../ffmpeg/index.ts';
import { RtspAuthProxy, type ProxyEvent } from './auth-proxy.ts';

let sim: Simulator;
let proxy: RtspAuthProxy;
let evil: net.Server;
let evilPort = 0;
const events: ProxyEvent[] = [];
const ffmpeg = locateFfmpeg();

/** Reads `seconds` of the source as MPEG-TS on stdout: the bytes a viewer would get. */
const grab = (url: string, seconds = 2) =>
  runToCompletion(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-stimeout', '4000000', '-i', url, '-t', String(seconds), '-c', 'copy', '-f', 'mpegts', 'pipe:1'], { timeoutMs: 15_000 });

beforeAll(async () => {
  sim = await startSimulator({ cameras: 1, addressMode: 'single-ip', rtspPort: 0, httpPort: 0, username: 'admin', password: 'pw-secret-77', nameOverlay: false });
  proxy = new RtspAuthProxy({ onEvent: (e) => events.push(e) });
  await proxy.listen();
  // a "camera" that answers everything with a redirect to the simulator (another host, in real life)
  evil = net.createServer((s) => {
    s.on('data', (d: Buffer) => {
      const cseq = /CSeq:\s*(\d+)/i.exec(d.toString())?.[1] ?? '1';
      const loc = sim.cameras[0]!.streamUri('main').replace('rtsp://', 'rtsp://admin:pw-secret-77@');
      s.write(`RTSP/1.0 302 Moved Temporarily\r\nCSeq: ${cseq}\r\nLocation: ${loc}\r\n\r\n`);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  evilPort = (evil.address() as net.AddressInfo).port;
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await new Promise((r) => evil?.close(r));
  await sim?.close();
});

describe('RTSP auth proxy', () => {
  it('plays the camera with credentials the proxy adds (none in the URL ffmpeg gets)', async () => {
    const c = sim.cameras[0]!;
    const url = proxy.ticket(c.streamUri('main').replace('rtsp://', 'rtsp://admin:pw-secret-77@'));
    expect(url).not.toContain('pw-secret-77');
    const r = await grab(url, 1);
    expect(r.exit.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(10_000);
    expect(r.stdout[0]).toBe(0x47); // MPEG-TS sync byte
  }, 30_000);

  it('a ticket is single-use', async () => {
    const c = sim.cameras[0]!;
    const url = proxy.ticket(c.streamUri('main').replace('rtsp://', 'rtsp://admin:pw-secret-77@'));
    expect((await grab(url, 0.5)).exit.code).toBe(0);
    const again = await grab(url, 0.5);
    expect(again.exit.code).not.toBe(0);
    expect(again.stdout.length).toBe(0);
  }, 30_000);

  it('refuses a 302 to another host: no byte of that host reaches the viewer, the simulator is never asked', async () => {
    const before = sim.cameras[0]!.stats();
    const r = await grab(proxy.ticket({ host: '127.0.0.1', port: evilPort, path: '/stream', username: 'admin', password: 'pw-secret-77' }), 2);
    expect(r.exit.code).not.toBe(0);
    expect(r.stdout.length).toBe(0);
    const after = sim.cameras[0]!.stats();
    expect(after.rtspConnections).toBe(before.rtspConnections);
    expect(after.bytesSent).toBe(before.bytesSent);
    expect(proxy.stats.redirectsRefused).toBeGreaterThanOrEqual(1);
    expect(events.some((e) => e.kind === 'redirect_refused' && !e.detail.includes('pw-secret'))).toBe(true);
  }, 30_000);
});
