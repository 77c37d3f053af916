import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Db } from './pool.ts';
import { withTx } from './pool.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(dir = DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.replace(/\.sql$/, ''), sql: readFileSync(path.join(dir, f), 'utf8') }));
}

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
}

/** Applies pending migrations in order, each once, each in its own transaction; refuses a newer schema. */
export async function migrate(db: Db, migrations = listMigrations()): Promise<{ applied: string[] }> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  // One migrator at a time across processes.
  await withTx(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7366290001)');
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    const done = new Set(rows.map((r) => r.version));
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...done);
    if (newest > known) {
      throw new SchemaTooNewError(
        `database schema is at version ${newest} but this gateway knows migrations up to ${known}; upgrade the gateway`,
      );
    }
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.query(`SAVEPOINT m${m.version}`);
      try {
        await tx.query(m.sql);
      } catch (e) {
        throw new Error(`migration ${m.name} failed: ${(e as Error).message}`);
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.name);
    }
  });
  return { applied };
}
