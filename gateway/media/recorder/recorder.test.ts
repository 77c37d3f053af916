// The recorder on loopback: a simulated camera enrolled in a real gateway (real PostgreSQL, ffmpeg, RTSP)
// records indexed segments; kill -9 mid-segment is repaired at the next start; retention spares held
// footage; a full store stops writing with a state event and a gap, and writing resumes when space returns.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testGateway, type TestGateway } from '../../../test/helpers/gateway.ts';
import { startSimulator, type Simulator } from '../../../camera-adapters/simulator/index.ts';
import { locateFfmpeg } from '../../../camera-adapters/ffmpeg/index.ts';
import { recordingsRepository, type Segment } from '../../repositories/recordings.repository.ts';
import { LocalSegmentStore } from './segment-store.ts';
import { Recorder, type RecorderDeps } from './recorder.ts';
import { DEFAULT_RECORDING, type RecordingConfig } from './policy.ts';
import type { RecorderState } from './camera-recorder.ts';
import { probeSegment } from './repair.ts';
import { holdApprovedGrants } from './start-recorder.ts';

let t: TestGateway;
let sim: Simulator;
let cameraId = '';
let dir = '';
let store: LocalSegmentStore;
const states: Array<{ cameraId: string; state: RecorderState; reason: string | null }> = [];
let free = Number.MAX_SAFE_INTEGER;

const cfg = (o: Partial<RecordingConfig> = {}): RecordingConfig => ({ ...DEFAULT_RECORDING, enabled: true, dir, segmentSeconds: 2, minFreeBytes: 1000, ...o });

function recorder(config = cfg()): Recorder {
  const deps: RecorderDeps = {
    repo: recordingsRepository(t.tdb.db),
    store,
    config,
    ffmpegPath: locateFfmpeg(),
    source: t.media!.edge,
    onState: (c, state, reason) => void states.push({ cameraId: c, state, reason }),
    auditHold: async () => undefined,
    log: () => undefined,
    freeBytes: async () => free,
    retentionIntervalMs: 3_600_000,
  };
  return new Recorder(deps);
}

