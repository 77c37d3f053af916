// One health sweep over N simulated cameras: the device service alone, and the device service plus the RTSP check
// (OPTIONS + DESCRIBE), alternated under the same load so the cost of the stream check can be read off.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { benchDatabase, round } from './lib.ts';
import { composeGateway } from '../gateway/compose.ts';
import { loadConfig } from '../gateway/config/load.ts';
import { loadDemo } from '../gateway/demo/load-demo.ts';
import { cameraHealthProbe, healthMonitor } from '../gateway/cameras/health-monitor.ts';
import { mediaPortPolicy } from '../gateway/cameras/media-ports.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CAMERAS = Number(process.env.BENCH_HEALTH_CAMERAS ?? 2000);
const ROUNDS = 2;

export async function run() {
  const proc = spawn(path.join(root, 'node_modules/.bin/tsx'), ['bench/support/sim-child.ts', String(CAMERAS), '127.121.0.1'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (c) => reject(new Error(`simulator exited ${c}`)));
  });
  const sim = JSON.parse(line) as { cameras: Array<{ id: string; host: string; httpPort: number; rtspPort: number }> };
  const { db, close } = await benchDatabase();
  let gw: Awaited<ReturnType<typeof composeGateway>> | null = null;
  try {
    const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, cameras: { healthEnabled: false, healthConcurrency: 256 } } });
    gw = await composeGateway({ config, db, log: pino({ level: 'silent' }) });
    await loadDemo(gw);
    const station = (await gw.repos.jurisdictions.byCode('37167101'))!;
    for (const c of sim.cameras) {
      await gw.repos.cameras.insert({
        deviceIdPrefix: '3716710100131', name: c.id, ownerClass: 'police', stationId: station.id, villageId: null, ownerUserId: null,
        ownerName: null, ownerPhone: null, address: null, sharingMode: null, delegatedToCommittee: false, lat: 37.42, lon: 117.84,
        jurisdictionOverride: null, onvifHost: c.host, onvifPort: c.httpPort, credentialsEnc: gw.cipher.encrypt({ username: 'admin', password: 'bench-1234' }),
        deviceInfo: {}, clockOffsetMs: 0, enabled: true, enrolledBy: null,
        profiles: [{ token: 'main', name: 'main', encoding: 'H264', width: 1280, height: 720, fps: 25, bitrateKbps: 1200, streamUri: `rtsp://${c.host}:${c.rtspPort}/${c.id}/main`, snapshotUri: null }],
      });
    }
    const full = cameraHealthProbe({ slowMs: config.cameras.healthSlowMs, maxClockSkewMs: config.cameras.healthMaxClockSkewMs, mediaPorts: mediaPortPolicy(config) });
    const monitorOf = (rtsp: boolean) => healthMonitor({
      cameras: gw!.repos.cameras, cipher: gw!.cipher, events: { publish: () => undefined },
      probe: rtsp ? full : (t) => full({ ...t, streamUri: null }),
      config: { intervalMs: 60_000, jitter: 0, concurrency: 256, probeDeadlineMs: config.cameras.healthDeadlineMs, slowMs: config.cameras.healthSlowMs, maxClockSkewMs: config.cameras.healthMaxClockSkewMs },
    });
    const onvifOnly = monitorOf(false);
    const withRtsp = monitorOf(true);
    const times = { onvif: [] as number[], rtsp: [] as number[] };
    let states: Record<string, number> = {};
    for (let i = 0; i < ROUNDS; i++) {
      times.onvif.push((await onvifOnly.sweep()).ms);
      const r = await withRtsp.sweep();
      times.rtsp.push(r.ms);
      states = r.states;
    }
    const onvif = Math.min(...times.onvif) / 1000;
    const rtsp = Math.min(...times.rtsp) / 1000;
    return {
      cameras: CAMERAS,
      sweep_onvif_only_s: round(onvif, 1),
      sweep_onvif_and_rtsp_s: round(rtsp, 1),
      rtsp_check_cost_x: round(rtsp / onvif, 2),
      per_5900_cameras_s: round((rtsp * 5900) / CAMERAS, 1),
      online: states.online ?? 0,
      not_online: CAMERAS - (states.online ?? 0),
      goal_5900_sweep_s: 30,
    };
  } finally {
    await gw?.close();
    proc.stdin!.end();
    await new Promise((r) => proc.once('exit', r));
    await close();
  }
}
