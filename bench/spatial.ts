// Route tracing at province scale: 1,000,000 synthetic cameras clustered in 20,000 villages over 200
// stations in 4 counties. Times the in-memory index (build, one change, reachable with access status,
// 20 km corridor) against the PostgreSQL GiST alternative, and scenario 1 end to end through the API.
// Run: npm run bench -- spatial   (BENCH_DATABASE_URL=postgres://… to use a running server)
import pino from 'pino';
import { benchDatabase, percentile, round } from './lib.ts';
import { composeGateway } from '../gateway/compose.ts';
import { loadConfig } from '../gateway/config/load.ts';
import { buildApp } from '../gateway/http/app.ts';
import { hashPassword } from '../gateway/auth/passwords.ts';
import { loadAll } from '../gateway/tracing/index-sync.ts';
import { CameraIndex } from '../gateway/tracing/spatial-index.ts';
import { accessStatus, grantsByCamera } from '../gateway/tracing/access-status.ts';
import { haversineM, placeOnRoute, reachRadiusM, vertexTimes } from '../gateway/tracing/reachability.ts';
import type { Uuid } from '../gateway/domain/types.ts';

const CAMERAS = Number(process.env.SPATIAL_CAMERAS ?? 1_000_000);
const PER_VILLAGE = 50;
const VILLAGES = Math.ceil(CAMERAS / PER_VILLAGE);
const LAT0 = 34.6, LON0 = 115.1, ROWS = 10, COLS = 20, DLAT = 0.33, DLON = 0.24;
const QUERIES = 400;
const PASSWORD = 'bench-spatial-password';

const msSince = (t: number) => performance.now() - t;
// CPU time of this process: on a machine shared with other work, wall time is this plus waiting for a core.
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const p95 = (xs: number[]) => round(percentile([...xs].sort((a, b) => a - b), 95), 2);
const p50 = (xs: number[]) => round(percentile([...xs].sort((a, b) => a - b), 50), 2);

