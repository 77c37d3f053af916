// npm run report:verify -- report.json jwks.json — checks a route report's signature offline, with the
// gateway's published public keys (GET /api/v1/play-tokens/jwks saved to a file) and nothing else.
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { PublicKeySet } from '../access/tokens.ts';
import { verifyRouteReport, type SignedRouteReport } from '../tracing/route-report.ts';

async function main(argv: string[]): Promise<number> {
  const [reportFile, jwksFile] = argv;
  if (!reportFile || !jwksFile) {
    process.stderr.write('usage: npm run report:verify -- report.json jwks.json\n');
    return 2;
  }
  const doc = JSON.parse(readFileSync(reportFile, 'utf8')) as SignedRouteReport;
  const jwks = JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys: JWK[] };
  const r = await verifyRouteReport(doc, await PublicKeySet.fromJwks(jwks.keys));
  if (r.valid) {
    process.stdout.write(`route report ${doc.report.case.caseNo}: signature valid (key ${r.kid})\n`);
    return 0;
  }
  process.stdout.write(`route report: signature INVALID (${r.reason})\n`);
  return 3;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`report:verify: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
