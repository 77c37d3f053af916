import { createHash } from 'node:crypto';
import type { Subject } from '../domain/types.ts';
import { AppError } from '../errors.ts';
import type { CamerasRepository } from '../repositories/cameras.repository.ts';
import type { EnrolmentService, EnrolInput } from './enrolment.service.ts';
import { parseCameraCsv, type CsvRow } from './csv.ts';
import type { RowDiff } from './row-diff.ts';
import type { Queryable } from '../db/pool.ts';

export type RowStatus = 'enrolled' | 'updated' | 'unchanged' | 'rejected' | 'valid';

export interface RowResult {
  /** 1-based data row number (the header is row 0). */
  row: number;
  status: RowStatus;
  host: string;
  port: number | null;
  cameraId?: string;
  code?: string;
  reason?: string;
  /** Already-enrolled camera: the fields this row changes (dry run: would change). */
  changes?: string[];
  /** The row names a different owner: their account, a new consent, and the old owner loses the camera. */
  ownerChange?: { from: string | null; to: string };
}

const changesOf = (d: RowDiff) => ({ changes: d.fields, ...(d.ownerChange && { ownerChange: { from: d.ownerChange.fromUsername, to: d.ownerChange.toUsername } }) });

export interface BulkProgress {
  done: number;
  total: number;
  counts: Record<RowStatus, number>;
}

export interface BulkResult extends BulkProgress {
  batchId: string;
  dryRun: boolean;
  encoding: string;
  rows: RowResult[];
}

function rowToInput(r: CsvRow): EnrolInput {
  const num = (v: string) => (v.trim() === '' ? NaN : Number(v));
  const ownerClass = (r.owner_class?.trim() || 'household') as EnrolInput['ownerClass'];
  return {
    host: r.address.trim(),
    port: num(r.port),
    username: r.username,
    password: r.password,
    name: r.name?.trim() || (r.house ? `${r.owner_name} ${r.house}`.trim() : undefined),
    ownerClass,
    lat: num(r.lat),
    lon: num(r.lon),
    address: r.house || null,
    ownerName: r.owner_name || null,
    ownerPhone: r.owner_phone || null,
    sharingMode: ownerClass === 'household' ? ((r.sharing_mode || null) as EnrolInput['sharingMode']) : null,
    consentDate: r.consent_date || null,
    delegatedToCommittee: /^(yes|y|true|1|是)$/i.test(r.delegated ?? ''),
    // Space- or semicolon-separated, e.g. "10554 10080": the camera's own media ports besides cameras.mediaPorts.
    ...(r.media_ports?.trim() ? { mediaPorts: r.media_ports.trim().split(/[\s;]+/).map((p) => (/^\d{1,5}$/.test(p) ? Number(p) : NaN)) } : {}),
  };
}

const SHARING = new Set(['station', 'on_request', 'never_live']);

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Bulk enrolment from a village committee's CSV. Every row gets its own result; one bad row never stops the others,
 * and each camera is stored in its own transaction, so a failure leaves no half camera. Re-running a file changes nothing.
 */
