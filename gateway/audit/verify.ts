import type { AuditRepository } from '../repositories/audit.repository.ts';
import { chainHash, GENESIS } from './chain.ts';

export interface VerifyResult {
  intact: boolean;
  rows: number;
  firstBrokenId: number | null;
  problem: string | null;
}

/** Walks the chain from the genesis; reports the first row whose link or content does not match. */
export async function verifyAuditChain(repo: AuditRepository, pageSize = 5000): Promise<VerifyResult> {
  let prev: Buffer = GENESIS;
  let after = 0;
  let rows = 0;
  for (;;) {
    const page = await repo.page(after, pageSize);
    if (page.length === 0) return { intact: true, rows, firstBrokenId: null, problem: null };
    for (const r of page) {
      if (!r.prevHash.equals(prev)) {
        return { intact: false, rows, firstBrokenId: r.id, problem: 'prev_hash does not match the previous row (row removed or inserted)' };
      }
      const expect = chainHash(prev, r);
      if (!expect.equals(r.hash)) {
        return { intact: false, rows, firstBrokenId: r.id, problem: 'content does not match its hash (row altered)' };
      }
      prev = r.hash;
      after = r.id;
      rows++;
    }
  }
}
