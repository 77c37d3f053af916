// Play tokens: short-lived EdDSA (Ed25519) JWTs the media edge checks on every request.
// One active signing key, older public keys kept by `kid` until dropped, so rotation never cuts a stream.
import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  calculateJwkThumbprint,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
} from 'jose';
import { ACTIONS, type Action, type Uuid } from '../domain/types.ts';
import { errors, isAppError, type AppError } from '../errors.ts';

export const PLAY_TOKEN_ALG = 'EdDSA';
export const PLAY_TOKEN_TYP = 'shouwang-play+jwt';
export const PLAY_TOKEN_ISSUER = 'shouwang';
export const PLAY_TOKEN_AUDIENCE = 'shouwang-media';
/** Longest play token lifetime; the revocation registry keeps entries at least this long. */
export const MAX_PLAY_TOKEN_TTL_SECONDS = 3600;

/** What the issuer decides; the rest (jti, iat, exp, iss, aud) is filled in. Times are epoch seconds. */
export interface PlayTokenInput {
  sub: Uuid;
  /** Grant id, or null for access from the user's own jurisdiction. */
  gid: Uuid | null;
  cams: readonly Uuid[];
  act: readonly Action[];
  /** Footage window. */
  ff?: number;
  ft?: number;
  /** Live window. */
  lf?: number;
  lt?: number;
  /** Login session, so logging out kills the session's play tokens. */
  sid?: string;
  jti?: string;
}

export interface PlayClaims extends Omit<PlayTokenInput, 'jti'> {
  jti: string;
  iat: number;
  exp: number;
  iss: typeof PLAY_TOKEN_ISSUER;
  aud: typeof PLAY_TOKEN_AUDIENCE;
}

/** A key as stored in PostgreSQL or config. Only the active key carries its private half. */
export interface StoredKey {
  kid: string;
  publicJwk: JWK;
  privateJwk?: JWK;
}
export interface StoredKeyRing {
  activeKid: string;
  keys: StoredKey[];
}

/** What verification needs: public keys by kid, imported once. */
export interface VerificationKeys {
  publicKey(kid: string): CryptoKey | undefined;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  privateJwk: JWK;
}

async function importPublic(jwk: JWK): Promise<{ kid: string; key: CryptoKey; jwk: JWK }> {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw errors.validation('Play-token keys must be Ed25519 JWKs.', { kid: jwk.kid });
  }
  const pub: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  const kid = jwk.kid ?? (await calculateJwkThumbprint(pub));
  const key = (await importJWK(pub, PLAY_TOKEN_ALG)) as CryptoKey;
  return { kid, key, jwk: { ...pub, kid, alg: PLAY_TOKEN_ALG, use: 'sig' } };
}

/** Public keys only: for processes that verify but never issue (media edge workers). */
export class PublicKeySet implements VerificationKeys {
  protected readonly keys = new Map<string, { key: CryptoKey; jwk: JWK }>();

  static async fromJwks(jwks: readonly JWK[]): Promise<PublicKeySet> {
    const set = new PublicKeySet();
    for (const jwk of jwks) await set.add(jwk);
    return set;
  }

  async add(jwk: JWK): Promise<string> {
    const { kid, key, jwk: clean } = await importPublic(jwk);
    this.keys.set(kid, { key, jwk: clean });
    return kid;
  }

  drop(kid: string): boolean {
    return this.keys.delete(kid);
  }

  publicKey(kid: string): CryptoKey | undefined {
    return this.keys.get(kid)?.key;
  }

  kids(): string[] {
    return [...this.keys.keys()];
  }

  /** The JWKS to hand to verifiers. */
  publicJwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].map((k) => k.jwk) };
  }
}

export class KeyRing extends PublicKeySet {
  private active: SigningKey;

  private constructor(active: SigningKey) {
    super();
    this.active = active;
  }

  /** A fresh ring with one newly generated key. */
  static async generate(): Promise<KeyRing> {
    const { signing, publicJwk } = await newKey();
    const ring = new KeyRing(signing);
    await ring.add(publicJwk);
    return ring;
  }