export async function runBulkEnrolment(
  deps: { enrolment: EnrolmentService; cameras: CamerasRepository; db: Queryable },
  actor: Subject & { username?: string },
  file: Buffer,
  opts: { dryRun: boolean; fileName?: string | null; concurrency?: number; onProgress?: (p: BulkProgress) => void },
): Promise<BulkResult> {
  const { rows, encoding } = parseCameraCsv(file);
  const counts: Record<RowStatus, number> = { enrolled: 0, updated: 0, unchanged: 0, rejected: 0, valid: 0 };
  const results: RowResult[] = new Array(rows.length);
  const sha = createHash('sha256').update(file).digest('hex');
  const { rows: b } = await deps.db.query<{ id: string }>(
    `INSERT INTO enrolment_batches (file_sha256, file_name, uploaded_by, dry_run, rows_total) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [sha, opts.fileName ?? null, actor.userId, opts.dryRun, rows.length],
  );
  let done = 0;
  let lastReport = 0;
  const finish = (r: RowResult) => {
    results[r.row - 1] = r;
    counts[r.status]++;
    done++;
    const now = Date.now();
    if (opts.onProgress && (now - lastReport > 200 || done === rows.length)) {
      lastReport = now;
      opts.onProgress({ done, total: rows.length, counts: { ...counts } });
    }
  };
  const seen = new Map<string, number>();
  const work: Array<{ row: number; input: EnrolInput }> = [];
  rows.forEach((raw, idx) => {
    const row = idx + 1;
    const input = rowToInput(raw);
    const base = { row, host: input.host, port: Number.isInteger(input.port) ? input.port : null };
    if (input.ownerClass !== 'household' && input.ownerClass !== 'village') {
      return finish({ ...base, status: 'rejected', code: 'validation_failed', reason: `owner_class '${raw.owner_class}' must be household or village` });
    }
    if (input.sharingMode && !SHARING.has(input.sharingMode)) {
      return finish({ ...base, status: 'rejected', code: 'validation_failed', reason: `sharing_mode '${input.sharingMode}' must be station, on_request or never_live` });
    }
    const problem = deps.enrolment.validate(input);
    if (problem) return finish({ ...base, status: 'rejected', code: 'validation_failed', reason: problem });
    const key = `${input.host.toLowerCase()}:${input.port}`;
    if (seen.has(key)) {
      return finish({ ...base, status: 'rejected', code: 'duplicate_in_file', reason: `same camera as row ${seen.get(key)}` });
    }
    seen.set(key, row);
    work.push({ row, input });
  });

  await pool(work, opts.concurrency ?? 32, async ({ row, input }) => {
    const base = { row, host: input.host, port: input.port };
    try {
      const existing = await deps.cameras.byEndpoint(input.host, input.port);
      if (opts.dryRun) {
        const diff = existing ? await deps.enrolment.diffRow(actor, existing, input) : null;
        await deps.enrolment.authorise(actor, input);
        if (!existing) await deps.enrolment.probe(input);
        if (!existing || !diff) return finish({ ...base, status: 'valid' });
        const reason = diff.ownerChange
          ? `already enrolled; a commit gives it to a new owner (${diff.ownerChange.toUsername}) with a new consent, and ${diff.ownerChange.fromUsername ?? 'the old owner'} loses it`
          : diff.fields.length ? `already enrolled; a commit changes: ${diff.fields.join(', ')}` : 'already enrolled; nothing to change';
        return finish({ ...base, status: 'valid', cameraId: existing.id, reason, ...changesOf(diff) });
      }
      if (existing) {
        const { status, diff } = await deps.enrolment.updateFromRow(actor, existing, input);
        return finish({ ...base, status, cameraId: existing.id, ...(status === 'updated' && changesOf(diff)) });
      }
      const cam = await deps.enrolment.enrol(actor, input);
      finish({ ...base, status: 'enrolled', cameraId: cam.id });
    } catch (e) {
      const err = e instanceof AppError ? e : null;
      // A concurrent enrolment of the same endpoint loses on the unique index: report it, don't crash the batch.
      const dup = (e as { code?: string }).code === '23505';
      finish({
        ...base,
        status: 'rejected',
        code: err?.code ?? (dup ? 'conflict' : 'internal'),
        reason: err?.message ?? (dup ? 'camera was enrolled concurrently' : 'unexpected error storing this row'),
      });
    }
  });

  await deps.db.query(
    `UPDATE enrolment_batches SET enrolled = $2, updated = $3, unchanged = $4, rejected = $5, finished_at = now() WHERE id = $1`,
    [b[0]!.id, counts.enrolled, counts.updated, counts.unchanged, counts.rejected],
  );
  return { batchId: b[0]!.id, dryRun: opts.dryRun, encoding, done, total: rows.length, counts, rows: results };
}
