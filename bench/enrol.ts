// Bulk enrolment of 5,900 simulated cameras (Lize's programme size), one health sweep, simulator CPU per stream.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { benchDatabase, round } from './lib.ts';
import { composeGateway } from '../gateway/compose.ts';
import { loadConfig } from '../gateway/config/load.ts';
import { loadDemo } from '../gateway/demo/load-demo.ts';
import { subjectOf } from '../gateway/services/subjects.ts';
import { runBulkEnrolment } from '../gateway/cameras/bulk-enrolment.ts';
import { RtspClient } from '../camera-adapters/rtsp/rtsp-client.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CAMERAS = Number(process.env.BENCH_ENROL_CAMERAS ?? 5900);
const STREAMS = 20;

interface SimChild { proc: ChildProcess; pid: number; cameras: Array<{ id: string; host: string; httpPort: number; rtspPort: number }> }

async function startSimChild(count: number): Promise<SimChild> {
  const proc = spawn(path.join(root, 'node_modules/.bin/tsx'), ['bench/support/sim-child.ts', String(count), '127.120.0.1'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (c) => reject(new Error(`simulator exited ${c}`)));
  });
  const msg = JSON.parse(line) as { pid: number; cameras: SimChild['cameras'] };
  // tsx runs the script in a child of the process we spawned: measure that one.
  return { proc, pid: msg.pid, cameras: msg.cameras };
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
}

async function cpuPct(pid: number, ms: number): Promise<number> {
  const a = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, ms));
  return ((cpuTicks(pid) - a) / 100 / (ms / 1000)) * 100;
}

// Five Lize villages' boxes (config/demo/jurisdictions.json), a point inside one of them per camera.
const VILLAGES = [[37.44, 117.82], [37.42, 117.84], [37.42, 117.87], [37.39, 117.8], [37.39, 117.89]] as const;

export async function run() {
  const sim = await startSimChild(CAMERAS);
  const { db, close } = await benchDatabase();
  let peakRss = 0;
  let gw: Awaited<ReturnType<typeof composeGateway>> | null = null;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, cameras: { bulkConcurrency: 64, healthConcurrency: 256 } } });
    gw = await composeGateway({ config, db, log: pino({ level: 'silent' }) });
    await loadDemo(gw);
    const admin = (await gw.repos.users.byUsername('admin'))!;
    const actor = { ...(await subjectOf(admin, gw.repos.jurisdictions)), username: 'admin' };
    const header = 'address,port,username,password,owner_name,owner_phone,house,lat,lon,sharing_mode,consent_date';
    const rows = sim.cameras.map((c, i) => {
      const [lat, lon] = VILLAGES[i % 5]!;
      const j = Math.floor(i / 5);
      return [c.host, c.httpPort, 'admin', 'bench-1234', `户主${i}`, `139${String(10_000_000 + i)}`, `${j % 40}排${j % 17}号`,
        (lat + ((j % 97) - 48) * 0.0002).toFixed(5), (lon + ((Math.floor(j / 97) % 97) - 48) * 0.0002).toFixed(5), ['station', 'on_request', 'never_live'][i % 3], '2026-10-01'].join(',');
    });
    const csv = Buffer.from([header, ...rows].join('\n') + '\n');
    global.gc?.();
    const t0 = performance.now();
    const res = await runBulkEnrolment({ enrolment: gw.enrolment, cameras: gw.repos.cameras, db: gw.db }, actor, csv, { dryRun: false, concurrency: 64 });
    const seconds = (performance.now() - t0) / 1000;
    const rejected = res.rows.filter((r) => r.status === 'rejected');
    if (rejected.length) process.stderr.write(`enrol bench: ${rejected.length} rejected, first: ${JSON.stringify(rejected[0])}\n`);
    const h0 = performance.now();
    const sweep = await gw.health.sweep();
    const healthSweep = (performance.now() - h0) / 1000;

    // Simulator CPU: idle, then with STREAMS RTSP sessions (main profile) consumed by a light client.
    const idle = await cpuPct(sim.pid, 3000);
    const clients: RtspClient[] = [];
    let rtpBytes = 0;
    for (const c of sim.cameras.slice(0, STREAMS)) {
      const client = await RtspClient.connect(`rtsp://admin:bench-1234@${c.host}:${c.rtspPort}/${c.id}/main`);
      client.onRtp((p) => (rtpBytes += p.payload.length));
      await client.play();
      clients.push(client);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const streaming = await cpuPct(sim.pid, 5000);
    for (const c of clients) c.close();
    return {
      cameras: res.counts.enrolled,
      rejected: rejected.length,
      seconds: round(seconds, 1),
      cameras_per_s: round(res.counts.enrolled / seconds, 1),
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      health_sweep_s: round(healthSweep, 1),
      health_online: sweep.states.online ?? 0,
      sim_idle_cpu_pct: round(idle, 2),
      sim_cpu_pct_per_stream: round(Math.max(0, streaming - idle) / STREAMS, 3),
      sim_cpu_pct_streaming_total: round(streaming, 2),
      streams_measured: STREAMS,
      stream_kbit_s: round((rtpBytes * 8) / 1000 / 6 / STREAMS, 0),
      goal_seconds: 60,
      goal_health_sweep_s: 30,
    };
  } finally {
    clearInterval(rssTimer);
    await gw?.close();
    sim.proc.stdin!.end();
    await new Promise((r) => sim.proc.once('exit', r));
    await close();
  }
}
