// Shared benchmark plumbing: percentiles, machine facts, results files, a throwaway database.
import { mkdirSync, writeFileSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbedded } from '../gateway/db/embedded.ts';
import { createPool, runtimeRole, type Db } from '../gateway/db/pool.ts';
import { migrate } from '../gateway/db/migrate.ts';
import { freePort } from '../test/helpers/free-port.ts';
export { freePort };

export type Figures = Record<string, number | string>;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'cpu'} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function writeResult(name: string, figures: Figures): Figures {
  const out = { ...figures, machine: machine(), date: new Date().toISOString() };
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(out, null, 2) + '\n');
  return out;
}

export function printTable(name: string, figures: Figures): void {
  process.stdout.write(`\n== ${name} ==\n`);
  const w = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
}


export function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(d, 0o777); // embedded PostgreSQL runs as 'postgres' when we are root
  return d;
}

/** A migrated, empty database: BENCH_DATABASE_URL's server if set, else an embedded one in a temp dir. */
export async function benchDatabase(): Promise<{ db: Db; url: string; close(): Promise<void> }> {
  let adminUrl = process.env.BENCH_DATABASE_URL;
  let stop: (() => Promise<void>) | null = null;
  let dir: string | null = null;
  if (!adminUrl) {
    dir = tempDir('shouwang-bench-pg-');
    const s = await startEmbedded({ dataDir: path.join(dir, 'pg'), port: await freePort() });
    adminUrl = s.url;
    stop = () => s.stop();
  }
  const name = `shouwang_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const superDb = createPool({ url: u.toString(), max: 2 });
  await migrate(superDb);
  const db = createPool({ url: u.toString(), max: 10, role: await runtimeRole(superDb) });
  await superDb.end();
  return {
    db,
    url: u.toString(),
    async close() {
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      if (stop) await stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
