// Database secrets kept beside the data dir: generated once, 0600 in a 0700 directory, never in argv or a log.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/** `<parent of dataDir>/secrets`: outside the data dir, so the postgres user never needs to read it. */
export function secretsDir(dataDir: string): string {
  return path.join(path.dirname(path.resolve(dataDir)), 'secrets');
}

/** The file holding secret `name` for this data dir (`<parent>/secrets/<basename>.<name>`). */
export function secretFile(dataDir: string, name: string): string {
  return path.join(secretsDir(dataDir), `${path.basename(path.resolve(dataDir))}.${name}`);
}

export function newSecret(): string {
  // base64url: ASCII only, so SASLprep leaves it unchanged and it needs no escaping in a URL.
  return randomBytes(32).toString('base64url');
}

export function readSecret(file: string): string | null {
  if (!existsSync(file)) return null;
  const s = readFileSync(file, 'utf8').trim();
  return s.length >= 16 ? s : null;
}

/** Writes atomically (temp file then rename), 0600, in a 0700 directory. */
export function writeSecret(file: string, secret: string): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${secret}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The stored secret, or a new one written first. */
export function ensureSecret(file: string): string {
  const existing = readSecret(file);
  if (existing) return existing;
  const s = newSecret();
  writeSecret(file, s);
  return s;
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password`. Sending this instead of the password keeps the
 * plaintext out of the server's statement log and out of pg_stat_activity.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** `url` with user and password replaced. */
export function withLogin(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}
