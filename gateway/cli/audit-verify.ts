// npm run audit:verify — walks the audit hash chain and reports the first broken row.
import { loadConfig } from '../config/load.ts';
import { createPool } from '../db/pool.ts';
import { openDatabaseForTool } from '../db/open.ts';
import { auditRepository } from '../repositories/audit.repository.ts';
import { verifyAuditChain } from '../audit/verify.ts';

async function main(): Promise<number> {
  const config = loadConfig();
  // Attaches to a running gateway's embedded server (its stored secret), or starts one for itself.
  const embedded = await openDatabaseForTool(config);
  const db = createPool({ url: embedded.url, max: 2 });
  try {
    const r = await verifyAuditChain(auditRepository(db));
    if (r.intact) {
      process.stdout.write(`audit chain intact: ${r.rows} rows verified\n`);
      return 0;
    }
    process.stdout.write(`audit chain BROKEN at row ${r.firstBrokenId}: ${r.problem} (${r.rows} rows before it verified)\n`);
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
