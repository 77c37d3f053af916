// Retention over a camera with 30 days of 10 s segments in one merged range: deleting the oldest segments one
// statement each (the range trigger rebuilds the whole range every time) against one statement per batch.
import pino from 'pino';
import { benchDatabase, round, type Figures } from '../lib.ts';
import { loadConfig } from '../../gateway/config/load.ts';
import { composeGateway } from '../../gateway/compose.ts';
import { loadDemo } from '../../gateway/demo/load-demo.ts';
import { insertTestCamera } from '../../test/helpers/cameras.ts';
import { recordingsRepository } from '../../gateway/repositories/recordings.repository.ts';

export async function measureRetentionCost(): Promise<Figures> {
  const bdb = await benchDatabase();
  const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, log: { level: 'silent' } } });
  const gw = await composeGateway({ config, db: bdb.db, log: pino({ level: 'silent' }) });
  try {
    await loadDemo(gw);
    const cam = await insertTestCamera(gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: 'retention' });
    const start = new Date(Date.now() - 31 * 86_400_000);
    await bdb.db.query(
      `INSERT INTO recording_segments (camera_id, stream, start_at, end_at, bytes, path, sha256, first_pts_90k)
       SELECT $1::uuid, 'main', $2::timestamptz + make_interval(secs => i * 10), $2::timestamptz + make_interval(secs => i * 10 + 10), 2500000,
              $1::text || '/main/bench/' || i || '.ts', repeat('0', 64), 0
         FROM generate_series(0, 259199) i`,
      [cam, start],
    );
    await bdb.db.query('ANALYZE recording_segments').catch(() => undefined);
    const repo = recordingsRepository(bdb.db);
    const oldest = async (n: number): Promise<number[]> => (await repo.unheldOldest({ cameraIds: [cam], limit: n })).map((s) => s.id);
    // one statement per segment, as retention did before
    const single = await oldest(10);
    const t0 = performance.now();
    for (const id of single) await repo.deleteSegmentsIfUnheld([id]);
    const singleMs = (performance.now() - t0) / single.length;
    // one statement for a batch of 500
    const batch = await oldest(500);
    const t1 = performance.now();
    const gone = await repo.deleteSegmentsIfUnheld(batch);
    const batchMs = performance.now() - t1;
    const ranges = (await bdb.db.query('SELECT count(*)::int AS n FROM recording_ranges WHERE camera_id = $1', [cam])).rows[0].n as number;
    if (gone.length !== 500 || ranges !== 1) throw new Error(`retention bench: ${gone.length} deleted, ${ranges} ranges`);
    return {
      retention_range_segments: 259_200,
      retention_delete_ms_per_segment_one_by_one: round(singleMs, 1),
      retention_delete_ms_per_batch_of_500: round(batchMs, 1),
      retention_delete_ms_per_segment_batched: round(batchMs / 500, 2),
    };
  } finally {
    await gw.close();
    await bdb.close();
  }
}
