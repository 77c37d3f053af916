import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { CredentialCipher } from './credentials.ts';

/** The configured keys; without one (development, demo), a key generated once and kept in a file beside the data. */
export function credentialCipherFrom(config: Config, opts: { ephemeral?: boolean } = {}): CredentialCipher {
  const previous = config.secrets.previousCredentialKeys.map((k) => Buffer.from(k, 'base64'));
  if (config.secrets.credentialKey) return new CredentialCipher([Buffer.from(config.secrets.credentialKey, 'base64'), ...previous]);
  if (opts.ephemeral) return new CredentialCipher([randomBytes(32), ...previous]);
  const file = path.resolve(config.secrets.credentialKeyFile);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  }
  return new CredentialCipher([Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), ...previous]);
}
