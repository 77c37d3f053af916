// End to end on 127.0.0.1: simulated RTSP camera → ffmpeg relay → node-media-server worker → edge → real clients.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import http from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startSimulator, type Simulator } from '../../../camera-adapters/simulator/simulator.ts';
import { locateFfmpeg, locateFfprobe, runToCompletion, spawnManaged, testClipArgs, loopPublishArgs } from '../../../camera-adapters/ffmpeg/index.ts';
import { errors } from '../../errors.ts';
import { createMediaRuntime, type MediaRuntime } from '../runtime.ts';
import { playSign, publishQuery } from '../sources/publish-token.ts';
import { freePort, freePortRun, pidsWithArg, processState, rawGet } from '../test-support.ts';
import type { AuditEvent, EdgeDeps } from '../edge-types.ts';
import { FlvDemuxer, TAG_VIDEO, type FlvTag } from './flv.ts';

const SECRET = 'test-internal-secret';
let sim: Simulator;
let rt: MediaRuntime;
let app: FastifyInstance;
let port = 0;
let dir = '';
const audits: AuditEvent[] = [];
const camState: Record<string, string> = {};

const deps: EdgeDeps = {
  async authorize({ token, cameraId }) {
    if (!token) throw errors.tokenMissing('A play token is required.');
    const [kind, cam, ms] = token.split(':');
    if (kind === 'forged') throw errors.tokenInvalid('Token signature is invalid.');
    if (kind !== 'ok' && kind !== 'short') throw errors.tokenInvalid('Malformed token.');
    if (cam !== cameraId) throw errors.forbidden('Token is for another camera.');
    const until = new Date(Date.now() + (kind === 'short' ? Number(ms ?? 1500) : 60_000));
    return { userId: 'user-1', grantId: 'grant-1', until, sessionKey: `sk-${token}` };
  },
  async resolveCamera(cameraId) {
    const c = sim.camera(cameraId);
    if (c) {
      const url = c.streamUri('main').replace('rtsp://', `rtsp://${c.username}:${c.password}@`);
      return { rtspUrl: url, state: camState[cameraId] ?? 'online' };
    }
    return undefined;
  },
  audit: (e) => void audits.push(e),
};

const CAM = 'cam-0001';
const url = (cam: string, token?: string, ext = 'flv'): string =>
  `/media/live/${cam}.${ext}${token ? `?token=${encodeURIComponent(token)}` : ''}`;