export async function run() {
  const { db, close } = await benchDatabase();
  const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, log: { level: 'silent' }, cameras: { healthEnabled: false } } });
  const gw = await composeGateway({ config, db, log: pino({ level: 'silent' }) });
  try {
    // 4 counties × 50 stations, a grid of 0.33° × 0.24° cells; county 1 and county 0 have an agreement.
    await gw.jurisdictions.save({ code: '37', name: 'Province', kind: 'province', parentCode: null });
    await gw.jurisdictions.save({ code: '3701', name: 'City', kind: 'city', parentCode: '37' });
    const stationIds: Uuid[] = [];
    for (let county = 0; county < 4; county++) await gw.jurisdictions.save({ code: `37010${county + 1}`, name: `County ${county}`, kind: 'county', parentCode: '3701' });
    for (let cell = 0; cell < ROWS * COLS; cell++) {
      const row = Math.floor(cell / COLS), col = cell % COLS, county = Math.floor(col / 5);
      const code = `37010${county + 1}${String(row * 5 + (col % 5)).padStart(2, '0')}`;
      await gw.jurisdictions.save({ code, name: `Station ${row}-${col}`, kind: 'station', parentCode: `37010${county + 1}`, centre: { lat: LAT0 + (row + 0.5) * DLAT, lon: LON0 + (col + 0.5) * DLON } });
      stationIds.push((await gw.repos.jurisdictions.byCode(code))!.id);
    }
    const c0 = (await gw.repos.jurisdictions.byCode('370101'))!.id, c1 = (await gw.repos.jurisdictions.byCode('370102'))!.id;
    await gw.repos.agreements.upsert({ code: 'county1-county0', name: 'bench', partyAId: c1, partyBId: c0, tier: 2, allowedActions: ['playback', 'export'], maxFootageHours: 72, maxGrantMinutes: 480, emergencyAllowed: false, emergencyMinutes: null, contacts: [], validTo: null, active: true });

    let t = performance.now();
    for (let v0 = 0; v0 < VILLAGES; v0 += 2000) {
      const n = Math.min(2000, VILLAGES - v0);
      // Villages at random centres; 50 cameras within ~300 m of each: 10 % police, 20 % village, 70 % home.
      await db.query(
        `WITH v AS (SELECT g AS vid, $3::float8 + random() * $5::float8 AS clat, $4::float8 + random() * $6::float8 AS clon FROM generate_series($1::int, $1::int + $2::int - 1) g),
              c AS (SELECT vid, k, clat + (random() - 0.5) * 0.006 AS lat, clon + (random() - 0.5) * 0.008 AS lon FROM v, generate_series(1, ${PER_VILLAGE}) k)
         INSERT INTO cameras (device_id, name, owner_class, station_id, sharing_mode, lat, lon, onvif_host, onvif_port, credentials_enc)
         SELECT '3701010013' || lpad((vid * ${PER_VILLAGE} + k)::text, 10, '0'), 'v' || vid || '-' || k,
                CASE WHEN k <= 5 THEN 'police' WHEN k <= 15 THEN 'village' ELSE 'household' END,
                ($7::uuid[])[1 + greatest(0, least(${ROWS - 1}, floor((lat - $3) / ${DLAT})))::int * ${COLS} + greatest(0, least(${COLS - 1}, floor((lon - $4) / ${DLON})))::int],
                CASE WHEN k <= 15 THEN NULL WHEN k % 3 = 0 THEN 'station' WHEN k % 3 = 1 THEN 'on_request' ELSE 'never_live' END,
                lat, lon, '10.' || ((vid * ${PER_VILLAGE} + k) >> 16) || '.' || (((vid * ${PER_VILLAGE} + k) >> 8) & 255) || '.' || ((vid * ${PER_VILLAGE} + k) & 255), 80, 'bench'
         FROM c`,
        [v0, n, LAT0, LON0, ROWS * DLAT, COLS * DLON, stationIds],
      );
    }
    await db.query('ANALYZE cameras');
    const insertS = round(msSince(t) / 1000, 1);

    // The investigator: a station on county 1's western edge, next to county 0 (agreement) and county 1 (none).
    const { rows: own } = await db.query<{ id: Uuid; station_id: Uuid }>(
      `SELECT id, station_id FROM cameras WHERE owner_class = 'police' ORDER BY point(lon, lat) <-> point($1, $2) LIMIT 1`,
      [LON0 + 5 * DLON + 0.02, LAT0 + 4.5 * DLAT],
    );
    const station = own[0]!.station_id;
    const inv = await gw.repos.users.upsert({ username: 'bench.investigator', displayName: 'Bench investigator', role: 'investigator', jurisdictionId: station, passwordHash: await hashPassword(PASSWORD) });
    const actor = { id: inv.id, username: inv.username };
    const kase = await gw.tracing.cases.create(actor, { caseNo: 'BENCH-2026-0001', title: 'bench', openedAt: new Date(Date.now() - 48 * 3_600_000) });
    // 200 approved grants of this investigator over random cameras, so access status has grants to weigh.
    const { rows: someCams } = await db.query<{ id: Uuid; station_id: Uuid }>(`SELECT id, station_id FROM cameras ORDER BY random() LIMIT 2000`);
    for (let i = 0; i < 200; i++) {
      const pick = someCams.slice(i * 10, i * 10 + 10);
      await gw.repos.grants.insert({
        batchId: crypto.randomUUID(), parentId: null, requesterUserId: inv.id, requesterStationId: station, ownerStationId: pick[0]!.station_id, agreementId: null,
        approverKind: 'station', approverUserId: null, approverVillageId: null, caseNo: 'BENCH-2026-0001', reason: 'bench', requestedCameraIds: pick.map((c) => c.id),
        cameraIds: pick.map((c) => c.id), requestedActions: ['playback'], actions: ['playback'], requestedFootageFrom: new Date(Date.now() - 30 * 3_600_000), requestedFootageTo: new Date(),
        footageFrom: new Date(Date.now() - 30 * 3_600_000), footageTo: new Date(), liveFrom: null, liveTo: null, lifetimeMinutes: 480, state: 'approved', emergency: false,
        reviewState: null, decidedBy: null, decidedAt: new Date(), decisionReason: null, expiresAt: new Date(Date.now() + 8 * 3_600_000),
      });
    }

    // Index: load from PostgreSQL, build, heap held.
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    t = performance.now();
    const cams = await loadAll(gw.tracing.positions);
    const loadMs = msSince(t);
    t = performance.now();
    let index = CameraIndex.build(cams);
    const buildMs = msSince(t);
    global.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    await gw.tracing.index.get(); // the gateway's own synced copy, used by the service calls below
    for (let i = 0; i < 5; i++) await gw.tracing.index.catchUp(); // reads past the rows inserted just before the load

    // One camera change: the bus message path (re-read the row, tombstone, overlay), and the in-memory apply alone.
    const updates: number[] = [];
    const applies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const c = cams[(i * 4999) % cams.length]!;
      await db.query('UPDATE cameras SET lat = lat + 0.0001 WHERE id = $1', [c.id]);
      let s = performance.now();
      await gw.tracing.index.refresh(c.id);
      updates.push(msSince(s));
      s = performance.now();
      index.apply(c.id, { ...c, lat: c.lat + 0.0001 });
      applies.push((performance.now() - s) * 1000);
    }

    const subject = (await gw.access.subject(inv.id))!;
    const grants = grantsByCamera(await gw.repos.grants.list({ requesterUserId: inv.id, states: ['approved'], limit: 5000 }));
    const ctx = { now: new Date(), villageCommitteeMayView: true };
    const speeds = config.tracing;
    const origins = Array.from({ length: QUERIES }, (_, i) => {
      const c = cams[(i * 7919 + 13) % cams.length]!;
      return { lat: c.lat, lon: c.lon };
    });
    const at = new Date(Date.now() - 6 * 3_600_000);
    const radius = reachRadiusM('car', 60, speeds);
    const cap = config.tracing.maxCamerasPerAnswer;

    // Reachable, in memory: nearest `cap` within an hour by car, each with arrival, window and decide() status.
    const memReach: number[] = [];
    const memReachCpu: number[] = [];
    let reached = 0;
    for (const o of origins) {
      const cpu = cpuNow();
      const s = performance.now();
      const found = index.nearest(o, radius, cap);
      for (const h of found.items) {
        const arr = at.getTime() + (h.distanceM * speeds.roadFactor) / ((speeds.speedsKmh.car * 1000) / 60) * 60_000;
        accessStatus(subject, h.cam, { from: new Date(arr - 600_000), to: new Date(arr + 600_000) }, grants, ctx);
      }
      memReach.push(msSince(s));
      memReachCpu.push(cpuNow() - cpu);
      reached += found.items.length;
    }
    // The whole service call (case and membership checks, grants, agreements, recorded-footage EXISTS over the answer).
    const svcReach: number[] = [];
    const svcReachCpu: number[] = [];
    for (const o of origins) {
      const cpu = cpuNow();
      const s = performance.now();
      await gw.tracing.reachable.reachable(inv.id, kase.id, { from: { ...o, at }, mode: 'car', minutes: 60, direction: 'after' });
      svcReach.push(msSince(s));
      svcReachCpu.push(cpuNow() - cpu);
    }
    // PostgreSQL alternative: GiST box + exact distance, nearest `cap`, same access status.
    const pgReach: number[] = [];
    for (const o of origins) {
      const s = performance.now();
      const rows = await gw.tracing.positions.nearestInPg(o.lat, o.lon, radius, cap);
      for (const c of rows) accessStatus(subject, c, { from: at, to: at }, grants, ctx);
      pgReach.push(msSince(s));
    }

    // 20 km corridor (5 vertices, 300 m wide), windows interpolated between the timed ends.
    const routes = origins.map((o, i) => {
      const bearing = (i * 37) % 360;
      const pts = Array.from({ length: 5 }, (_, k) => {
        const d = (k * 5000) / 111_320;
        const b = ((bearing + (k % 2) * 15) * Math.PI) / 180;
        return { lat: o.lat + d * Math.cos(b), lon: o.lon + (d * Math.sin(b)) / Math.cos((o.lat * Math.PI) / 180), at: k === 0 ? at : k === 4 ? new Date(at.getTime() + 25 * 60_000) : null };
      });
      return pts;
    });
    const routeLen = haversineM(routes[0]![0]!.lat, routes[0]![0]!.lon, routes[0]![1]!.lat, routes[0]![1]!.lon) * 4;
    const memRoute: number[] = [];
    const memRouteCpu: number[] = [];
    let along = 0;
    for (const pts of routes) {
      const cpu = cpuNow();
      const s = performance.now();
      const times = vertexTimes(pts, 10);
      const found = index.nearPolyline(pts, 300, cap, times);
      for (const h of found.items) accessStatus(subject, h.cam, { from: h.at!, to: h.at! }, grants, ctx);
      memRoute.push(msSince(s));
      memRouteCpu.push(cpuNow() - cpu);
      along += found.items.length;
    }
    const svcRoute: number[] = [];
    for (const pts of routes.slice(0, 100)) {
      const s = performance.now();
      await gw.tracing.reachable.corridor(inv.id, kase.id, { polyline: pts, widthM: 300 });
      svcRoute.push(msSince(s));
    }
    const pgRoute: number[] = [];
    for (const pts of routes) {
      const s = performance.now();
      const boxes: Array<[number, number, number, number]> = [];
      for (let k = 0; k + 1 < pts.length; k++) {
        const a = pts[k]!, b = pts[k + 1]!;
        for (let j = 0; j < 5; j++) {
          const f0 = j / 5, f1 = (j + 1) / 5, dLat = 300 / 111_320, dLon = 300 / (111_320 * Math.cos((a.lat * Math.PI) / 180));
          const la0 = a.lat + (b.lat - a.lat) * f0, la1 = a.lat + (b.lat - a.lat) * f1, lo0 = a.lon + (b.lon - a.lon) * f0, lo1 = a.lon + (b.lon - a.lon) * f1;
          boxes.push([Math.min(lo0, lo1) - dLon, Math.min(la0, la1) - dLat, Math.max(lo0, lo1) + dLon, Math.max(la0, la1) + dLat]);
        }
      }
      const times = vertexTimes(pts, 10);
      const rows = await gw.tracing.positions.inBoxesInPg(boxes, 5000);
      for (const c of rows) {
        const p = placeOnRoute(c, pts, times);
        if (p.distanceM <= 300) accessStatus(subject, c, { from: p.at!, to: p.at! }, grants, ctx);
      }
      pgRoute.push(msSince(s));
    }

    // Scenario 1 through the API on this gateway: login is not counted (the investigator is already signed in).
    const app = await buildApp(gw);
    await app.ready();
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'bench.investigator', password: PASSWORD } });
    const auth = { authorization: `Bearer ${(login.json() as { token: string }).token}` };
    let calls = 0;
    const call = async (method: 'POST' | 'GET', url: string, payload?: object) => {
      calls++;
      const r = await app.inject({ method, url: `/api/v1${url}`, headers: auth, ...(payload && { payload }) });
      if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json() as Record<string, unknown>;
    };
    t = performance.now();
    const c = await call('POST', '/cases', { caseNo: 'BENCH-2026-0002', title: 'battery thefts', openedAt: new Date(at.getTime() - 3_600_000).toISOString() });
    const sighting = await call('POST', `/cases/${c.id}/sightings`, { cameraId: own[0]!.id, seenAt: at.toISOString(), confidence: 0.9 });
    const reach = await call('POST', `/cases/${c.id}/reachable`, { from: { sightingId: sighting.id }, mode: 'car', minutes: 30, direction: 'after' }) as { cameras: Array<{ cameraId: string; footage: { from: string; to: string }; access: { canView: boolean }; agreement: unknown }> };
    const partner = reach.cameras.filter((x) => !x.access.canView && x.agreement).slice(0, 400);
    if (partner.length === 0) throw new Error('no partner camera within reach: too few cameras for scenario 1');
    const req = await call('POST', `/cases/${c.id}/requests`, { cameras: partner.map((x) => ({ cameraId: x.cameraId, from: x.footage.from, to: x.footage.to })), reason: 'bench scenario 1', actions: ['playback'] }) as { requests: unknown[]; cameras: Array<{ outcome: string; reason?: string }> };
    const outcomes = new Map<string, number>();
    for (const x of req.cameras) outcomes.set(x.reason ? `${x.outcome}/${x.reason}` : x.outcome, (outcomes.get(x.reason ? `${x.outcome}/${x.reason}` : x.outcome) ?? 0) + 1);
    const scenarioMs = msSince(t);
    await app.close();

    return {
      cameras: cams.length,
      villages: VILLAGES,
      stations: stationIds.length,
      insert_s: insertS,
      index_load_from_pg_ms: round(loadMs, 0),
      index_build_ms: round(buildMs, 0),
      index_heap_mb: round(heapMb, 0),
      index_update_ms: p50(updates),
      index_update_p95_ms: p95(updates),
      index_apply_us: p50(applies),
      reachable_p95_ms: p95(memReach),
      reachable_p50_ms: p50(memReach),
      reachable_cpu_p95_ms: p95(memReachCpu),
      reachable_cameras_avg: Math.round(reached / QUERIES),
      reachable_service_cpu_p95_ms: p95(svcReachCpu),
      reachable_service_p95_ms: p95(svcReach),
      route_km: round(routeLen / 1000, 1),
      route_p95_ms: p95(memRoute),
      route_p50_ms: p50(memRoute),
      route_cpu_p95_ms: p95(memRouteCpu),
      route_cameras_avg: Math.round(along / routes.length),
      route_service_p95_ms: p95(svcRoute),
      pg_reachable_p95_ms: p95(pgReach),
      pg_reachable_p50_ms: p50(pgReach),
      pg_route_p95_ms: p95(pgRoute),
      pg_route_p50_ms: p50(pgRoute),
      scenario1_api_calls: calls,
      scenario1_ms: round(scenarioMs, 0),
      scenario1_requests: req.requests.length,
      scenario1_cameras_requested: partner.length,
      scenario1_outcomes: [...outcomes].map(([k, n]) => `${k}: ${n}`).join(', '),
      goal_reachable_p95_ms: 10,
      goal_route_p95_ms: 20,
      goal_scenario1_api_calls: 6,
      note: 'measured on the shared 2-core machine while other engineers ran tests',
    };
  } finally {
    await gw.close();
    await close();
  }
}
