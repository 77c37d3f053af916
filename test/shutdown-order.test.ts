// SIGTERM to a gateway with a viewer watching: it stops accepting, closes the viewer with reason 'shutdown'
// (audited while the database is still up), closes the rest, and exits 0.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { freePort } from './helpers/free-port.ts';
import { spawnGateway, stopGateway, waitReady, type SpawnedGateway } from './helpers/spawn-gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';
import { loadConfig } from '../gateway/config/load.ts';
import { composeGateway } from '../gateway/compose.ts';
import { loadDemo, DEMO_PASSWORD } from '../gateway/demo/load-demo.ts';
import { AUDIT } from '../gateway/audit/actions.ts';

let tdb: TestDatabase;
let sim: Simulator;
let dir: string;
let g: SpawnedGateway | null = null;
beforeAll(async () => {
  tdb = await createTestDatabase();
  // Demo users, written by an in-process gateway on the same database.
  const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, log: { level: 'silent' } } });
  const gw0 = await composeGateway({ config, db: tdb.db, log: pino({ level: 'silent' }) });
  await loadDemo(gw0);
  await gw0.close();
  sim = await startSimulator({ cameras: [{ id: 'gate' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
  dir = mkdtempSync(path.join(tmpdir(), 'shouwang-shutdown-'));
}, 120_000);
afterAll(async () => {
  if (g) await stopGateway(g);
  await sim?.close();
  await tdb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ordered shutdown', () => {
  it('SIGTERM with a viewer open: the session is closed with reason shutdown in the audit log, exit 0', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const cfg = path.join(dir, 'shouwang.json');
    writeFileSync(cfg, JSON.stringify({ media: { rtmpBasePort: await freePort(), httpBasePort: await freePort() }, database: { dataDir: path.join(dir, 'pg') } }));
    g = spawnGateway({
      DATABASE_URL: tdb.url, PORT: String(port), SHOUWANG_CONFIG: cfg, SHOUWANG_MEDIA: 'true',
      SHOUWANG_CREDENTIAL_KEY: Buffer.alloc(32, 9).toString('base64'),
    });
    await waitReady(port, g);
    const base = `http://127.0.0.1:${port}`;
    const api = async (method: string, url: string, body?: object, token?: string) => {
      const r = await fetch(`${base}/api/v1${url}`, {
        method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const login = await api('POST', '/auth/login', { username: 'shouzhang.officer', password: DEMO_PASSWORD });
    expect(login.status).toBe(200);
    const bearer = login.body.token as string;
    const c = sim.cameras[0]!;
    const cam = await api('POST', '/cameras', { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.952, lon: 115.884, name: 'gate', mediaPorts: [c.rtspPort] }, bearer);
    expect(cam.status, JSON.stringify(cam.body)).toBe(201);
    const cameraId = cam.body.id as string;
    const tok = await api('POST', '/play-tokens', { cameraId, action: 'live' }, bearer);
    expect(tok.status).toBe(201);

    // A viewer receiving video.
    let bytes = 0;
    const closed = new Promise<void>((resolve) => {
      const req = http.get(`${base}/media/live/${cameraId}.flv?token=${tok.body.token as string}`, (res) => {
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
    });
    const t0 = Date.now();
    while (bytes < 20_000 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
    expect(bytes).toBeGreaterThanOrEqual(20_000);

    g.child.kill('SIGTERM');
    const { code } = await g.exited;
    await closed;
    expect(code, g.output()).toBe(0);
    const { rows } = await tdb.superDb.query<{ reason: string }>(
      'SELECT reason FROM audit_log WHERE action = $1 AND camera_id = $2', [AUDIT.liveClose, cameraId]);
    expect(rows.map((r) => r.reason)).toEqual(['shutdown']);
    // Nothing listens any more.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
