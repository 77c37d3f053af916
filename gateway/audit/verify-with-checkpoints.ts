// The full check behind GET/POST /audit/verify and `npm run audit:verify`: the chain, every stored checkpoint,
// and any checkpoints an auditor or partner supplies from their own copy.
import type { AuditRepository } from '../repositories/audit.repository.ts';
import type { AuditCheckpointsRepository } from '../repositories/audit-checkpoints.repository.ts';
import { CheckpointKeys, readSuppliedCheckpoint } from './checkpoints.ts';
import { verifyAuditChain, type CheckpointProblem, type CheckpointToCheck, type VerifyResult } from './verify.ts';

export async function verifyAuditLog(deps: {
  audit: Pick<AuditRepository, 'page'>;
  checkpoints: AuditCheckpointsRepository;
  supplied?: unknown[];
  pageSize?: number;
}): Promise<VerifyResult> {
  const keys = await CheckpointKeys.from(await deps.checkpoints.publicKeys());
  const toCheck: CheckpointToCheck[] = [];
  const unreadable: CheckpointProblem[] = [];
  for (const row of await deps.checkpoints.all()) {
    try {
      const { claims } = await keys.verify(row.jws);
      toCheck.push({ source: `stored#${row.id}`, claims });
    } catch (e) {
      unreadable.push({ source: `stored#${row.id}`, headId: row.headId, problem: (e as Error).message });
    }
  }
  for (const [i, s] of (deps.supplied ?? []).entries()) {
    // A supplied checkpoint that does not verify is the caller's error, not the log's: let it throw (400).
    const { claims } = await readSuppliedCheckpoint(s, keys);
    toCheck.push({ source: `supplied#${i + 1}`, claims });
  }
  const r = await verifyAuditChain(deps.audit, { checkpoints: toCheck, ...(deps.pageSize ? { pageSize: deps.pageSize } : {}) });
  if (unreadable.length === 0) return r;
  const failed = [...unreadable, ...r.checkpoints.failed];
  return { ...r, intact: false, problem: r.problem ?? `checkpoint ${unreadable[0]!.source}: ${unreadable[0]!.problem}`, checkpoints: { checked: r.checkpoints.checked + unreadable.length, failed } };
}
