// npm run rotate-credentials — re-encrypts every camera's credentials with the active key
// (set the new key as secrets.credentialKey and the old one in secrets.previousCredentialKeys first).
import { loadConfig } from '../config/load.ts';
import { createPool } from '../db/pool.ts';
import { openDatabaseForTool } from '../db/open.ts';
import { credentialCipherFrom } from '../cameras/credential-key.ts';
import { reencryptCredentials } from '../cameras/rotate-credentials.ts';

async function main(): Promise<number> {
  const config = loadConfig();
  // Attaches to a running gateway's embedded server (its stored secret), or starts one for itself.
  const embedded = await openDatabaseForTool(config);
  const db = createPool({ url: embedded.url, max: 2 });
  try {
    const r = await reencryptCredentials(db, credentialCipherFrom(config));
    process.stdout.write(`re-encrypted ${r.reencrypted} of ${r.checked} cameras with key ${r.activeKid}\n`);
    return 0;
  } finally {
    await db.end();
    await embedded.close();
  }
}

main().then((c) => process.exit(c), (e) => {
  process.stderr.write(`rotate-credentials: ${(e as Error).message}\n`);
  process.exit(1);
});
