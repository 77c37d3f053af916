// Point-in-boundary lookups: 10,000 random points over 200 station boundaries (with villages inside).
import { benchDatabase, percentile, round } from './lib.ts';
import { composeGateway } from '../gateway/compose.ts';
import { loadConfig } from '../gateway/config/load.ts';
import pino from 'pino';

export async function run() {
  const { db, close } = await benchDatabase();
  let gw: Awaited<ReturnType<typeof composeGateway>> | null = null;
  try {
    gw = await composeGateway({ config: loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false } }), db, log: pino({ level: 'silent' }) });
    await gw.jurisdictions.save({ code: '37', name: 'P', kind: 'province', parentCode: null });
    await gw.jurisdictions.save({ code: '3701', name: 'C', kind: 'city', parentCode: '37' });
    await gw.jurisdictions.save({ code: '370101', name: 'K', kind: 'county', parentCode: '3701' });
    // 20 × 10 grid of irregular 12-vertex station polygons, each 0.05° wide, with a village inside.
    const ring = (cx: number, cy: number, r: number, n = 12) => {
      const pts: [number, number][] = [];
      for (let i = 0; i < n; i++) {
        const a = (2 * Math.PI * i) / n;
        const rr = r * (0.85 + 0.15 * Math.sin(i * 2.3));
        pts.push([cx + rr * Math.cos(a), cy + rr * Math.sin(a)]);
      }
      pts.push(pts[0]!);
      return { type: 'Polygon', coordinates: [pts] };
    };
    for (let i = 0; i < 200; i++) {
      const cx = 115 + (i % 20) * 0.05, cy = 35 + Math.floor(i / 20) * 0.05;
      await gw.jurisdictions.save({ code: `370101${String(i).padStart(3, '0')}`, name: `S${i}`, kind: 'station', parentCode: '370101', boundary: ring(cx, cy, 0.026) });
    }
    const stations = await gw.repos.jurisdictions.list({ kind: 'station' });
    const lat: number[] = [];
    let hits = 0;
    const N = 10_000;
    for (let i = 0; i < N; i++) {
      const lon = 114.98 + Math.random() * 1.04, la = 34.98 + Math.random() * 0.54;
      const t0 = performance.now();
      const r = await gw.jurisdictions.lookup(la, lon);
      lat.push((performance.now() - t0) * 1000);
      if (r.station) hits++;
    }
    lat.sort((a, b) => a - b);
    return { stations: stations.length, points: N, hit_ratio: round(hits / N, 3), p50_us: Math.round(percentile(lat, 50)), p95_us: Math.round(percentile(lat, 95)), p99_us: Math.round(percentile(lat, 99)), goal_p95_us: 1000 };
  } finally {
    await gw?.close();
    await close();
  }
}
