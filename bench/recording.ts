// Recording benchmark: CPU per recorded camera (the remux ffmpeg, and the whole pipeline per camera),
// RSS and disk write rate; footage lost by a kill -9 of the recording ffmpeg mid-segment; the CPU of one masked
// live transcode (maskedLiveFigures); retention delete cost over a 30-day range, one by one against batched
// (bench/support/retention-cost.ts); then the capacity ramp (cameras recorded and watched live by 2 viewers each,
// bench/support/capacity.ts).
// `npm run bench -- recording` (N cameras from BENCH_REC_CAMERAS, default 50, at BENCH_REC_KBPS, default 2048 kbit/s;
// BENCH_REC_CAPACITY=0 skips the ramp, BENCH_CAPACITY_LEVELS=10,20,… sets it). Measured on a shared box: noisy.
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os, { loadavg } from 'node:os';
import path from 'node:path';
import { startSimulator } from '../camera-adapters/simulator/simulator.ts';
import { locateFfmpeg } from '../camera-adapters/ffmpeg/index.ts';
import { createMediaRuntime } from '../gateway/media/runtime.ts';
import { freePortRun } from '../gateway/media/test-support.ts';
import type { EdgeDeps } from '../gateway/media/edge-types.ts';
import { CameraRecorder } from '../gateway/media/recorder/camera-recorder.ts';
import { LocalSegmentStore } from '../gateway/media/recorder/segment-store.ts';
import { scanTsFile } from '../gateway/media/recorder/ts-scan.ts';
import { round, tempDir, type Figures } from './lib.ts';
import { measureCapacity } from './support/capacity.ts';
import { measureRetentionCost } from './support/retention-cost.ts';

const CLK_TCK = 100;
const WINDOW_MS = 20_000;

function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}
const children = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return Number(readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    });
const rssKb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