  static async import(stored: StoredKeyRing): Promise<KeyRing> {
    const activeEntry = stored.keys.find((k) => k.kid === stored.activeKid);
    if (!activeEntry?.privateJwk) {
      throw errors.validation(`Key ring: active key '${stored.activeKid}' has no private JWK.`);
    }
    const privateKey = (await importJWK(activeEntry.privateJwk, PLAY_TOKEN_ALG)) as CryptoKey;
    const ring = new KeyRing({ kid: stored.activeKid, privateKey, privateJwk: activeEntry.privateJwk });
    for (const k of stored.keys) await ring.add({ ...k.publicJwk, kid: k.kid });
    return ring;
  }

  get activeKid(): string {
    return this.active.kid;
  }

  signingKey(): { kid: string; key: CryptoKey } {
    return { kid: this.active.kid, key: this.active.privateKey };
  }

  /** Make a new key active; old public keys stay until `drop()` so tokens already issued still verify. */
  async rotate(): Promise<string> {
    const { signing, publicJwk } = await newKey();
    await this.add(publicJwk);
    this.active = signing;
    return signing.kid;
  }

  override drop(kid: string): boolean {
    if (kid === this.active.kid) throw errors.conflict('The active signing key cannot be dropped; rotate first.');
    return super.drop(kid);
  }

  export(): StoredKeyRing {
    return {
      activeKid: this.active.kid,
      keys: [...this.keys.entries()].map(([kid, { jwk }]) =>
        kid === this.active.kid ? { kid, publicJwk: jwk, privateJwk: this.active.privateJwk } : { kid, publicJwk: jwk },
      ),
    };
  }
}

async function newKey(): Promise<{ signing: SigningKey; publicJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(PLAY_TOKEN_ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: PLAY_TOKEN_ALG };
  return { signing: { kid, privateKey, privateJwk }, publicJwk: { ...publicJwk, kid } };
}

export async function issuePlayToken(
  keyRing: KeyRing,
  input: PlayTokenInput,
  ttlSeconds: number,
  opts: { now?: Date; cache?: VerifiedTokenCache } = {},
): Promise<{ token: string; claims: PlayClaims }> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_PLAY_TOKEN_TTL_SECONDS) {
    throw errors.validation(`'ttlSeconds' must be an integer in 1..${MAX_PLAY_TOKEN_TTL_SECONDS}.`, { ttlSeconds });
  }
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const claims: PlayClaims = {
    sub: input.sub,
    gid: input.gid,
    cams: [...input.cams],
    act: [...input.act],
    ...(input.ff !== undefined && { ff: input.ff }),
    ...(input.ft !== undefined && { ft: input.ft }),
    ...(input.lf !== undefined && { lf: input.lf }),
    ...(input.lt !== undefined && { lt: input.lt }),
    ...(input.sid !== undefined && { sid: input.sid }),
    jti: input.jti ?? randomUUID(),
    iat,
    exp: iat + ttlSeconds,
    iss: PLAY_TOKEN_ISSUER,
    aud: PLAY_TOKEN_AUDIENCE,
  };
  const problem = claimsProblem(claims);
  if (problem) throw errors.validation(`Play token: ${problem}.`);
  const { kid, key } = keyRing.signingKey();
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: PLAY_TOKEN_ALG, typ: PLAY_TOKEN_TYP, kid })
    .sign(key);
  // The issuing process signed it: its own media edge need not verify it again.
  opts.cache?.set(token, kid, claims);
  return { token, claims };
}

export interface VerifyOptions {
  now: Date;
  leewaySeconds?: number;
  /** Skip the signature check for a token string already verified by this process (see VerifiedTokenCache). */
  cache?: VerifiedTokenCache;
}