/** Opens an HTTP-FLV viewer; resolves once `minBytes` arrived. */
function viewer(cam: string, token: string, minBytes = 1000): Promise<{ res: http.IncomingMessage; bytes: () => number; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: url(cam, token), agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      let n = 0;
      let done = false;
      const closed = new Promise<void>((r) => res.socket.once('close', () => r()));
      res.on('data', (d: Buffer) => {
        n += d.length;
        if (!done && n >= minBytes) {
          done = true;
          resolve({ res, bytes: () => n, closed });
        }
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
  });
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sw-media-'));
  const simBase = await freePortRun(4);
  sim = await startSimulator({ cameras: 2, addressMode: 'single-ip', rtspPort: simBase, httpPort: simBase + 2 });
  const base = await freePortRun(2);
  rt = await createMediaRuntime(
    { workers: 1, rtmpBasePort: base, httpBasePort: base + 1, secret: SECRET, dataDir: dir, pullIdleMs: 1500, stallTimeoutMs: 4000 },
    deps,
  );
  app = Fastify();
  await app.register(rt.routes);
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await app?.close();
  await rt?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('live edge', () => {
  it('serves decodable H.264 over HTTP-FLV with a video-only FLV header', async () => {
    const head = await rawGet(port, url(CAM, `ok:${CAM}`), { limitMs: 2500 });
    expect(head.status).toBe(200);
    expect(head.body.subarray(0, 3).toString()).toBe('FLV');
    expect(head.body[4]).toBe(1); // video flag only: no phantom audio track
    const r = await runToCompletion(
      locateFfprobe(),
      ['-v', 'error', '-show_streams', '-of', 'json', `http://127.0.0.1:${port}${url(CAM, `ok:${CAM}`)}`],
      { timeoutMs: 15_000 },
    );
    const streams = (JSON.parse(r.stdout.toString()) as { streams: { codec_name: string; width: number }[] }).streams;
    expect(streams.map((s) => s.codec_name)).toEqual(['h264']);
    expect(streams[0]?.width).toBe(1280);
    const dec = await runToCompletion(
      locateFfmpeg(),
      ['-v', 'error', '-i', `http://127.0.0.1:${port}${url(CAM, `ok:${CAM}`)}`, '-frames:v', '30', '-f', 'null', '-'],
      { timeoutMs: 15_000 },
    );
    expect(dec.exit.code, dec.stderr).toBe(0);
    expect(dec.stderr).toBe('');
  });

  it('refuses missing, malformed, forged and wrong-camera tokens with zero video bytes', async () => {
    const cases: [string | undefined, number, string][] = [
      [undefined, 401, 'token_missing'],
      ['garbage', 401, 'token_invalid'],
      [`forged:${CAM}`, 401, 'token_invalid'],
      ['ok:cam-0002', 403, 'forbidden'],
    ];
    for (const [token, status, code] of cases) {
      const r = await rawGet(port, url(CAM, token));
      expect(r.status).toBe(status);
      expect(JSON.parse(r.body.toString()).error.code).toBe(code);
      expect(r.body.includes('FLV')).toBe(false);
      expect(r.body.length).toBeLessThan(200);
    }
    const bearer = await rawGet(port, url(CAM), { headers: { authorization: `Bearer forged:${CAM}` } });
    expect(bearer.status).toBe(401);
    expect(audits.filter((a) => a.type === 'live.refused').length).toBeGreaterThanOrEqual(5);
  });

  it('answers 404 for an unknown camera and 503 with the state for an offline one', async () => {
    const nf = await rawGet(port, url('nope', 'ok:nope'));
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.body.toString()).error.code).toBe('not_found');
    camState['cam-0002'] = 'offline';
    const off = await rawGet(port, url('cam-0002', 'ok:cam-0002'));
    delete camState['cam-0002'];
    expect(off.status).toBe(503);
    expect(JSON.parse(off.body.toString()).error).toMatchObject({ code: 'camera_offline', state: 'offline' });
  });

  it('20 viewers share exactly one upstream pull', async () => {
    const vs = await Promise.all(Array.from({ length: 20 }, () => viewer(CAM, `ok:${CAM}`, 20_000)));
    const pulls = rt.pulls.list().filter((p) => p.cameraId === CAM);
    expect(pulls).toHaveLength(1);
    expect(pidsWithArg(pulls[0]!.streamPath)).toHaveLength(1); // one ffmpeg relay process
    expect(sim.camera(CAM)!.stats().rtspSessions).toBe(1);
    const w = await rt.workers.streams(0);
    const s = w.streams.find((x) => x.path === pulls[0]!.streamPath);
    expect(s).toMatchObject({ publishing: true, subscribers: 1 }); // the edge is the worker's only viewer
    expect(rt.edge.sessions().filter((x) => x.cameraId === CAM)).toHaveLength(20);
    for (const v of vs) v.res.destroy();
    await waitFor(() => rt.edge.sessions().length === 0, 3000);
  });

  it('closeWhere (revoke) cuts an open stream and audits the reason', async () => {
    const v = await viewer(CAM, `ok:${CAM}`);
    const t0 = Date.now();
    const n = rt.edge.closeWhere((s) => s.grantId === 'grant-1' && s.cameraId === CAM, 'grant_revoked');
    expect(n).toBe(1);
    await v.closed;
    expect(Date.now() - t0).toBeLessThan(3000);
    const close = audits.filter((a) => a.type === 'live.close' && a.reason === 'grant_revoked');
    expect(close).toHaveLength(1);
    expect(close[0]!.bytes).toBeGreaterThan(0);
  });

  it('closeWhere also reaches a viewer still waiting for a cold pull: it gets 403 and no video', async () => {
    const pending = rawGet(port, url('cam-0002', 'ok:cam-0002'), { limitMs: 15_000 });
    await waitFor(() => rt.pulls.get('cam-0002', 'main') !== undefined, 3000);
    expect(rt.edge.closeWhere((s) => s.cameraId === 'cam-0002', 'grant_revoked')).toBe(1);
    const r = await pending;
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body.toString()).error.code).toBe('grant_revoked');
    expect(r.body.includes('FLV')).toBe(false);
  });

  it('a viewer joining a running stream gets timestamps starting near zero (players start at once)', async () => {
    const first = await viewer(CAM, `ok:${CAM}`);
    await new Promise((r) => setTimeout(r, 2500));
    const tags: FlvTag[] = [];
    const demux = new FlvDemuxer();
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: url(CAM, `ok:${CAM}`), agent: false }, (res) => {
        res.on('data', (d: Buffer) => {
          for (const t of demux.push(Buffer.from(d)).tags) tags.push({ ...t, bytes: Buffer.from(t.bytes) });
          if (tags.filter((t) => t.type === TAG_VIDEO && !t.sequenceHeader).length >= 30) {
            res.destroy();
            resolve();
          }
        });
      });
      req.on('error', reject);
    });
    const video = tags.filter((t) => t.type === TAG_VIDEO && !t.sequenceHeader);
    expect(video[0]!.keyframe).toBe(true);
    expect(video[0]!.timestamp).toBe(0);
    expect(video.every((t) => t.timestamp < 3000)).toBe(true); // the upstream clock is past 2.5 s by now
    for (let i = 1; i < video.length; i++) expect(video[i]!.timestamp).toBeGreaterThanOrEqual(video[i - 1]!.timestamp);
    first.res.destroy();
  });

  it('no process list shows the camera password or the internal secret while a pull runs', async () => {
    const v = await viewer(CAM, `ok:${CAM}`);
    const mine = (): string[] => {
      const out: string[] = [];
      for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        try {
          const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ')[1]);
          if (ppid === process.pid) out.push(readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' '));
        } catch {
          /* exited meanwhile */
        }
      }
      return out;
    };
    const cmds = mine();
    expect(cmds.some((c) => c.includes('ffmpeg') && c.includes('rtsp://127.0.0.1:'))).toBe(true); // the relay reads the proxy
    for (const c of cmds) {
      expect(c).not.toContain(sim.camera(CAM)!.password);
      expect(c).not.toContain(SECRET);
      expect(c).not.toMatch(/rtsp:\/\/[^ ]*@/);
    }
    v.res.destroy();
  });

  it('watchdog: a relay that stops delivering frames (SIGSTOP) is restarted, not only a crashed one', async () => {
    const media: string[] = [];
    const onMedia = (e: { cameraId: string; state: string }) => void (e.cameraId === CAM && media.push(e.state));
    rt.pulls.on('media', onMedia);
    const v = await viewer(CAM, `ok:${CAM}`);
    const pull = rt.pulls.get(CAM, 'main')!;
    const pid = pull.proc!.pid!;
    const restarts = pull.restarts;
    pull.hold(); // a holder that outlives the viewer (as the recorder does)
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(() => pull.restarts > restarts && pull.proc?.pid !== undefined && pull.proc.pid !== pid, 15_000);
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* already gone */
      }
    }
    await v.closed; // its GOP went stale: the viewer was told source_lost
    expect(audits.some((a) => a.type === 'live.close' && a.reason === 'source_lost')).toBe(true);
    const again = await viewer(CAM, `ok:${CAM}`);
    again.res.destroy();
    pull.release();
    rt.pulls.off('media', onMedia);
  }, 30_000);

  it('a session ends at its `until`', async () => {
    const t0 = Date.now();
    const v = await viewer(CAM, `short:${CAM}:1500`);
    await v.closed;
    expect(Date.now() - t0).toBeLessThan(1500 + 3000);
    expect(audits.some((a) => a.type === 'live.close' && a.reason === 'expired')).toBe(true);
  });

  it('WS-FLV: binary FLV frames; refused before the upgrade', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${url(CAM, `ok:${CAM}`, 'ws')}`);
    const first = await new Promise<Buffer>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(d));
      ws.once('error', reject);
    });
    expect(first.subarray(0, 3).toString()).toBe('FLV');
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    rt.edge.closeWhere((s) => s.transport === 'ws-flv', 'user_logged_out');
    expect(await closed).toEqual({ code: 4000, reason: 'user_logged_out' });

    const bad = new WebSocket(`ws://127.0.0.1:${port}${url(CAM, `forged:${CAM}`, 'ws')}`);
    const status = await new Promise<number>((resolve) => {
      bad.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      bad.once('open', () => resolve(101));
      bad.once('error', () => {});
    });
    expect(status).toBe(401);
  });

  it('snapshot: a JPEG from the running pull, authorised, cached briefly', async () => {
    const r = await rawGet(port, `/media/snapshot/${CAM}.jpg?token=ok:${CAM}`, { limitMs: 10_000 });
    expect(r.status).toBe(200);
    expect(r.body[0]).toBe(0xff);
    expect(r.body[1]).toBe(0xd8);
    const denied = await rawGet(port, `/media/snapshot/${CAM}.jpg`);
    expect(denied.status).toBe(401);
    expect(audits.some((a) => a.type === 'snapshot')).toBe(true);
  });

  it('watchdog: a stall of the gateway\'s own event loop longer than the stall timeout restarts no healthy relay', async () => {
    const v = await viewer(CAM, `ok:${CAM}`);
    const pull = rt.pulls.get(CAM, 'main')!;
    const restarts = pull.restarts;
    const pid = pull.proc!.pid!;
    const busyUntil = Date.now() + 5000; // > stallTimeoutMs (4 s): the relay keeps sending, we cannot read
    while (Date.now() < busyUntil) {
      /* a blocked event loop */
    }
    await new Promise((r) => setTimeout(r, 2000));
    expect(pull.restarts).toBe(restarts);
    expect(pull.proc?.pid).toBe(pid);
    const before = v.bytes();
    await new Promise((r) => setTimeout(r, 500));
    expect(v.bytes()).toBeGreaterThan(before); // the viewer is still being served
    v.res.destroy();
  });

  it('killing the relay ffmpeg mid-stream leaves no zombie and the pull restarts', async () => {
    const v = await viewer(CAM, `ok:${CAM}`);
    const pull = rt.pulls.get(CAM, 'main')!;
    const old = pull.proc!.pid!;
    process.kill(old, 'SIGKILL');
    await waitFor(() => pull.proc !== null && pull.proc.pid !== old, 5000);
    expect(processState(old)).toBeNull(); // reaped, not a zombie
    expect(pull.restarts).toBeGreaterThanOrEqual(1);
    const before = v.bytes();
    await waitFor(() => v.bytes() > before + 50_000, 10_000); // video flows again on the same session
    v.res.destroy();
  });

  it('a worker crash closes viewers with a reason; the worker restarts and new viewers play', async () => {
    const v = await viewer(CAM, `ok:${CAM}`);
    rt.workers.crash(0);
    await v.closed;
    // the socket may close before the worker's exit is seen: either reason tells the viewer to reconnect
    expect(audits.some((a) => a.type === 'live.close' && ['worker_restart', 'upstream_lost'].includes(a.reason ?? ''))).toBe(true);
    await rt.workers.waitReady(0, 10_000);
    const again = await viewer(CAM, `ok:${CAM}`, 20_000);
    again.res.destroy();
  });

  it('publishing into a worker needs the internal secret; a play sign is not enough', async () => {
    const clip = join(dir, 'c.flv');
    await runToCompletion(locateFfmpeg(), testClipArgs({ output: clip, seconds: 2, width: 160, height: 90 }), { timeoutMs: 20_000 });
    const w = rt.workers.get(0);
    const rejected: string[] = [];
    rt.workers.on('rejectedPublish', (_w, p: string) => rejected.push(p));
    for (const q of ['', `sign=${playSign(SECRET, '/live/intruder')}`]) {
      const p = spawnManaged(locateFfmpeg(), loopPublishArgs({ clip, output: `rtmp://127.0.0.1:${w.rtmpPort}/live/intruder?${q}` }));
      await Promise.race([p.exited, new Promise((r) => setTimeout(r, 3000))]);
      await p.stop(1000);
    }
    expect(rejected).toEqual(['/live/intruder', '/live/intruder']);
    const ok = spawnManaged(locateFfmpeg(), loopPublishArgs({ clip, output: `rtmp://127.0.0.1:${w.rtmpPort}/live/legit?${publishQuery(SECRET, '/live/legit')}` }));
    await waitFor(async () => (await rt.workers.streams(0)).streams.some((s) => s.path === '/live/legit' && s.publishing), 5000);
    await ok.stop(1000);
    const st = (await rt.workers.streams(0)).streams.find((s) => s.path === '/live/intruder');
    expect(st?.publishing ?? false).toBe(false);
  });

  it('stops an idle pull after the configured time', async () => {
    const v = await viewer(CAM, `ok:${CAM}`);
    const path = rt.pulls.get(CAM, 'main')!.streamPath;
    v.res.destroy();
    await waitFor(() => rt.pulls.list().length === 0, 6000);
    await waitFor(() => pidsWithArg(path).length === 0, 4000);
  });
});