export async function run(): Promise<Figures> {
  const n = Number(process.env.BENCH_REC_CAMERAS ?? 50);
  const kbps = Number(process.env.BENCH_REC_KBPS ?? 2048);
  const dir = tempDir('sw-bench-rec-');
  const sim = await startSimulator({ cameras: n, addressMode: 'single-ip', rtspPort: 0, httpPort: 0, nameOverlay: false, mainBitrateKbps: kbps });
  const deps: EdgeDeps = {
    async authorize() {
      return { userId: 'bench', grantId: null, until: new Date(Date.now() + 3_600_000), sessionKey: 'k' };
    },
    async resolveCamera(id) {
      const c = sim.camera(id);
      return c ? { rtspUrl: c.streamUri('main').replace('rtsp://', `rtsp://${c.username}:${c.password}@`), state: 'online' } : undefined;
    },
    audit: () => undefined,
  };
  const base = await freePortRun(2);
  const rt = await createMediaRuntime({ workers: 1, rtmpBasePort: base, httpBasePort: base + 1, dataDir: path.join(dir, 'nms'), pullIdleMs: 5000 }, deps);
  const store = new LocalSegmentStore(path.join(dir, 'rec'));
  const ffmpeg = locateFfmpeg();
  let bytes = 0;
  const recs = sim.cameras.map(
    (c) =>
      new CameraRecorder({
        cameraId: c.id.padEnd(36, '0').slice(0, 36), // store paths want a uuid-shaped id; the source lookup uses c.id below
        stream: 'main',
        segmentSeconds: 10,
        store,
        ffmpegPath: ffmpeg,
        source: { holdSource: (_id, stream, sink) => rt.edge.holdSource(c.id, stream, sink) },
        index: async (s) => void (bytes += s.bytes),
        onState: () => undefined,
        canWrite: () => true,
      }),
  );
  const figures: Figures = {};
  try {
    for (const r of recs) r.start();
    const t0 = Date.now();
    while (recs.some((r) => r.state !== 'recording') && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 500));
    await new Promise((r) => setTimeout(r, 3000));
    const recPids = new Set(recs.map((r) => r.pid).filter((p): p is number => p !== undefined));
    const all = children();
    const tick0 = new Map(all.map((p) => [p, cpuTicks(p)]));
    const self0 = process.cpuUsage();
    const diskDir = store.root;
    const du = (): number => {
      let total = 0;
      const walk = (d: string): void => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else total += statSync(p).size;
        }
      };
      walk(diskDir);
      return total;
    };
    const disk0 = du();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const disk1 = du();
    const self = process.cpuUsage(self0);
    let recTicks = 0;
    let otherTicks = 0;
    for (const [p, t] of tick0) {
      const d = cpuTicks(p) - t;
      if (recPids.has(p)) recTicks += d;
      else otherTicks += d;
    }
    const pct = (ticks: number): number => (ticks / CLK_TCK / (WINDOW_MS / 1000)) * 100;
    const recording = recs.filter((r) => r.state === 'recording').length;
    figures.cameras_recorded = recording;
    figures.cpu_pct_per_camera = round(pct(recTicks) / Math.max(1, recPids.size), 3);
    figures.cpu_pct_per_camera_pipeline = round(
      (pct(recTicks + otherTicks) + ((self.user + self.system) / 1000 / WINDOW_MS) * 100) / Math.max(1, recording),
      3,
    );
    figures.cpu_note = 'cpu_pct_per_camera: the recording remux ffmpeg only; _pipeline adds the camera relay ffmpeg, the NMS worker, the simulator and the gateway process, per camera';
    figures.rss_mb_gateway = round(process.memoryUsage().rss / 1024 / 1024, 1);
    figures.rss_mb_per_recording_ffmpeg = round([...recPids].reduce((a, p) => a + rssKb(p), 0) / 1024 / Math.max(1, recPids.size), 1);
    figures.disk_write_kbit_s_per_camera = round(((disk1 - disk0) * 8) / 1000 / (WINDOW_MS / 1000) / Math.max(1, recording), 0);
    figures.stream_kbps_nominal = kbps;
    figures.rss_mb_per_relay_ffmpeg = round(
      rt.pulls.list().reduce((a, p) => a + (p.pid ? rssKb(p.pid) : 0), 0) / 1024 / Math.max(1, rt.pulls.list().length), 1);

    // kill -9 of the recording ffmpeg mid-segment, three times: lost = kill time − end of what is on disk
    const losses: number[] = [];
    const r0 = recs[0]!;
    const staging = store.absolute(`${sim.cameras[0]!.id.padEnd(36, '0').slice(0, 36)}/main/.staging`);
    for (let i = 0; i < 3; i++) {
      while (r0.pid === undefined) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 4000 + i * 1700));
      const pid = r0.pid!;
      const before = new Set(readdirSync(staging));
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      const cut = readdirSync(staging).filter((f) => f.endsWith('.part'));
      // the cut segment: the killed run (newest wall-clock prefix), highest segment number
      const key = (f: string): [number, number] => [Number(f.split('-')[0]), Number(f.split('-')[1]!.slice(0, 6))];
      const newest = cut
        .filter((f) => before.has(f))
        .sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1])
        .at(-1);
      if (!newest) continue;
      const scan = await scanTsFile(path.join(staging, newest));
      const wall = Number(newest.split('-')[0]);
      const endWall = scan ? wall + (scan.start + scan.duration) * 1000 : wall;
      losses.push(Math.max(0, killedAt - endWall) / 1000);
      while (r0.pid === pid || r0.pid === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    figures.kill9_loss_s = losses.length ? round(Math.max(...losses), 2) : 'not measured';
    figures.kill9_trials = losses.map((l) => round(l, 2)).join(', ');
    figures.load_note = `1-min load average ${round(loadavg()[0]!, 1)} at the end of the CPU window on this 2-core machine (other work running at the same time makes CPU an upper bound)`;
  } finally {
    await Promise.all(recs.map((r) => r.stop('bench_end')));
    await rt.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  Object.assign(figures, await maskedLiveFigures());
  Object.assign(figures, await measureRetentionCost());
  if (process.env.BENCH_REC_CAPACITY !== '0') Object.assign(figures, await capacity(kbps));
  return figures;
}

// --- masked live view (masked-live): one blurring transcode of a 720p camera, shared by its masked viewers ---

