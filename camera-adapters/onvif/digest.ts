import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  qop?: string;
  algorithm: 'MD5' | 'MD5-sess' | 'SHA-256';
}

/** Parse `key=value, key="quoted"` pairs of one auth-scheme's parameters. */
function parseParams(input: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /([a-zA-Z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let m = re.exec(input), n = 0; m && n < 32; m = re.exec(input), n++) {
    params.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
  }
  return params;
}

/** The first usable Digest challenge among the WWW-Authenticate values, or undefined. */
export function parseDigestChallenge(headers: string[]): DigestChallenge | undefined {
  for (const header of headers.slice(0, 8)) {
    // One header may carry several challenges: split before each scheme name.
    for (const part of header.split(/,?\s*(?=\b(?:Digest|Basic|Bearer|Negotiate)\s)/i)) {
      const m = /^\s*Digest\s+(.*)$/is.exec(part);
      if (!m) continue;
      const p = parseParams(m[1]!);
      const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase();
      const alg = algorithm === 'MD5' ? 'MD5' : algorithm === 'MD5-SESS' ? 'MD5-sess' : algorithm === 'SHA-256' ? 'SHA-256' : undefined;
      const nonce = p.get('nonce');
      const qops = (p.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
      if (!alg || !nonce) continue;
      if (p.has('qop') && !qops.includes('auth')) continue; // auth-int only: we do not support it
      return { realm: p.get('realm') ?? '', nonce, opaque: p.get('opaque'), qop: p.has('qop') ? 'auth' : undefined, algorithm: alg };
    }
  }
  return undefined;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** RFC 7616: the Authorization header for one request; `nc` counts uses of this nonce starting at 1. */
export function digestAuthorization(
  challenge: DigestChallenge,
  credentials: { username: string; password: string },
  method: string,
  uri: string,
  nc: number,
  cnonce: string = randomBytes(8).toString('hex'),
): string {
  const hashName = challenge.algorithm === 'SHA-256' ? 'sha256' : 'md5';
  const h = (s: string): string => createHash(hashName).update(s, 'utf8').digest('hex');
  let ha1 = h(`${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (challenge.algorithm === 'MD5-sess') ha1 = h(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = h(`${method}:${uri}`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = challenge.qop
    ? h(`${ha1}:${challenge.nonce}:${ncHex}:${cnonce}:${challenge.qop}:${ha2}`)
    : h(`${ha1}:${challenge.nonce}:${ha2}`);
  // Header values must be Latin-1: a non-ASCII username goes in RFC 7616's username* form.
  const user = /^[\x20-\x7e]*$/.test(credentials.username)
    ? `username=${quote(credentials.username)}`
    : `username*=UTF-8''${encodeURIComponent(credentials.username)}`;
  const parts = [
    user,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=${challenge.algorithm}`,
    `response="${response}"`,
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.qop) parts.push(`qop=${challenge.qop}`, `nc=${ncHex}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}