async function segments(): Promise<Segment[]> {
  return recordingsRepository(t.tdb.db).segments(cameraId, 'main', new Date(0), new Date(Date.now() + 86_400_000));
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not met in time');
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sw-rec-'));
  store = new LocalSegmentStore(dir);
  sim = await startSimulator({ cameras: [{ id: 'gate' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-rec-1', nameOverlay: false });
  t = await testGateway({ media: true, overrides: { cameras: { mediaPorts: [sim.cameras[0]!.rtspPort] } } });
  const token = await t.login('shouzhang.officer');
  const c = sim.cameras[0]!;
  const r = await t.app.inject({
    method: 'POST', url: '/api/v1/cameras', headers: { authorization: `Bearer ${token}` },
    payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-rec-1', ownerClass: 'police', lat: 35.95, lon: 115.88, name: 'Gate' },
  });
  expect(r.statusCode).toBe(201);
  cameraId = r.json().id;
  // only this camera records in this file
  await t.tdb.db.query('UPDATE cameras SET recording_allowed = false WHERE id <> $1', [cameraId]);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('recorder', () => {
  it('records 2 s MPEG-TS segments, indexed with wall-clock times and SHA-256, holding the live source warm', async () => {
    const rec = recorder();
    const t0 = Date.now();
    await rec.start();
    try {
      await waitFor(async () => (await segments()).length >= 3, 40_000);
      expect(t.media!.pulls.get(cameraId, 'main')!.holders).toBeGreaterThanOrEqual(1); // live viewers start warm
    } finally {
      await rec.close();
    }
    const segs = await segments();
    expect(segs.length).toBeGreaterThanOrEqual(3);
    for (const s of segs) {
      const bytes = readFileSync(store.absolute(s.path));
      expect(bytes[0]).toBe(0x47);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(s.sha256);
      expect(s.bytes).toBe(bytes.length);
      expect(s.startAt.getTime()).toBeGreaterThanOrEqual(t0 - 3000);
      expect(s.endAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect(s.path).toMatch(new RegExp(`^${cameraId}/main/\\d{8}/${s.startAt.getTime()}\\.ts$`));
      const probe = await probeSegment(store.absolute(s.path));
      expect(Math.abs(probe!.start * 90_000 - s.firstPts90k!)).toBeLessThan(9000); // within 0.1 s
    }
    for (let i = 1; i < segs.length; i++) {
      expect(Math.abs(segs[i]!.startAt.getTime() - segs[i - 1]!.endAt.getTime())).toBeLessThan(500); // contiguous
    }
    expect(readdirSync(store.absolute(`${cameraId}/main/.staging`)).filter((n) => n.endsWith('.part'))).toEqual([]);
  }, 90_000);

  it('kill -9 of the recording ffmpeg mid-segment: the next start repairs the cut segment (≤ 2 s lost)', async () => {
    const rec = recorder();
    await rec.start();
    const before = (await segments()).length;
    let killedAt = 0;
    try {
      await waitFor(async () => (await segments()).length >= before + 1, 30_000);
      await new Promise((r) => setTimeout(r, 1200)); // mid-segment
      const pid = rec.recorder(cameraId)!.pid!;
      killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await waitFor(() => rec.recorder(cameraId)!.pid !== undefined && rec.recorder(cameraId)!.pid !== pid, 20_000);
    } finally {
      await rec.close();
    }
    const parts = readdirSync(store.absolute(`${cameraId}/main/.staging`)).filter((n) => n.endsWith('.part'));
    expect(parts.length).toBeGreaterThanOrEqual(1); // the cut segment, never published
    const again = recorder({ ...cfg(), enabled: false }); // a restarted gateway: repair only
    await again.start();
    await again.close();
    expect(again.lastRepair, JSON.stringify({ parts, r: again.lastRepair })).toMatchObject({ corrupt: 0 });
    expect(again.lastRepair!.repaired).toBeGreaterThanOrEqual(1);
    const segs = await segments();
    const repaired = segs.filter((s) => s.repaired);
    expect(repaired.length).toBeGreaterThanOrEqual(1);
    const lastBeforeKill = Math.max(...segs.filter((s) => s.startAt.getTime() < killedAt).map((s) => s.endAt.getTime()));
    expect(killedAt - lastBeforeKill).toBeLessThanOrEqual(2000);
    for (const s of repaired) {
      expect(createHash('sha256').update(readFileSync(store.absolute(s.path))).digest('hex')).toBe(s.sha256);
    }
    expect(readdirSync(store.absolute(`${cameraId}/main/.staging`)).filter((n) => n.endsWith('.part'))).toEqual([]);
  }, 90_000);

  it('retention never deletes footage a hold covers', async () => {
    const repo = recordingsRepository(t.tdb.db);
    const segs = await segments();
    const held = segs[1]!;
    await repo.createHold({ cameraId, startAt: held.startAt, endAt: new Date(held.startAt.getTime() + 1), grantId: null, caseNo: 'K-1', reason: 'test', createdBy: null });
    // police footage kept for 0 days: everything unheld goes
    const police = { ...DEFAULT_RECORDING.classes.police, retentionDays: 0 };
    const rec = recorder({ ...cfg(), enabled: false, classes: { ...DEFAULT_RECORDING.classes, police } });
    await rec.start();
    await rec.close(); // start() ran a retention pass
    const left = await segments();
    expect(left.map((s) => s.id)).toEqual([held.id]);
    expect(store.absolute(held.path)).toBeTruthy();
    expect(readFileSync(store.absolute(held.path)).length).toBe(held.bytes);
    for (const s of segs) if (s.id !== held.id) expect(await store.stat(s.path)).toBeNull();
  }, 60_000);

  it('an approved grant holds its footage window once per camera; closing the case releases it (audited)', async () => {
    const audits: string[] = [];
    const rec = new Recorder({
      repo: recordingsRepository(t.tdb.db), store, config: { ...cfg(), enabled: false }, ffmpegPath: locateFfmpeg(), source: t.media!.edge,
      onState: () => undefined, auditHold: async (e) => void audits.push(`${e.op}:${e.reason}`), log: () => undefined, freeBytes: async () => free,
    });
    const g = { id: randomUUID(), cameraIds: [cameraId], footageFrom: new Date(Date.now() - 3_600_000), footageTo: new Date(), caseNo: '兖公刑立字〔2026〕118号', decidedBy: null };
    expect(await rec.holdForGrant(g)).toHaveLength(1);
    expect(await rec.holdForGrant(g)).toHaveLength(0); // the approval notice heard twice (two processes)
    const repo = recordingsRepository(t.tdb.db);
    expect((await repo.holds(cameraId)).filter((h) => h.grantId === g.id)).toHaveLength(1);
    expect(await rec.releaseCase(g.caseNo, null)).toHaveLength(1);
    expect((await repo.holds(cameraId)).filter((h) => h.grantId === g.id)).toHaveLength(0);
    expect(audits).toEqual(['create:grant_approved', 'release:case_closed']);
  });

  it('at start, approved grants not yet held (approved while no process recorded) get their holds, once', async () => {
    const rec = new Recorder({
      repo: recordingsRepository(t.tdb.db), store, config: { ...cfg(), enabled: false }, ffmpegPath: locateFfmpeg(), source: t.media!.edge,
      onState: () => undefined, auditHold: async () => undefined, log: () => undefined, freeBytes: async () => free,
    });
    const withFootage = { id: randomUUID(), cameraIds: [cameraId], footageFrom: new Date(Date.now() - 7_200_000), footageTo: new Date(Date.now() - 3_600_000), caseNo: 'YG-2026-0007', decidedBy: null };
    const liveOnly = { id: randomUUID(), cameraIds: [cameraId], footageFrom: null, footageTo: null, caseNo: 'YG-2026-0008', decidedBy: null };
    expect(await holdApprovedGrants(async () => [withFootage, liveOnly], rec)).toBe(1);
    expect(await holdApprovedGrants(async () => [withFootage, liveOnly], rec)).toBe(0);
    const holds = (await recordingsRepository(t.tdb.db).holds(cameraId)).filter((h) => h.grantId === withFootage.id || h.grantId === liveOnly.id);
    expect(holds.map((h) => h.grantId)).toEqual([withFootage.id]);
  });

  it('an admin lists and releases a hold (audited); others may not', async () => {
    const repo = recordingsRepository(t.tdb.db);
    const h = (await repo.createHold({ cameraId, startAt: new Date(Date.now() - 60_000), endAt: new Date(), grantId: null, caseNo: 'K-9', reason: 'test', createdBy: null }))!;
    const admin = await t.login('admin');
    const officer = await t.login('shouzhang.duty');
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/cameras/${cameraId}/footage-holds`, headers: { authorization: `Bearer ${admin}` } });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((x: { id: number }) => x.id)).toContain(h.id);
    const no = await t.app.inject({ method: 'POST', url: `/api/v1/footage-holds/${h.id}/release`, headers: { authorization: `Bearer ${officer}` }, payload: { reason: 'not mine' } });
    expect(no.statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'POST', url: `/api/v1/footage-holds/${h.id}/release`, headers: { authorization: `Bearer ${admin}` }, payload: { reason: 'case abandoned' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().releasedAt).not.toBeNull();
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/footage-holds/${h.id}/release`, headers: { authorization: `Bearer ${admin}` }, payload: { reason: 'case abandoned' } });
    expect(again.statusCode).toBe(404);
    const audit = await t.tdb.db.query(`SELECT reason FROM audit_log WHERE action = 'footage.release' AND camera_id = $1`, [cameraId]);
    expect(audit.rows.map((r) => r.reason)).toContain('case abandoned');
  });

  it('a full store stops writing with a disk_full state and a gap; writing resumes when space returns', async () => {
    const repo = recordingsRepository(t.tdb.db);
    const rec = recorder();
    await rec.start();
    try {
      await waitFor(async () => (await segments()).length >= 3, 30_000);
      // nothing deletable: hold everything, then the file system "fills"
      await repo.createHold({ cameraId, startAt: new Date(0), endAt: new Date(Date.now() + 86_400_000), grantId: null, caseNo: 'K-2', reason: 'test', createdBy: null });
      free = 0;
      const r = await rec.retention();
      expect(r.diskFull).toBe(true);
      expect(rec.recorder(cameraId)!.state).toBe('disk_full');
      expect(states.some((s) => s.cameraId === cameraId && s.state === 'disk_full')).toBe(true);
      const n = (await segments()).length;
      await new Promise((res) => setTimeout(res, 3000));
      expect((await segments()).length).toBe(n); // nothing written while full
      free = Number.MAX_SAFE_INTEGER;
      await rec.retention();
      await waitFor(async () => (await segments()).length > n, 30_000);
    } finally {
      await rec.close();
    }
    const gaps = await repo.gaps(cameraId, 'main', new Date(0), new Date(Date.now() + 1000));
    expect(gaps.some((g) => g.reason === 'disk_full' && g.endAt.getTime() - g.startAt.getTime() >= 2000)).toBe(true);
  }, 90_000);
});
