// HTTP-FLV viewers in their own process for the recording capacity bench: each one reads a live stream from the
// gateway's authorising edge and tracks its video timestamps, so the bench can tell real time from falling behind.
// JSON-line commands on stdin, JSON-line answers on stdout; exits when stdin closes (the bench ended or died).
import http from 'node:http';
import { createInterface } from 'node:readline';
import { FlvDemuxer, TAG_VIDEO } from '../../gateway/media/live/flv.ts';

type Cmd =
  | { cmd: 'open'; port: number; paths: string[] }
  | { cmd: 'window'; ms: number }
  | { cmd: 'closeAll' };

interface Viewer {
  req: http.ClientRequest;
  status: number;
  closed: boolean;
  bytes: number;
  /** Latest video timestamp (ms) and when it arrived. */
  lastTs: number | null;
  lastAt: number;
  /** Window bookkeeping. */
  wTs0: number | null;
  wAt0: number;
  wMaxGap: number;
  wBytes: number;
}

let viewers: Viewer[] = [];
const send = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

function open(port: number, path: string): Promise<Viewer> {
  return new Promise((resolve) => {
    const demux = new FlvDemuxer();
    const v: Viewer = { req: null as unknown as http.ClientRequest, status: 0, closed: false, bytes: 0, lastTs: null, lastAt: 0, wTs0: null, wAt0: 0, wMaxGap: 0, wBytes: 0 };
    let settled = false;
    const done = (): void => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    const timer = setTimeout(done, 20_000);
    v.req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      v.status = res.statusCode ?? 0;
      if (v.status !== 200) {
        res.resume();
        v.closed = true;
        clearTimeout(timer);
        return done();
      }
      res.on('data', (d: Buffer) => {
        v.bytes += d.length;
        v.wBytes += d.length;
        const now = performance.now();
        for (const t of demux.push(d).tags) {
          if (t.type !== TAG_VIDEO || t.sequenceHeader) continue;
          if (v.lastTs !== null) v.wMaxGap = Math.max(v.wMaxGap, now - v.lastAt);
          v.lastTs = t.timestamp;
          v.lastAt = now;
          if (t.keyframe) {
            clearTimeout(timer);
            done(); // playing: the first keyframe arrived
          }
        }
      });
      res.on('close', () => {
        v.closed = true;
        done();
      });
    });
    v.req.on('error', () => {
      v.closed = true;
      clearTimeout(timer);
      done();
    });
  });
}

async function handle(m: Cmd): Promise<void> {
  if (m.cmd === 'open') {
    const opened = await Promise.all(m.paths.map((p) => open(m.port, p)));
    viewers.push(...opened);
    send({ opened: opened.filter((v) => v.status === 200 && !v.closed && v.lastTs !== null).length, statuses: opened.map((v) => v.status) });
  } else if (m.cmd === 'window') {
    const at0 = performance.now();
    for (const v of viewers) {
      v.wTs0 = v.lastTs;
      v.wAt0 = v.lastAt;
      v.wMaxGap = 0;
      v.wBytes = 0;
    }
    const cpu0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, m.ms));
    const at1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    send({
      viewers: viewers.map((v) => {
        // media time advanced over wall time, each measured from the last frame before the window to the last in it
        const media = v.lastTs !== null && v.wTs0 !== null ? v.lastTs - v.wTs0 : 0;
        const wall = v.lastTs !== null && v.wTs0 !== null ? Math.max(1, at1 - v.wAt0) : at1 - at0;
        const gap = v.lastTs === null ? at1 - at0 : Math.max(v.wMaxGap, at1 - v.lastAt);
        return { ratio: media / wall, maxGapMs: Math.round(gap), closed: v.closed, kbps: Math.round((v.wBytes * 8) / (at1 - at0)) };
      }),
      cpuPct: ((cpu.user + cpu.system) / 1000 / (at1 - at0)) * 100,
    });
  } else if (m.cmd === 'closeAll') {
    for (const v of viewers) v.req.destroy();
    viewers = [];
    send({ closed: true });
  }
}

const rl = createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(() => handle(JSON.parse(line) as Cmd)).catch((e: unknown) => send({ error: String(e) }));
});
rl.on('close', () => {
  for (const v of viewers) v.req.destroy();
  process.exit(0);
});
send({ ready: true, pid: process.pid });
