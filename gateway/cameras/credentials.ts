import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { errors } from '../errors.ts';

export interface CameraCredentials {
  username: string;
  password: string;
}

/** AES-256-GCM keys by id; the first is used to encrypt, all can decrypt (rotation). */
export class CredentialCipher {
  private readonly keys: Map<string, Buffer>;
  readonly activeKid: string;

  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error('at least one credential key is needed');
    this.keys = new Map();
    for (const k of keys) {
      if (k.length !== 32) throw new Error('credential keys are 32 bytes');
      this.keys.set(kidOf(k), k);
    }
    this.activeKid = kidOf(keys[0]!);
  }

  encrypt(c: CameraCredentials): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKid)!, iv);
    cipher.setAAD(Buffer.from(this.activeKid));
    const ct = Buffer.concat([cipher.update(JSON.stringify([c.username, c.password]), 'utf8'), cipher.final()]);
    return [this.activeKid, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  decrypt(blob: string): CameraCredentials {
    const [kid, iv, tag, ct] = blob.split('.');
    const key = kid ? this.keys.get(kid) : undefined;
    if (!key || !iv || !tag || ct === undefined) throw errors.unavailable('camera credentials were encrypted with a key this gateway does not have');
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(kid!));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    const [username, password] = JSON.parse(Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8')) as [string, string];
    return { username, password };
  }

  /** Does this blob need re-encrypting with the active key? */
  isStale(blob: string): boolean {
    return !blob.startsWith(this.activeKid + '.');
  }
}

function kidOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}
