// Retention deletes in batches (one DELETE per batch, so migration 010's trigger rebuilds a camera's merged ranges
// once per batch, not once per segment), spares held footage, and leaves recording_ranges equal to the islands of
// the segments that are left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { recordingsRepository, type RecordingsRepository } from '../gateway/repositories/recordings.repository.ts';
import { Recorder } from '../gateway/media/recorder/recorder.ts';
import { LocalSegmentStore } from '../gateway/media/recorder/segment-store.ts';
import { DEFAULT_RECORDING } from '../gateway/media/recorder/policy.ts';
import { locateFfmpeg } from '../camera-adapters/ffmpeg/index.ts';

let t: TestGateway;
let cam = '';
let other = '';
let dir = '';
let hold: Range = [0, 0];
const DAY = 86_400_000;
const N = 1500;
const OLD = 1100; // segments older than the 1-day retention

type Range = [number, number];

/** Islands of [start, end) pieces: a piece starting more than 1.5 s after every earlier one ended starts a new one. */
function islands(pieces: Range[]): Range[] {
  const out: Range[] = [];
  for (const [s, e] of [...pieces].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    const last = out.at(-1);
    if (last && s <= last[1] + 1500) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

async function state(cameraId: string): Promise<{ segments: Range[]; ranges: Range[] }> {
  const s = await t.tdb.db.query(`SELECT start_at, end_at FROM recording_segments WHERE camera_id = $1 ORDER BY start_at`, [cameraId]);
  const r = await t.tdb.db.query(`SELECT start_at, end_at FROM recording_ranges WHERE camera_id = $1 AND stream = 'main' ORDER BY start_at`, [cameraId]);
  const ms = (rows: Array<{ start_at: Date; end_at: Date }>): Range[] => rows.map((x) => [x.start_at.getTime(), x.end_at.getTime()]);
  return { segments: ms(s.rows), ranges: ms(r.rows) };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sw-retention-'));
  t = await testGateway();
  cam = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.9, lon: 115.8 });
  other = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.9, lon: 115.8 });
  // N contiguous 10 s segments per camera ending an hour ago (OLD of them past the 1-day retention), with holes
  const base = Date.now() - DAY - OLD * 10_000;
  for (const c of [cam, other]) {
    await t.tdb.db.query(
      `INSERT INTO recording_segments (camera_id, stream, start_at, end_at, bytes, path, sha256, first_pts_90k)
       SELECT $1::uuid, 'main', to_timestamp(($2::bigint + i * 10000) / 1000.0), to_timestamp(($2::bigint + i * 10000 + 10000) / 1000.0), 1000,
              $1::text || '/main/t/' || i || '.ts', repeat('0', 64), 0
         FROM generate_series(0, $3::int - 1) i WHERE i % 97 <> 13`,
      [c, base, N],
    );
  }
  // a hold in the middle of the old footage of the first camera: those segments must stay
  hold = [base + 400 * 10_000 + 1, base + 410 * 10_000 - 1];
  await recordingsRepository(t.tdb.db).createHold({
    cameraId: cam, startAt: new Date(hold[0]), endAt: new Date(hold[1]), grantId: null, caseNo: 'K-RET', reason: 'test', createdBy: null,
  });
}, 120_000);
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('retention in batches', () => {
  it('deletes the aged segments in a few statements, keeps held ones, and the merged ranges stay exact', async () => {
    const before = await state(cam);
    expect(before.ranges).toEqual(islands(before.segments));
    const real = recordingsRepository(t.tdb.db);
    const batches: number[] = [];
    const repo: RecordingsRepository = {
      ...real,
      async deleteSegmentsIfUnheld(ids, tx) {
        batches.push(ids.length);
        return real.deleteSegmentsIfUnheld(ids, tx);
      },
    };
    const police = { ...DEFAULT_RECORDING.classes.police, retentionDays: 1 };
    const rec = new Recorder({
      repo, store: new LocalSegmentStore(dir), ffmpegPath: locateFfmpeg(), source: t.media?.edge ?? { holdSource: () => Promise.reject(new Error('no media')) },
      config: { ...DEFAULT_RECORDING, enabled: false, dir, minFreeBytes: 0, classes: { ...DEFAULT_RECORDING.classes, police } },
      onState: () => undefined, auditHold: async () => undefined, log: () => undefined, freeBytes: async () => Number.MAX_SAFE_INTEGER,
      retentionIntervalMs: 3_600_000,
    });
    await rec.start(); // runs one retention pass
    await rec.close();
    const cutoff = Date.now() - DAY;
    for (const c of [cam, other]) {
      const after = await state(c);
      // every remaining segment is young enough or held; the ranges are the islands of what is left
      for (const [s, e] of after.segments) {
        const held = c === cam && s < hold[1] && e > hold[0];
        expect(s >= cutoff - 60_000 || held).toBe(true);
      }
      expect(after.ranges).toEqual(islands(after.segments));
    }
    const camAfter = await state(cam);
    const heldLeft = camAfter.segments.filter(([s]) => s < cutoff - 60_000);
    expect(heldLeft.length).toBe(9); // the 10 segments the hold overlaps, less the hole at i = 401 (401 % 97 = 13)
    expect(camAfter.ranges.length).toBeGreaterThanOrEqual(2); // the held island apart from the young footage
    // ~2 × 1,080 aged rows went in batches of up to 500 ids, not one statement per segment
    const deleted = batches.reduce((a, b) => a + b, 0);
    expect(deleted).toBeGreaterThan(2000);
    expect(batches.length).toBeLessThanOrEqual(Math.ceil(deleted / 500) + 4);
    expect(Math.max(...batches)).toBeGreaterThan(100);
  }, 120_000);

  it('random deletes anywhere (middle, both ends, scattered, across holes and overlaps) keep the ranges exact', async () => {
    // migration 013 rebuilds from the segments within an hour of a change plus one piece per side for the rest
    const c = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.9, lon: 115.8 });
    let seed = 20261124;
    const rnd = (): number => {
      // mulberry32: deterministic, so a failure replays
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
    };
    const rows: Array<[number, number]> = [];
    let at = Date.now() - 3 * DAY;
    for (let i = 0; i < 4000; i++) {
      const len = 1000 + Math.floor(rnd() * 14_000);
      // contiguous ranges of hours (real holes only every 500 segments from the 2,000th), with small overlaps and
      // gaps inside the 1.5 s tolerance: deletes must rebuild ranges far longer than the hour read around a change
      const r = rnd();
      const step = i >= 2000 && i % 500 === 0 ? 60_000 + Math.floor(rnd() * 7_200_000) : r < 0.05 ? -3000 : r < 0.1 ? 1400 : 0;
      rows.push([at + step, at + step + len]);
      at += step + len;
    }
    await t.tdb.db.query(
      `INSERT INTO recording_segments (camera_id, stream, start_at, end_at, bytes, path, sha256, first_pts_90k)
       SELECT $1::uuid, 'main', to_timestamp(s / 1000.0), to_timestamp(e / 1000.0), 1, $1::text || '/main/r/' || n || '.ts', repeat('0', 64), 0
         FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS x(s, e, n)`,
      [c, rows.map((x) => x[0]), rows.map((x) => x[1])],
    );
    const repo = recordingsRepository(t.tdb.db);
    const first = await state(c);
    expect(first.ranges).toEqual(islands(first.segments));
    expect(first.ranges[0]![1] - first.ranges[0]![0]).toBeGreaterThan(4 * 3_600_000);
    for (let round = 0; round < 25; round++) {
      const ids = (await t.tdb.db.query<{ id: string }>('SELECT id FROM recording_segments WHERE camera_id = $1 ORDER BY start_at', [c])).rows.map((x) => Number(x.id));
      if (ids.length < 10) break;
      const kind = round % 3;
      const from = Math.floor(rnd() * ids.length);
      const pick = kind === 0
        ? ids.slice(from, from + 1 + Math.floor(rnd() * 600)) // a run, possibly over an hour long
        : kind === 1
          ? ids.filter(() => rnd() < 0.02) // scattered all over
          : [ids[from]!]; // one segment
      await repo.deleteSegmentsIfUnheld(pick);
      const now = await state(c);
      expect(now.ranges, `round ${round}`).toEqual(islands(now.segments));
    }
  }, 120_000);
});
