// Recording capacity: how many cameras one machine records while each is watched live by 2 viewers, in real time.
// A real gateway (PostgreSQL, media workers, recorder, authorising edge over HTTP), simulated cameras in their own
// process, viewers in another, real play tokens. Ramps the camera count (bounded levels and total time), stops at
// the first level that does not hold real time, and reports the ceiling, what limits it and where the CPU goes.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type net from 'node:net';
import pino from 'pino';
import { benchDatabase, round, tempDir, type Figures } from '../lib.ts';
import { loadConfig } from '../../gateway/config/load.ts';
import { composeGateway } from '../../gateway/compose.ts';
import { buildApp } from '../../gateway/http/app.ts';
import { loadDemo, DEMO_PASSWORD } from '../../gateway/demo/load-demo.ts';
import { startMedia } from '../../gateway/media/start.ts';
import { freePortRun } from '../../gateway/media/test-support.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const CLK_TCK = 100;
const SEGMENT_SECONDS = 10;

export interface CapacityOptions {
  levels: number[];
  bitrateKbps: number;
  windowMs: number;
  /** No new level starts after this much time. */
  budgetMs: number;
  workers: number;
}

export type ProcessKind = 'gateway' | 'relay_ffmpeg' | 'recorder_ffmpeg' | 'nms_worker' | 'simulator' | 'viewers' | 'postgres' | 'other';
const KINDS: ProcessKind[] = ['gateway', 'relay_ffmpeg', 'recorder_ffmpeg', 'nms_worker', 'simulator', 'viewers', 'postgres', 'other'];

interface ProcInfo {
  pid: number;
  kind: ProcessKind;
  ticks: number;
  rssKb: number;
}

function stat(pid: number): { ppid: number; ticks: number } | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

function classify(pid: number): ProcessKind {
  if (pid === process.pid) return 'gateway';
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return 'other';
  }
  if (cmd.includes('ffmpeg') && cmd.includes('-segment_format')) return 'recorder_ffmpeg';
  if (cmd.includes('ffmpeg') && cmd.includes('rtmp://')) return 'relay_ffmpeg';
  if (cmd.includes('worker-child')) return 'nms_worker';
  if (cmd.includes('sim-child')) return 'simulator';
  if (cmd.includes('capacity-viewers')) return 'viewers';
  if (cmd.includes('postgres')) return 'postgres';
  return 'other';
}

/** Every process descended from this one, with its CPU ticks and RSS. */
export function processTree(): ProcInfo[] {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(Number(d));
    if (!s) continue;
    parent.set(Number(d), s.ppid);
    ticks.set(Number(d), s.ticks);
  }
  const out: ProcInfo[] = [];
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    for (let hops = 0; p && p !== process.pid && hops < 8; hops++) p = parent.get(p);
    if (p !== process.pid) continue;
    let rssKb = 0;
    try {
      rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0);
    } catch {
      /* gone */
    }
    out.push({ pid, kind: classify(pid), ticks: ticks.get(pid) ?? 0, rssKb });
  }
  return out;
}

/** Busy and total jiffies of the whole machine (all cores). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

/** A child speaking JSON lines; it exits by itself when its stdin closes, so it never outlives the bench. */
class LineChild {
  readonly proc: ChildProcess;
  private readonly rl: Interface;
  private readonly waiting: Array<(v: Record<string, unknown>) => void> = [];
  private readonly lines: Array<Record<string, unknown>> = [];

  constructor(script: string, args: string[]) {
    this.proc = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [script, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    this.rl = createInterface({ input: this.proc.stdout! });
    this.rl.on('line', (l) => {
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(l) as Record<string, unknown>;
      } catch {
        return;
      }
      const w = this.waiting.shift();
      if (w) w(v);
      else this.lines.push(v);
    });
  }

  next(timeoutMs: number): Promise<Record<string, unknown>> {
    const v = this.lines.shift();
    if (v) return Promise.resolve(v);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child did not answer in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }

