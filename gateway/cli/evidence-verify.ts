// npm run evidence:verify -- clip.mp4 manifest.json [--jwks jwks.json | --url http://gateway:8080]
// Checks an evidence export offline: the manifest's signature (gateway public key), the clip's SHA-256, the Merkle root.
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { verifyEvidence } from '../media/export/manifest.ts';

async function main(argv: string[]): Promise<number> {
  const pos: string[] = [];
  let jwksFile: string | null = null;
  let url: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--jwks') jwksFile = argv[++i] ?? null;
    else if (a === '--url') url = argv[++i] ?? null;
    else pos.push(a);
  }
  if (pos.length !== 2 || (!jwksFile && !url)) {
    process.stderr.write('usage: evidence:verify clip.mp4 manifest.json (--jwks jwks.json | --url http://gateway:8080)\n');
    return 2;
  }
  let jwks: { keys: JWK[] };
  if (jwksFile) jwks = JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys: JWK[] };
  else {
    const r = await fetch(new URL('/api/v1/play-tokens/jwks', url!), { redirect: 'error', signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`fetching public keys: HTTP ${r.status}`);
    jwks = (await r.json()) as { keys: JWK[] };
  }
  const report = await verifyEvidence(readFileSync(pos[0]!), readFileSync(pos[1]!, 'utf8'), jwks);
  for (const c of report.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}\n`);
  process.stdout.write(report.ok ? 'evidence verifies\n' : 'evidence does NOT verify\n');
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`evidence:verify: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
