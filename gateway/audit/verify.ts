import type { AuditRepository } from '../repositories/audit.repository.ts';
import { chainHash, GENESIS } from './chain.ts';
import type { CheckpointClaims } from './checkpoints.ts';

export interface BrokenRow {
  id: number;
  problem: string;
}

/** A checkpoint to hold the chain against, already signature-checked. `source` says where it came from. */
export interface CheckpointToCheck {
  source: string;
  claims: CheckpointClaims;
}

export interface CheckpointProblem {
  source: string;
  headId: number;
  problem: string;
}

export interface VerifyResult {
  intact: boolean;
  rows: number;
  headId: number | null;
  /** Kept for older callers: the first entry of `broken`. */
  firstBrokenId: number | null;
  problem: string | null;
  /** Every broken row, up to `maxReported`; `brokenCount` counts them all. */
  broken: BrokenRow[];
  brokenCount: number;
  checkpoints: { checked: number; failed: CheckpointProblem[] };
}

const ROW_REMOVED = 'prev_hash does not match the previous row (row removed or inserted)';
const ROW_ALTERED = 'content does not match its hash (row altered)';

/**
 * Walks the whole chain from the genesis and reports every row whose link or content does not match, then
 * holds the chain against each checkpoint: its head row must exist with the signed hash and the signed row count.
 */
export async function verifyAuditChain(
  repo: Pick<AuditRepository, 'page'>,
  opts: { pageSize?: number; checkpoints?: CheckpointToCheck[]; maxReported?: number } = {},
): Promise<VerifyResult> {
  const pageSize = opts.pageSize ?? 5000;
  const maxReported = opts.maxReported ?? 1000;
  const pending = [...(opts.checkpoints ?? [])].sort((a, b) => a.claims.headId - b.claims.headId);
  const failed: CheckpointProblem[] = [];
  const broken: BrokenRow[] = [];
  let brokenCount = 0;
  const report = (id: number, problem: string) => {
    brokenCount++;
    if (broken.length < maxReported) broken.push({ id, problem });
  };
  let prev: Buffer = GENESIS;
  let after = 0;
  let rows = 0;
  let cp = 0;
  // The next page is read while this one is hashed: PostgreSQL and the pg parser overlap with the hashing.
  let nextPage = repo.page(0, pageSize);
  for (;;) {
    const page = await nextPage;
    if (page.length === 0) break;
    nextPage = page.length < pageSize ? Promise.resolve([]) : repo.page(page[page.length - 1]!.id, pageSize);
    for (const r of page) {
      // Checkpoints whose head lies before this row: their head row is gone.
      while (cp < pending.length && pending[cp]!.claims.headId < r.id) {
        const c = pending[cp++]!;
        failed.push({ source: c.source, headId: c.claims.headId, problem: 'the checkpointed head row is missing (rows deleted)' });
      }
      if (!r.prevHash.equals(prev)) report(r.id, ROW_REMOVED);
      else if (!chainHash(prev, r).equals(r.hash)) report(r.id, ROW_ALTERED);
      rows++;
      while (cp < pending.length && pending[cp]!.claims.headId === r.id) {
        const c = pending[cp++]!;
        if (r.hash.toString('hex') !== c.claims.headHash) {
          failed.push({ source: c.source, headId: c.claims.headId, problem: 'the head row hash differs from the signed one (chain rewritten)' });
        } else if (rows !== c.claims.rows) {
          failed.push({ source: c.source, headId: c.claims.headId, problem: `${rows} rows up to the head, ${c.claims.rows} signed (rows deleted or inserted)` });
        }
      }
      // Resynchronise on the stored hash so one bad row is reported once, not every row after it.
      prev = r.hash;
      after = r.id;
    }
  }
  for (; cp < pending.length; cp++) {
    const c = pending[cp]!;
    if (c.claims.headId === 0 && c.claims.rows === 0) continue;
    failed.push({ source: c.source, headId: c.claims.headId, problem: 'the log ends before the checkpointed head (newest rows deleted)' });
  }
  const first = broken[0];
  const cpFirst = failed[0];
  return {
    intact: brokenCount === 0 && failed.length === 0,
    rows,
    headId: rows > 0 ? after : null,
    firstBrokenId: first?.id ?? null,
    problem: first?.problem ?? (cpFirst ? `checkpoint at row ${cpFirst.headId}: ${cpFirst.problem}` : null),
    broken,
    brokenCount,
    checkpoints: { checked: pending.length, failed },
  };
}