  ask(cmd: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return this.next(timeoutMs);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.stdin!.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}

interface LevelResult {
  cameras: number;
  ok: boolean;
  why: string[];
  recording: number;
  viewersOpen: number;
  ratioMin: number;
  ratioP5: number;
  maxGapMs: number;
  recorderLagMaxS: number;
  newGaps: number;
  cpuPctByKind: Record<ProcessKind, number>;
  ourCpuPct: number;
  machineBusyPct: number;
  load1: number;
  rssMbByKind: Record<ProcessKind, number>;
  viewerKbps: number;
  attempts?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const zeros = (): Record<ProcessKind, number> => Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ProcessKind, number>;
const emptyLevel = (n: number): LevelResult => ({
  cameras: n, ok: false, why: [], recording: 0, viewersOpen: 0, ratioMin: 0, ratioP5: 0, maxGapMs: 0, recorderLagMaxS: 0, newGaps: 0,
  cpuPctByKind: zeros(), ourCpuPct: 0, machineBusyPct: 0, load1: round(loadavg()[0]!, 2), rssMbByKind: zeros(), viewerKbps: 0,
});

export async function measureCapacity(o: CapacityOptions): Promise<Figures> {
  const started = Date.now();
  const maxCameras = Math.max(...o.levels);
  const recDir = tempDir('sw-bench-cap-rec-');
  const mediaDir = tempDir('sw-bench-cap-media-');
  // a loopback /16 of our own, so simulated cameras of other runs on this machine never collide with ours
  const base = `127.${150 + Math.floor(Math.random() * 90)}.${Math.floor(Math.random() * 200)}.1`;
  const bdb = await benchDatabase();
  const config = loadConfig({
    file: null,
    env: {},
    overrides: {
      profile: 'test', demo: false, log: { level: 'silent' },
      recording: { enabled: true, dir: recDir, segmentSeconds: SEGMENT_SECONDS },
      cameras: { healthEnabled: false },
      // every viewer here comes from 127.0.0.1; real viewers come from many addresses
      http: { maxConnectionsPerAddress: 10_000 },
      media: { workers: o.workers },
    },
  });
  const gw = await composeGateway({ config, db: bdb.db, log: pino({ level: 'silent' }) });
  let media: Awaited<ReturnType<typeof startMedia>> | null = null;
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  let sim: LineChild | null = null;
  let viewers: LineChild | null = null;
  const levels: LevelResult[] = [];
  const figures: Figures = {};
  try {
    await loadDemo(gw);
    // only the bench's cameras record: the demo cameras have no simulator here
    await bdb.db.query('UPDATE cameras SET recording_allowed = false');
    media = await startMedia(gw, { rtmpBasePort: await freePortRun(o.workers), httpBasePort: await freePortRun(o.workers), dataDir: mediaDir, recordingDir: recDir });
    const recorder = media.recorder!;
    app = await buildApp(gw, { plugins: [media.routes] });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as net.AddressInfo).port;
    const login = async (): Promise<{ authorization: string }> => {
      const r = await app!.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'shouzhang.officer', password: DEMO_PASSWORD } });
      if (r.statusCode !== 200) throw new Error(`login: ${r.statusCode} ${r.body}`);
      return { authorization: `Bearer ${r.json().token as string}` };
    };
    const bearer = await login();
    // play tokens are limited to 120 a minute per login session: a fresh session every 100 tokens
    let tokenBearer = bearer;
    let tokensOnBearer = 0;
    const playToken = async (cameraId: string): Promise<string> => {
      if (tokensOnBearer >= 100) {
        tokenBearer = await login();
        tokensOnBearer = 0;
      }
      tokensOnBearer++;
      const tok = await app!.inject({ method: 'POST', url: '/api/v1/play-tokens', headers: tokenBearer, payload: { cameraId, action: 'live' } });
      if (tok.statusCode !== 201) throw new Error(`play token: ${tok.statusCode} ${tok.body}`);
      return tok.json().token as string;
    };

    sim = new LineChild('bench/support/sim-child.ts', [String(maxCameras), base, String(o.bitrateKbps)]);
    const simInfo = (await sim.next(120_000)) as { cameras: Array<{ id: string; host: string; httpPort: number }> };
    viewers = new LineChild('bench/support/capacity-viewers.ts', []);
    await viewers.next(60_000);

    const cameraIds: string[] = [];
    const enrol = async (i: number): Promise<void> => {
      const c = simInfo.cameras[i]!;
      const r = await app!.inject({
        method: 'POST', url: '/api/v1/cameras', headers: bearer,
        payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'bench-1234', ownerClass: 'police', lat: 35.95 + (i % 20) * 0.0005, lon: 115.88 + Math.floor(i / 20) * 0.0005, name: `capacity ${i + 1}` },
      });
      if (r.statusCode !== 201) throw new Error(`enrolling ${c.host}: ${r.statusCode} ${r.body}`);
      cameraIds[i] = r.json().id as string;
    };

    for (const n of o.levels) {
      if (levels.length > 0 && Date.now() - started > o.budgetMs) break;
      try {
        // enrol up to n (8 at a time), then let the recorder pick them up
        for (let i = cameraIds.length; i < n; i += 8) await Promise.all(Array.from({ length: Math.min(8, n - i) }, (_, k) => enrol(i + k)));
        await recorder.reconcile();
        const ids = cameraIds.slice(0, n);
        const recState = (): number => ids.filter((id) => recorder.recorder(id)?.state === 'recording').length;
        for (let t0 = Date.now(); recState() < n && Date.now() - t0 < 60_000; ) await sleep(500);
        // a level gets a second attempt: a burst of other work on a shared machine is not our ceiling
        let result: LevelResult | null = null;
        for (let attempt = 1; attempt <= 2; attempt++) {
          const why: string[] = [];
          const recordingSince = new Date();
          // fresh viewers each level: 2 per camera, each with its own play token
          await viewers.ask({ cmd: 'closeAll' }, 30_000);
          await sleep(1000); // the edge has seen the last level's viewers go
          const paths: string[] = [];
          for (const id of ids) for (let k = 0; k < 2; k++) paths.push(`/media/live/${id}.flv?token=${encodeURIComponent(await playToken(id))}`);
          const open = (await viewers.ask({ cmd: 'open', port, paths }, 120_000)) as { opened: number; statuses: number[] };
          const opened = Number(open.opened);
          const refused = [...new Set(open.statuses.filter((st) => st !== 200))];
          await sleep(5000); // warm: every viewer past its join burst
          const tree0 = processTree();
          const m0 = machineTicks();
          const self0 = process.cpuUsage();
          const w0 = Date.now();
          const win = (await viewers.ask({ cmd: 'window', ms: o.windowMs }, o.windowMs + 60_000)) as {
            viewers: Array<{ ratio: number; maxGapMs: number; closed: boolean; kbps: number }>;
            cpuPct: number;
          };
          const wallS = (Date.now() - w0) / 1000;
          const m1 = machineTicks();
          const self = process.cpuUsage(self0);
          const tree1 = processTree();
          const load1 = loadavg()[0]!;
          // a recorder restart since every recorder was recording (a gap ends where the new run starts)
          const gapRows = (await bdb.db.query<{ reason: string }>('SELECT reason FROM recording_gaps WHERE camera_id = ANY($1::uuid[]) AND end_at > $2', [ids, recordingSince])).rows;
          const errors = [...new Set(ids.map((id) => recorder.recorder(id)?.lastError).filter((e): e is string => !!e))].slice(0, 3);
          const lag = await bdb.db.query<{ lag: number }>(
            `SELECT extract(epoch FROM now() - max(end_at))::float8 AS lag FROM recording_segments WHERE camera_id = ANY($1::uuid[]) GROUP BY camera_id`, [ids]);
          const lags = lag.rows.map((r) => r.lag);
          const recorderLagMaxS = lags.length < n ? Infinity : Math.max(...lags);

          const cpuPctByKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ProcessKind, number>;
          const rssMbByKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ProcessKind, number>;
          const before = new Map(tree0.map((p) => [p.pid, p.ticks]));
          for (const p of tree1) {
            rssMbByKind[p.kind] += p.rssKb / 1024;
            if (p.kind === 'gateway') continue;
            const t0 = before.get(p.pid);
            if (t0 !== undefined) cpuPctByKind[p.kind] += ((p.ticks - t0) / CLK_TCK / wallS) * 100;
          }
          cpuPctByKind.gateway = ((self.user + self.system) / 1e6 / wallS) * 100;
          const ourCpuPct = KINDS.reduce((a, k) => a + cpuPctByKind[k], 0);
          const machineBusyPct = ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100 * 2; // % of one core, 2 cores

          const ratios = win.viewers.map((v) => v.ratio).sort((a, b) => a - b);
          const ratioMin = ratios[0] ?? 0;
          const ratioP5 = ratios[Math.floor(ratios.length * 0.05)] ?? 0;
          const maxGapMs = Math.max(0, ...win.viewers.map((v) => v.maxGapMs));
          const recording = recState();
          if (recording < n) why.push(`${n - recording} of ${n} recorders not recording`);
          if (opened < 2 * n) why.push(`${2 * n - opened} of ${2 * n} viewers did not start${refused.length ? ` (HTTP ${refused.join(', ')})` : ''}`);
          if (win.viewers.some((v) => v.closed)) why.push(`${win.viewers.filter((v) => v.closed).length} viewers were closed`);
          if (ratioMin < 0.95) why.push(`slowest viewer at ${round(ratioMin, 3)}× real time`);
          if (maxGapMs > 2000) why.push(`a viewer stalled ${maxGapMs} ms`);
          if (recorderLagMaxS > SEGMENT_SECONDS + 6) why.push(`recorder index ${round(recorderLagMaxS, 1)} s behind`);
          if (gapRows.length) why.push(`${gapRows.length} recorder restarts (gaps: ${[...new Set(gapRows.map((g) => g.reason))].join(', ')}; ${errors.join(' | ') || 'no error text'})`);
          result = {
            cameras: n, ok: why.length === 0, why, recording, viewersOpen: opened, ratioMin: round(ratioMin, 3), ratioP5: round(ratioP5, 3), maxGapMs,
            recorderLagMaxS: round(recorderLagMaxS, 1), newGaps: gapRows.length,
            cpuPctByKind: Object.fromEntries(KINDS.map((k) => [k, round(cpuPctByKind[k], 1)])) as Record<ProcessKind, number>,
            ourCpuPct: round(ourCpuPct, 1), machineBusyPct: round(machineBusyPct, 1), load1: round(load1, 2),
            rssMbByKind: Object.fromEntries(KINDS.map((k) => [k, round(rssMbByKind[k], 0)])) as Record<ProcessKind, number>,
            viewerKbps: round(win.viewers.reduce((a, v) => a + v.kbps, 0) / Math.max(1, win.viewers.length), 0),
          };
          result.attempts = attempt;
          if (result.ok || attempt === 2) break;
          process.stdout.write(`  capacity ${n} cameras: attempt 1 failed (${why.join('; ')}), load ${result.load1}; trying again\n`);
          await sleep(10_000);
        }
        levels.push(result!);
        process.stdout.write(`  capacity ${n} cameras: ${result!.ok ? 'real time' : `FAILED (${result!.why.join('; ')})`}; ours ${result!.ourCpuPct} % of a core, machine ${result!.machineBusyPct} % of 200, load ${result!.load1}\n`);
      } catch (e) {
        // a level that cannot even be set up (tokens refused, enrolment failing) is the ceiling too, with its reason
        const msg = e instanceof Error ? e.message : String(e);
        process.stdout.write(`  capacity ${n} cameras: FAILED to set up (${msg})\n`);
        levels.push({ ...emptyLevel(n), why: [`set-up failed: ${msg}`] });
        break;
      }
      if (!levels.at(-1)!.ok) break;
    }
  } finally {
    await viewers?.ask({ cmd: 'closeAll' }, 10_000).catch(() => undefined);
    await viewers?.stop();
    await app?.close();
    await media?.close();
    await sim?.stop();
    await gw.close();
    await bdb.close();
    rmSync(recDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  }

  const passed = levels.filter((l) => l.ok);
  const best = passed.at(-1);
  const failed = levels.find((l) => !l.ok);
  figures.cameras_live_and_recorded = best ? best.cameras : 0;
  figures.cameras_live_and_recorded_levels = levels.map((l) => `${l.cameras}:${l.ok ? 'ok' : 'fail'}`).join(' ');
  figures.cameras_live_and_recorded_first_failure = failed ? `${failed.cameras} cameras: ${failed.why.join('; ')}` : `none up to ${Math.max(...levels.map((l) => l.cameras))} (the ramp's top or time budget)`;
  const profileAt = best ?? levels[0];
  if (profileAt) {
    const per = (k: ProcessKind): number => round(profileAt.cpuPctByKind[k] / profileAt.cameras, 2);
    figures.capacity_profile_cameras = profileAt.cameras;
    figures.capacity_cpu_pct_per_camera = KINDS.filter((k) => k !== 'other' && k !== 'postgres' || profileAt.cpuPctByKind[k] > 0)
      .map((k) => `${k} ${per(k)}`).join(', ');
    figures.capacity_cpu_pct_per_camera_total = round(profileAt.ourCpuPct / profileAt.cameras, 2);
    figures.capacity_rss_mb = KINDS.filter((k) => profileAt.rssMbByKind[k] > 0).map((k) => `${k} ${profileAt.rssMbByKind[k]}`).join(', ');
    figures.capacity_viewer_kbps = profileAt.viewerKbps;
  }
  if (!failed && best) {
    const per = best.ourCpuPct / best.cameras;
    figures.capacity_limit = `no level failed up to ${best.cameras} cameras (the ramp's top or its time budget); there our processes used ${best.ourCpuPct} % of the machine's 200 %, `
      + `${round(per, 2)} % per camera: CPU bounds it near ${Math.floor(200 / per)} cameras`;
  } else if (failed && failed.ourCpuPct === 0) {
    figures.capacity_limit = `the ${failed.cameras}-camera level could not be set up: ${failed.why.join('; ')}`;
  } else if (failed) {
    const top = KINDS.filter((k) => k !== 'viewers').sort((a, b) => failed.cpuPctByKind[b] - failed.cpuPctByKind[a]).slice(0, 3);
    figures.capacity_limit = `at ${failed.cameras} cameras the machine was ${failed.machineBusyPct} % busy of 200 % (ours ${failed.ourCpuPct} %, the rest other work on the box; load ${failed.load1}); `
      + `largest shares: ${top.map((k) => `${k} ${failed.cpuPctByKind[k]} %`).join(', ')}`;
  }
  figures.capacity_levels_detail = JSON.stringify(levels.map((l) => ({
    n: l.cameras, ok: l.ok, attempts: l.attempts ?? 0, ratioMin: l.ratioMin, maxGapMs: l.maxGapMs, lagS: l.recorderLagMaxS, ours: l.ourCpuPct, machine: l.machineBusyPct, load1: l.load1, cpu: l.cpuPctByKind,
  })));
  figures.capacity_load_note = `1-min load average during the windows: ${levels.map((l) => l.load1).join(', ')}; machine busy ${levels.map((l) => `${l.machineBusyPct} %`).join(', ')} of 200 %`;
  figures.capacity_setup = `${o.bitrateKbps} kbit/s 720p25 simulated cameras (own process), recorder on (police class, ${SEGMENT_SECONDS} s segments), 2 HTTP-FLV viewers each through the authorising edge with their own play tokens (viewers in their own process), ${o.workers} media worker(s); ${o.windowMs / 1000} s window per level; pass = every recorder recording, index within ${SEGMENT_SECONDS + 6} s, no new gaps, every viewer ≥ 0.95× real time with no stall over 2 s; a failed level is measured once more (fresh viewers) before it counts, since other work on a shared machine comes in bursts`;
  return figures;
}
