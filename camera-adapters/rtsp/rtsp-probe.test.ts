import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { rtspProbe } from './rtsp-probe.ts';

let sim: Simulator;
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

/** A hostile RTSP endpoint on 127.0.0.1 that answers every request with `reply(request)`. */
async function hostile(reply: (socket: net.Socket) => void): Promise<string> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => reply(socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `rtsp://127.0.0.1:${(server.address() as net.AddressInfo).port}/cam/main`;
}

beforeAll(async () => {
  sim = await startSimulator({ cameras: [{ id: 'probe-1' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: '守望 pw', nameOverlay: false });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await sim?.close();
});

describe('rtspProbe', () => {
  it('OPTIONS then DESCRIBE with Digest against the simulator', async () => {
    const cam = sim.cameras[0]!;
    expect(await rtspProbe(cam.streamUri('main'), { username: 'admin', password: '守望 pw', deadlineMs: 3000 })).toMatchObject({ ok: true });
  });

  it('wrong password → auth_failed, and the password is in no message', async () => {
    const r = await rtspProbe(sim.cameras[0]!.streamUri('main'), { username: 'admin', password: 'wr0ng-s3cret', deadlineMs: 3000 });
    expect(r).toMatchObject({ ok: false, code: 'auth_failed' });
    expect(JSON.stringify(r)).not.toContain('wr0ng-s3cret');
  });

  it('RTSP server stopped → unreachable', async () => {
    const cam = sim.cameras[0]!;
    await cam.setRtspOffline(true);
    try {
      expect(await rtspProbe(cam.streamUri('main'), { username: 'admin', password: '守望 pw', deadlineMs: 3000 })).toMatchObject({ ok: false, code: 'unreachable' });
    } finally {
      await cam.setRtspOffline(false);
    }
    expect(await rtspProbe(cam.streamUri('main'), { username: 'admin', password: '守望 pw', deadlineMs: 3000 })).toMatchObject({ ok: true });
  });

  it('a 302 to another host is not followed', async () => {
    const url = await hostile((s) => s.write('RTSP/1.0 302 Moved\r\nCSeq: 1\r\nLocation: rtsp://10.0.0.9/x\r\nContent-Length: 0\r\n\r\n'));
    expect(await rtspProbe(url, { username: 'a', password: 'b', deadlineMs: 2000 })).toMatchObject({ ok: false, code: 'redirect' });
  });

  it('an endless reply is cut at the size cap', async () => {
    const url = await hostile((s) => {
      s.write('RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 100000000\r\n\r\n');
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
        if (!s.destroyed) s.once('drain', pump);
      };
      pump();
    });
    expect(await rtspProbe(url, { username: 'a', password: 'b', deadlineMs: 3000, maxBytes: 64 * 1024 })).toMatchObject({ ok: false, code: 'too_large' });
  });

  it('a drip of bytes that never completes → timeout at the total deadline', async () => {
    const url = await hostile((s) => {
      const timer = setInterval(() => (s.destroyed ? clearInterval(timer) : s.write('R')), 100);
      s.on('close', () => clearInterval(timer));
    });
    const t0 = Date.now();
    expect(await rtspProbe(url, { username: 'a', password: 'b', deadlineMs: 600 })).toMatchObject({ ok: false, code: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(6000);
  });
});