/** CPU (percent of one core, from /proc/<pid>/stat over WINDOW_MS) of the masked live transcode of one 720p camera. */
async function maskedLiveFigures(): Promise<Figures> {
  const dir = tempDir('sw-bench-mask-');
  const sim = await startSimulator({ cameras: 1, addressMode: 'single-ip', rtspPort: 0, httpPort: 0, nameOverlay: false });
  const cam = sim.cameras[0]!;
  // two rectangles, as an owner blurring a neighbour's window and a gate would draw them
  const rects = [{ x: 0.1, y: 0.1, w: 0.3, h: 0.3 }, { x: 0.6, y: 0.5, w: 0.3, h: 0.4 }];
  const deps: EdgeDeps = {
    async authorize() {
      return { userId: 'partner', grantId: 'g', until: new Date(Date.now() + 3_600_000), sessionKey: 'k' };
    },
    async resolveCamera(id, stream) {
      const c = sim.camera(id);
      return c ? { rtspUrl: c.streamUri(stream).replace('rtsp://', `rtsp://${c.username}:${c.password}@`), state: 'online' } : undefined;
    },
    audit: () => undefined,
    liveMask: async () => ({ mask: { version: 1, rects }, liftedVersion: null }),
  };
  const base = await freePortRun(2);
  const rt = await createMediaRuntime({ workers: 1, rtmpBasePort: base, httpBasePort: base + 1, dataDir: path.join(dir, 'nms'), pullIdleMs: 5000, maskGraceMs: 500 }, deps);
  const figures: Figures = {};
  const load0 = os.loadavg()[0]!;
  /** Two masked viewers of one stream (they must share one transcode); CPU of that transcode over WINDOW_MS. */
  const measure = async (stream: 'main' | 'sub') => {
    let bytes = 0;
    const sink = { write: (b: Buffer) => void (bytes += b.length), buffered: () => 0, close: () => undefined, onClose: () => undefined };
    for (let i = 0; i < 2; i++) {
      const prepared = await rt.edge.prepareLive({ token: 'bench', cameraId: cam.id, stream, ip: '127.0.0.1' });
      rt.edge.attach(prepared, sink, 'http-flv');
    }
    await new Promise((r) => setTimeout(r, 3000));
    const transcodes = rt.edge.masked.stats().filter((t) => t.stream === stream);
    const pid = transcodes[0]!.pid!;
    const t0 = cpuTicks(pid);
    const b0 = bytes;
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const ticks = cpuTicks(pid) - t0;
    // a transcode slower than real time falls two source GOPs behind and is dropped (its viewers closed)
    const after = rt.edge.masked.stats().filter((t) => t.stream === stream);
    const result = {
      cpu: round((ticks / CLK_TCK / (WINDOW_MS / 1000)) * 100, 1),
      transcodes: transcodes.length,
      keptUp: after.length === 1 && after[0]!.pid === pid && after[0]!.viewers === 2 ? 'yes' : 'no (dropped as too slow)',
      rssMb: round(rssKb(pid) / 1024, 1),
      kbps: round(((bytes - b0) * 8) / 2 / 1000 / (WINDOW_MS / 1000), 0),
    };
    rt.edge.closeWhere(() => true, 'bench_next');
    return result;
  };
  try {
    const main = await measure('main');
    figures.mask_cpu_pct_per_camera = main.cpu;
    figures.mask_transcodes_for_2_viewers = main.transcodes;
    figures.mask_kept_up_real_time = main.keptUp;
    figures.mask_rss_mb_per_transcode = main.rssMb;
    figures.mask_output_kbit_s_per_viewer = main.kbps;
    figures.mask_stream = '1280x720 25 fps H.264 from the simulator (1 Mbit/s), two rectangles blurred, x264 ultrafast/zerolatency, keyframe every 2 s';
    const sub = await measure('sub');
    figures.mask_cpu_pct_per_camera_sub_stream = sub.cpu;
    figures.mask_sub_stream = `640x360 15 fps sub stream, same mask; kept up: ${sub.keptUp}, ${sub.rssMb} MB RSS, ${sub.kbps} kbit/s per viewer`;
    figures.mask_load_note = `load average ${load0.toFixed(1)} at start, ${os.loadavg()[0]!.toFixed(1)} at end on this 2-core machine (other work running at the same time makes it an upper bound)`;
  } finally {
    rt.edge.closeWhere(() => true, 'bench_end');
    await rt.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

/** cameras_live_and_recorded: the ramp, bounded to about 10 minutes. */
function capacity(kbps: number): Promise<Figures> {
  const levels = (process.env.BENCH_CAPACITY_LEVELS ?? '10,20,40,60,80,100,120,150').split(',').map(Number).filter((x) => x > 0);
  return measureCapacity({ levels, bitrateKbps: kbps, windowMs: 20_000, budgetMs: 8 * 60_000, workers: Number(process.env.BENCH_CAPACITY_WORKERS ?? 1) });
}