/** Verify signature, header and claims. Throws AppError `token_invalid` or `token_expired`. */
export async function verifyPlayToken(keys: VerificationKeys, token: string, opts: VerifyOptions): Promise<PlayClaims> {
  const leeway = opts.leewaySeconds ?? 0;
  const nowSec = opts.now.getTime() / 1000;
  if (opts.cache) {
    const hit = opts.cache.get(token, keys, nowSec, leeway);
    if (hit !== undefined) return notFromTheFuture(hit, nowSec, leeway);
  }
  let kid = '';
  let payload: unknown;
  try {
    const result = await jwtVerify(
      token,
      (header: JWTHeaderParameters) => {
        if (typeof header.kid !== 'string') throw errors.tokenInvalid('Play token has no key id.');
        const key = keys.publicKey(header.kid);
        if (key === undefined) throw errors.tokenInvalid('Play token signed with an unknown key.');
        kid = header.kid;
        return key;
      },
      {
        algorithms: [PLAY_TOKEN_ALG],
        typ: PLAY_TOKEN_TYP,
        issuer: PLAY_TOKEN_ISSUER,
        audience: PLAY_TOKEN_AUDIENCE,
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
        currentDate: opts.now,
        clockTolerance: leeway,
      },
    );
    payload = result.payload;
  } catch (e) {
    throw toTokenError(e);
  }
  const claims = payload as PlayClaims;
  const problem = claimsProblem(claims);
  if (problem) throw errors.tokenInvalid(`Play token: ${problem}.`);
  notFromTheFuture(claims, nowSec, leeway);
  opts.cache?.set(token, kid, claims);
  return claims;
}

/** Revocation compares iat: a token "issued" after now would outlive every logout and disable. */
function notFromTheFuture(claims: PlayClaims, nowSec: number, leewaySeconds: number): PlayClaims {
  if (!(typeof claims.iat === 'number' && Number.isFinite(claims.iat)) || claims.iat > nowSec + leewaySeconds) {
    throw errors.tokenInvalid('Play token is issued in the future.', { reason: 'token_iat_future' });
  }
  return claims;
}

function toTokenError(e: unknown): AppError {
  if (isAppError(e)) return e;
  if (e instanceof joseErrors.JWTExpired) return errors.tokenExpired('Play token has expired.');
  return errors.tokenInvalid('Play token is invalid.', { cause: e instanceof Error ? e.message : String(e) });
}

const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);
const isSeconds = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v));

/** Shape checks jose does not do; returns a problem or null. */
function claimsProblem(c: PlayClaims): string | null {
  if (typeof c.sub !== 'string' || c.sub === '') return "'sub' must be a user id";
  if (c.gid !== null && typeof c.gid !== 'string') return "'gid' must be a grant id or null";
  if (!Array.isArray(c.cams) || c.cams.length === 0 || !c.cams.every((x) => typeof x === 'string')) {
    return "'cams' must be a non-empty list of camera ids";
  }
  if (!Array.isArray(c.act) || c.act.length === 0 || !c.act.every((x) => ACTION_SET.has(x))) {
    return "'act' must be a non-empty list of actions";
  }
  if (!isSeconds(c.ff) || !isSeconds(c.ft) || !isSeconds(c.lf) || !isSeconds(c.lt)) return 'windows must be epoch seconds';
  if ((c.ff === undefined) !== (c.ft === undefined) || (c.ff !== undefined && c.ft !== undefined && c.ff > c.ft)) {
    return "'ff'/'ft' must come together, ff ≤ ft";
  }
  if ((c.lf === undefined) !== (c.lt === undefined) || (c.lf !== undefined && c.lt !== undefined && c.lf > c.lt)) {
    return "'lf'/'lt' must come together, lf ≤ lt";
  }
  if (c.sid !== undefined && typeof c.sid !== 'string') return "'sid' must be a string";
  if (typeof c.jti !== 'string' || c.jti === '') return "'jti' is required";
  if (c.exp - c.iat > MAX_PLAY_TOKEN_TTL_SECONDS) return 'lifetime exceeds the maximum';
  return null;
}

/**
 * Verified claims by exact token string. A signature only needs checking once per token per process;
 * expiry and the key's presence are re-checked on every hit. Revocation is never cached: check it each time.
 * Use one cache per key set.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { kid: string; claims: PlayClaims }>();
  constructor(private readonly maxEntries = 100_000) {}

  get(token: string, keys: VerificationKeys, nowSec: number, leewaySeconds: number): PlayClaims | undefined {
    const e = this.entries.get(token);
    if (e === undefined) return undefined;
    // Expired or key dropped: fall through to full verification, which reports the right error.
    if (nowSec >= e.claims.exp + leewaySeconds || keys.publicKey(e.kid) === undefined) {
      this.entries.delete(token);
      return undefined;
    }
    return e.claims;
  }

  set(token: string, kid: string, claims: PlayClaims): void {
    if (this.entries.size >= this.maxEntries) {
      // Oldest first: Map iterates in insertion order.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { kid, claims });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
