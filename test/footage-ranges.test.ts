// The recorded-range summary kept by migration 010's trigger: inserts merge, deletes trim or split.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { footageRepository } from '../gateway/repositories/footage.repository.ts';

let t: TestGateway;
let cam = '';
const T0 = Date.parse('2026-11-20T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

async function seg(from: number, to: number): Promise<void> {
  await t.tdb.db.query(
    `INSERT INTO recording_segments (camera_id, stream, start_at, end_at, bytes, path, sha256) VALUES ($1, 'main', $2, $3, 1, $4, repeat('0', 64))`,
    [cam, at(from), at(to), `${cam}/main/x/${from}.ts`],
  );
}
async function drop(from: number): Promise<void> {
  await t.tdb.db.query(`DELETE FROM recording_segments WHERE camera_id = $1 AND start_at = $2`, [cam, at(from)]);
}
async function ranges(): Promise<Array<[number, number]>> {
  const r = await footageRepository(t.tdb.db).ranges(cam, 'main', at(-1e6), at(1e6));
  return r.map((x) => [(x.from.getTime() - T0) / 1000, (x.to.getTime() - T0) / 1000]);
}

beforeAll(async () => {
  t = await testGateway();
  cam = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.9, lon: 115.8 });
});
afterAll(async () => {
  await t?.close();
});

describe('recording_ranges', () => {
  it('merges adjacent segments, in any insertion order, within 1.5 s', async () => {
    await seg(0, 10);
    await seg(20, 30);
    expect(await ranges()).toEqual([[0, 10], [20, 30]]);
    await seg(10.5, 20); // bridges both
    expect(await ranges()).toEqual([[0, 30]]);
    await seg(40, 50); // 10 s hole
    await seg(31, 40); // within 1.5 s of 30
    expect(await ranges()).toEqual([[0, 50]]);
  });

  it('retention of the oldest trims; a lost middle segment splits; the newest shrinks the end', async () => {
    await drop(0);
    expect(await ranges()).toEqual([[10.5, 50]]);
    await drop(20);
    expect(await ranges()).toEqual([[10.5, 20], [31, 50]]);
    await drop(40);
    expect(await ranges()).toEqual([[10.5, 20], [31, 40]]);
    await drop(31);
    await drop(10.5);
    expect(await ranges()).toEqual([]);
  });

  it('lists only the asked window, clipped', async () => {
    await seg(100, 110);
    const r = await footageRepository(t.tdb.db).ranges(cam, 'main', at(105), at(200));
    expect(r.map((x) => (x.from.getTime() - T0) / 1000)).toEqual([105]);
  });

  it('a bulk insert (a repair at start-up) and a bulk retention delete keep the ranges right in one statement each', async () => {
    const cam2 = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.9, lon: 115.8 });
    await t.tdb.db.query(
      `INSERT INTO recording_segments (camera_id, stream, start_at, end_at, bytes, path, sha256)
       SELECT $1::uuid, 'main', $2::timestamptz + make_interval(secs => i * 10), $2::timestamptz + make_interval(secs => i * 10 + 10), 1,
              $1::text || '/bulk/' || i || '.ts', repeat('0', 64)
       FROM generate_series(0, 19999) i WHERE i <> 12345`,
      [cam2, at(0)],
    );
    const repo = footageRepository(t.tdb.db);
    const list = async () => (await repo.ranges(cam2, 'main', at(-10), at(300_000))).map((x) => [(x.from.getTime() - T0) / 1000, (x.to.getTime() - T0) / 1000]);
    expect(await list()).toEqual([[0, 123450], [123460, 200000]]);
    await t.tdb.db.query(`DELETE FROM recording_segments WHERE camera_id = $1 AND start_at < $2`, [cam2, at(50_000)]);
    expect(await list()).toEqual([[50_000, 123450], [123460, 200000]]);
  });
});

