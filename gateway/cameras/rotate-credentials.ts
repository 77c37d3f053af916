import type { Db } from '../db/pool.ts';
import { camerasRepository } from '../repositories/cameras.repository.ts';
import type { CredentialCipher } from './credentials.ts';

/** Re-encrypts every camera's credentials still under an older key; the old key can be dropped afterwards. */
export async function reencryptCredentials(db: Db, cipher: CredentialCipher): Promise<{ checked: number; reencrypted: number; activeKid: string }> {
  const repo = camerasRepository(db);
  let after: string | null = null;
  let checked = 0;
  let reencrypted = 0;
  for (;;) {
    const page = await repo.probeTargets(after, 1000, { includeDisabled: true });
    if (page.length === 0) break;
    for (const c of page) {
      checked++;
      if (!cipher.isStale(c.credentialsEnc)) continue;
      await repo.update(c.id, { credentialsEnc: cipher.encrypt(cipher.decrypt(c.credentialsEnc)) });
      reencrypted++;
    }
    after = page[page.length - 1]!.id;
  }
  return { checked, reencrypted, activeKid: cipher.activeKid };
}
