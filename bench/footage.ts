// Footage figures: listing 30 days of 10 s segments, time to first frame of a window an hour back, export speed
// (remux and watermark), masked-stream CPU, revoke → open playback closed. Run: npm run bench -- footage
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type net from 'node:net';
import pino from 'pino';
import { benchDatabase, percentile, round, tempDir, type Figures } from './lib.ts';
import { loadConfig } from '../gateway/config/load.ts';
import { composeGateway } from '../gateway/compose.ts';
import { buildApp } from '../gateway/http/app.ts';
import { loadDemo, DEMO_PASSWORD } from '../gateway/demo/load-demo.ts';
import { startFootage } from '../gateway/media/playback/start-footage.ts';
import { insertTestCamera } from '../test/helpers/cameras.ts';
import { recordFixture } from '../test/helpers/recordings.ts';
import { locateFfmpeg, spawnManaged } from '../camera-adapters/ffmpeg/index.ts';
import { maskedTsArgs } from '../camera-adapters/ffmpeg/footage-commands.ts';

const HOUR = 3_600_000;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
}

export async function run(): Promise<Figures> {
  const bdb = await benchDatabase();
  const root = tempDir('shouwang-bench-rec-');
  const exportDir = tempDir('shouwang-bench-exp-');
  const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, log: { level: 'silent' } } });
  const gw = await composeGateway({ config, db: bdb.db, log: pino({ level: 'silent' }) });
  await loadDemo(gw);
  const footage = startFootage(gw, { recordingDir: root, exportDir });
  const app = await buildApp(gw, { plugins: [footage.routes] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
  const tokens: Record<string, string> = {};
  for (const u of ['chengguan.duty', 'shouzhang.investigator']) {
    tokens[u] = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: u, password: DEMO_PASSWORD } })).json().token;
  }
  const api = async (user: string, method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const r = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload !== undefined && { payload: payload as object }) });
    return { status: r.statusCode, body: r.json() };
  };
  const cam = (name: string) => insertTestCamera(gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name });
  const figures: Figures = {};
  try {
    // --- listing: 30 days of 10 s segments (259,200 rows; one 10 s hole a day) ---
    const listCam = await cam('listing');
    const monthStart = new Date(Date.now() - 30 * 24 * HOUR);
    await bdb.db.query(
      `INSERT INTO recording_segments (camera_id, stream, start_at, end_at, bytes, path, sha256, first_pts_90k)
       SELECT $1::uuid, 'main', $2::timestamptz + make_interval(secs => i * 10), $2::timestamptz + make_interval(secs => i * 10 + 10), 2500000,
              $1::text || '/main/bench/' || i || '.ts', repeat('0', 64), 0
       FROM generate_series(0, 259199) i WHERE i % 8640 <> 4320`,
      [listCam, monthStart],
    );
    await bdb.db.query('ANALYZE recording_segments').catch(() => undefined);
    const listUrl = `/cameras/${listCam}/recordings?from=${monthStart.toISOString()}&to=${new Date().toISOString()}`;
    let ranges = 0;
    for (let i = 0; i < 10; i++) ranges = (await api('chengguan.duty', 'GET', listUrl)).body.ranges.length;
    const listTimes: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      const r = await api('chengguan.duty', 'GET', listUrl);
      listTimes.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`listing ${r.status}`);
    }
    const ls = sorted(listTimes);
    Object.assign(figures, { listing_segments: 259_170, listing_ranges: ranges, listing_p50_ms: round(percentile(ls, 50)), listing_p95_ms: round(percentile(ls, 95)) });

    // --- time to first frame: a 720p window an hour back, through the authorised path over HTTP ---
    const pbCam = await cam('playback');
    const pbStart = Math.floor((Date.now() - HOUR - 60_000) / 1000) * 1000;
    await recordFixture(bdb.db, { root, cameraId: pbCam, startMs: pbStart, seconds: 30, width: 1280, height: 720, bitrateKbps: 2000 });
    const win = { from: new Date(pbStart + 12_500).toISOString(), to: new Date(pbStart + 30_000).toISOString() };
    const ttff: number[] = [];
    const ttffWithToken: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      const tok = (await api('chengguan.duty', 'POST', '/play-tokens', { cameraId: pbCam, action: 'playback', footage: win })).body.token as string;
      const t1 = performance.now();
      const pl = await fetch(`${base}/media/playback/${pbCam}/index.m3u8?token=${encodeURIComponent(tok)}&from=${win.from}&to=${win.to}`);
      const body = await pl.text();
      const first = body.split('\n').find((l) => l.startsWith('seg/'))!;
      const seg = await fetch(`${base}/media/playback/${pbCam}/${first}`);
      const bytes = Buffer.from(await seg.arrayBuffer());
      const t2 = performance.now();
      if (bytes[0] !== 0x47) throw new Error('first segment is not MPEG-TS');
      if (i > 0) {
        ttff.push(t2 - t1);
        ttffWithToken.push(t2 - t0);
      }
    }
    Object.assign(figures, {
      playback_ttff_ms_p50: round(percentile(sorted(ttff), 50)),
      playback_ttff_ms_p95: round(percentile(sorted(ttff), 95)),
      playback_ttff_with_token_ms_p50: round(percentile(sorted(ttffWithToken), 50)),
    });

    // --- export: a 10-minute 720p clip (2 Mbit/s), remux; then 60 s with the burned-in watermark ---
    const exCam = await cam('export');
    const exStart = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    await recordFixture(bdb.db, { root, cameraId: exCam, startMs: exStart, seconds: 60, repeat: 10, width: 1280, height: 720, bitrateKbps: 2000 });
    const timeExport = async (from: number, to: number, watermark: boolean): Promise<number> => {
      const t = performance.now();
      const r = await api('chengguan.duty', 'POST', '/exports', { cameraId: exCam, from: new Date(from).toISOString(), to: new Date(to).toISOString(), watermark });
      if (r.status !== 202) throw new Error(`export ${r.status} ${JSON.stringify(r.body)}`);
      for (;;) {
        const s = (await api('chengguan.duty', 'GET', `/exports/${r.body.id}`)).body;
        if (s.state === 'done') break;
        if (s.state === 'failed') throw new Error(`export failed: ${s.error}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      return (performance.now() - t) / 1000;
    };
    const remuxS = await timeExport(exStart, exStart + 600_000, false);
    const wmS = await timeExport(exStart + 60_000, exStart + 120_000, true);
    Object.assign(figures, {
      export_clip_s: 600,
      export_remux_s: round(remuxS),
      export_realtime_factor: round(600 / remuxS, 1),
      export_watermark_clip_s: 60,
      export_watermark_s: round(wmS),
      export_watermark_realtime_factor: round(60 / wmS, 2),
    });

    // --- masked 720p stream: one transcode blurring two rectangles, in real time, CPU over 10 s ---
    const segFile = path.join(root, (await bdb.db.query<{ path: string }>('SELECT path FROM recording_segments WHERE camera_id = $1 ORDER BY start_at LIMIT 1', [exCam])).rows[0]!.path);
    const p = spawnManaged(locateFfmpeg(), maskedTsArgs({ input: segFile, realtimeLoop: true, masks: [{ x: 0.1, y: 0.1, w: 0.3, h: 0.3 }, { x: 0.6, y: 0.5, w: 0.3, h: 0.4 }] }), { stdout: 'pipe' });
    p.child.stdout?.resume();
    await new Promise((r) => setTimeout(r, 2000));
    const c0 = cpuTicks(p.pid!);
    const w0 = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const c1 = cpuTicks(p.pid!);
    const wall = (Date.now() - w0) / 1000;
    await p.stop(2000);
    figures.mask_cpu_pct_per_camera = round(((c1 - c0) / 100 / wall) * 100, 1);

    // --- revoke → open playback closed (30 grants) ---
    const rvCam = await cam('revoke');
    const rvStart = Math.floor((Date.now() - 3 * HOUR) / 1000) * 1000;
    await recordFixture(bdb.db, { root, cameraId: rvCam, startMs: rvStart, seconds: 20 });
    const window = { from: new Date(rvStart).toISOString(), to: new Date(rvStart + 20_000).toISOString() };
    const closeTimes: number[] = [];
    for (let i = 0; i < 30; i++) {
      const g = await api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [rvCam], caseNo: `BENCH-${i}`, reason: 'bench', actions: ['playback'], footage: window });
      const gid = g.body.grants[0].grant.id as string;
      await api('chengguan.duty', 'POST', `/grants/${gid}/approve`, { reason: 'ok' });
      const tok = (await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: rvCam, action: 'playback', footage: window, grantId: gid })).body.token as string;
      const pl = await app.inject({ method: 'GET', url: `/media/playback/${rvCam}/index.m3u8?token=${encodeURIComponent(tok)}&from=${window.from}&to=${window.to}` });
      const id = String(pl.headers['x-playback-id']);
      const t = performance.now();
      await api('chengguan.duty', 'POST', `/grants/${gid}/revoke`, { reason: 'bench' });
      while (footage.playback.isOpen(id) && performance.now() - t < 5000) await new Promise((r) => setImmediate(r));
      closeTimes.push(performance.now() - t);
    }
    figures.revoke_playback_close_ms_p50 = round(percentile(sorted(closeTimes), 50));
    figures.revoke_playback_close_ms_p99 = round(percentile(sorted(closeTimes), 99));
    figures.note = 'measured on the shared 2-core machine while other engineers ran tests and benches';
  } finally {
    await app.close();
    await footage.close();
    await gw.close();
    await bdb.close();
    await rm(root, { recursive: true, force: true });
    await rm(exportDir, { recursive: true, force: true });
  }
  return figures;
}
