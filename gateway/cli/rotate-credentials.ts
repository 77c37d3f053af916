// npm run rotate-credentials — re-encrypts every camera's credentials with the active key
// (set the new key as secrets.credentialKey and the old one in secrets.previousCredentialKeys first).
import { loadConfig } from '../config/load.ts';
import { createPool } from '../db/pool.ts';
import { startEmbedded } from '../db/embedded.ts';
import { credentialCipherFrom } from '../cameras/credential-key.ts';
import { reencryptCredentials } from '../cameras/rotate-credentials.ts';

async function main(): Promise<number> {
  const config = loadConfig();
  const embedded = config.database.url ? null : await startEmbedded({ dataDir: config.database.dataDir, port: config.database.embeddedPort });
  const db = createPool({ url: config.database.url ?? embedded!.url, max: 2 });
  try {
    const r = await reencryptCredentials(db, credentialCipherFrom(config));
    process.stdout.write(`re-encrypted ${r.reencrypted} of ${r.checked} cameras with key ${r.activeKid}\n`);
    return 0;
  } finally {
    await db.end();
    await embedded?.stop();
  }
}

main().then((c) => process.exit(c), (e) => {
  process.stderr.write(`rotate-credentials: ${(e as Error).message}\n`);
  process.exit(1);
});
