// HTTP Digest (RFC 7616, MD5, qop=auth) and Basic checks, shared by RTSP and the ONVIF HTTP endpoints.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  username: string;
  password: string;
}

export interface DigestOptions {
  realm: string;
  /** Nonces older than this are answered with stale=true. */
  nonceTtlMs?: number;
  /** Accept `Authorization: Basic` too (RTSP cameras commonly do). */
  allowBasic?: boolean;
}

export type AuthResult = { ok: true; username: string } | { ok: false; stale: boolean };

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Parses `key=value, key="quoted, value"` auth parameters. */
export function parseAuthParams(input: string): Record<string, string> {
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let match: RegExpExecArray | null;
  let guard = 0;
  while ((match = re.exec(input)) !== null && guard++ < 64) {
    const key = match[1];
    if (key) params[key.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  return params;
}

/**
 * Stateless digest: the nonce is a timestamp signed with a per-instance key,
 * so thousands of idle cameras keep no nonce tables and no timers.
 */
export class DigestAuth {
  readonly realm: string;
  private readonly key = randomBytes(16);
  private readonly ttlMs: number;
  private readonly allowBasic: boolean;

  constructor(opts: DigestOptions) {
    this.realm = opts.realm;
    this.ttlMs = opts.nonceTtlMs ?? 5 * 60_000;
    this.allowBasic = opts.allowBasic ?? false;
  }

  private sign(stamp: string): string {
    return createHmac('sha256', this.key).update(stamp).digest('base64url').slice(0, 22);
  }

  newNonce(now = Date.now()): string {
    const stamp = now.toString(36);
    return `${stamp}.${this.sign(stamp)}`;
  }

  /** Value for WWW-Authenticate; `stale` tells the client to retry with a fresh nonce without re-prompting. */
  challenge(stale = false): string {
    const parts = [`Digest realm="${this.realm}"`, `nonce="${this.newNonce()}"`, 'algorithm=MD5', 'qop="auth"'];
    if (stale) parts.push('stale=true');
    return parts.join(', ');
  }

  /** Challenges to send, Digest first (clients pick the first they support). */
  challenges(stale = false): string[] {
    return this.allowBasic ? [this.challenge(stale), `Basic realm="${this.realm}"`] : [this.challenge(stale)];
  }

  verify(method: string, header: string | undefined, lookup: (username: string) => string | undefined): AuthResult {
    if (!header) return { ok: false, stale: false };
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : header.slice(space + 1);
    if (scheme === 'basic' && this.allowBasic) return this.verifyBasic(rest, lookup);
    if (scheme !== 'digest') return { ok: false, stale: false };
    const p = parseAuthParams(rest);
    const { username, nonce, uri, response } = p;
    if (!username || !nonce || !uri || !response) return { ok: false, stale: false };
    if (p.realm !== this.realm) return { ok: false, stale: false };
    if (p.algorithm && p.algorithm.toUpperCase() !== 'MD5') return { ok: false, stale: false };
    const nonceState = this.checkNonce(nonce);
    if (nonceState === 'invalid') return { ok: false, stale: false };
    const password = lookup(username);
    if (password === undefined) return { ok: false, stale: false };
    const ha1 = md5(`${username}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${uri}`);
    let expected: string;
    if (p.qop) {
      if (p.qop !== 'auth' || !p.nc || !p.cnonce) return { ok: false, stale: false };
      expected = md5(`${ha1}:${nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
    } else {
      expected = md5(`${ha1}:${nonce}:${ha2}`);
    }
    if (!safeEqual(expected, response.toLowerCase())) return { ok: false, stale: false };
    // Right password on an expired nonce: ask again without treating it as a failure.
    if (nonceState === 'stale') return { ok: false, stale: true };
    return { ok: true, username };
  }

  private checkNonce(nonce: string): 'fresh' | 'stale' | 'invalid' {
    const [stamp, sig] = nonce.split('.');
    if (!stamp || !sig || !safeEqual(sig, this.sign(stamp))) return 'invalid';
    const issued = parseInt(stamp, 36);
    return Date.now() - issued > this.ttlMs ? 'stale' : 'fresh';
  }

  private verifyBasic(token: string, lookup: (username: string) => string | undefined): AuthResult {
    const decoded = Buffer.from(token.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, stale: false };
    const username = decoded.slice(0, colon);
    const password = lookup(username);
    if (password === undefined || !safeEqual(password, decoded.slice(colon + 1))) return { ok: false, stale: false };
    return { ok: true, username };
  }
}

/** Builds a client-side Digest Authorization header (for tests and for our own ONVIF/RTSP clients). */
export function digestAuthorization(opts: {
  method: string;
  uri: string;
  challenge: string;
  username: string;
  password: string;
  nc?: number;
  cnonce?: string;
}): string {
  const c = parseAuthParams(opts.challenge.replace(/^Digest\s+/i, ''));
  const realm = c.realm ?? '';
  const nonce = c.nonce ?? '';
  const nc = (opts.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = opts.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = md5(`${opts.username}:${realm}:${opts.password}`);
  const ha2 = md5(`${opts.method}:${opts.uri}`);
  const useQop = (c.qop ?? '').split(',').map((s) => s.trim()).includes('auth');
  const response = useQop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [
    `username="${opts.username}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${opts.uri}"`,
    'algorithm=MD5',
    `response="${response}"`,
  ];
  if (useQop) parts.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}
