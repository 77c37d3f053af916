// npm run audit:verify [-- --checkpoint file.json ...] — walks the whole audit hash chain, reports every broken
// row, and holds the chain against every stored checkpoint and every checkpoint file given (a partner's copy).
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.ts';
import { createPool } from '../db/pool.ts';
import { openDatabaseForTool } from '../db/open.ts';
import { auditRepository } from '../repositories/audit.repository.ts';
import { auditCheckpointsRepository } from '../repositories/audit-checkpoints.repository.ts';
import { verifyAuditLog } from '../audit/verify-with-checkpoints.ts';

function checkpointFiles(argv: string[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--checkpoint') continue;
    const file = argv[++i];
    if (!file) throw new Error('--checkpoint needs a file');
    const text = readFileSync(file, 'utf8').trim();
    out.push(text.startsWith('{') ? JSON.parse(text) : text);
  }
  return out;
}

async function main(): Promise<number> {
  const supplied = checkpointFiles(process.argv.slice(2));
  const config = loadConfig();
  // Attaches to a running gateway's embedded server (its stored secret), or starts one for itself.
  const embedded = await openDatabaseForTool(config);
  const db = createPool({ url: embedded.url, max: 2 });
  try {
    const r = await verifyAuditLog({ audit: auditRepository(db), checkpoints: auditCheckpointsRepository(db), supplied });
    const cps = `${r.checkpoints.checked} checkpoint(s)`;
    if (r.intact) {
      process.stdout.write(`audit chain intact: ${r.rows} rows verified against ${cps}\n`);
      return 0;
    }
    process.stdout.write(`audit chain BROKEN: ${r.brokenCount} broken row(s) of ${r.rows}; ${r.checkpoints.failed.length} of ${cps} not matched\n`);
    for (const b of r.broken) process.stdout.write(`  row ${b.id}: ${b.problem}\n`);
    if (r.brokenCount > r.broken.length) process.stdout.write(`  … and ${r.brokenCount - r.broken.length} more\n`);
    for (const c of r.checkpoints.failed) process.stdout.write(`  checkpoint ${c.source} (head row ${c.headId}): ${c.problem}\n`);
    return 3;
  } finally {
    await db.end();
    await embedded.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`audit:verify: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
