import { SignJWT, base64url, decodeProtectedHeader, generateSecret } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../errors.ts';
import {
  KeyRing,
  MAX_PLAY_TOKEN_TTL_SECONDS,
  PLAY_TOKEN_TYP,
  PublicKeySet,
  VerifiedTokenCache,
  issuePlayToken,
  verifyPlayToken,
  type PlayTokenInput,
} from './tokens.ts';

const NOW = new Date('2025-03-01T02:30:00Z');
const NOW_S = NOW.getTime() / 1000;
const later = (s: number): Date => new Date(NOW.getTime() + s * 1000);

const INPUT: PlayTokenInput = {
  sub: 'user-yanggu-inv',
  gid: 'grant-1',
  cams: ['cam-tq-1', 'cam-tq-2'],
  act: ['playback', 'export'],
  ff: NOW_S - 3600,
  ft: NOW_S,
  sid: 'session-1',
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (isAppError(e)) return e.code;
    throw e;
  }
}

describe('play tokens', () => {
  let ring: KeyRing;
  beforeAll(async () => {
    ring = await KeyRing.generate();
  });

  it('round-trips the claims with an EdDSA header naming the active kid', async () => {
    const { token, claims } = await issuePlayToken(ring, INPUT, 300, { now: NOW });
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'EdDSA', typ: PLAY_TOKEN_TYP, kid: ring.activeKid });
    const verified = await verifyPlayToken(ring, token, { now: later(10) });
    expect(verified).toEqual(claims);
    expect(verified).toMatchObject({ ...INPUT, iat: NOW_S, exp: NOW_S + 300, iss: 'shouwang', aud: 'shouwang-media' });
    expect(typeof verified.jti).toBe('string');
  });

  it('own-jurisdiction tokens carry gid null and no windows', async () => {
    const { token } = await issuePlayToken(ring, { sub: 'u', gid: null, cams: ['c'], act: ['live'] }, 60, { now: NOW });
    const c = await verifyPlayToken(ring, token, { now: NOW });
    expect(c.gid).toBeNull();
    expect(c.ff).toBeUndefined();
  });

  it('expired tokens fail with token_expired, unless within leeway', async () => {
    const { token } = await issuePlayToken(ring, INPUT, 60, { now: NOW });
    expect(await codeOf(verifyPlayToken(ring, token, { now: later(61) }))).toBe('token_expired');
    expect(await codeOf(verifyPlayToken(ring, token, { now: later(61), leewaySeconds: 5 }))).toBe('ok');
  });

  it('rejects tampering, foreign keys, wrong algorithms, audiences, issuers and types with token_invalid', async () => {
    const { token } = await issuePlayToken(ring, INPUT, 300, { now: NOW });
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    const forged = `${h}.${base64url.encode(JSON.stringify({ ...payload, cams: ['cam-anything'] }))}.${s}`;
    expect(await codeOf(verifyPlayToken(ring, forged, { now: NOW }))).toBe('token_invalid');
    expect(await codeOf(verifyPlayToken(ring, `${h}.${p}.${s.slice(0, -4)}AAAA`, { now: NOW }))).toBe('token_invalid');
    expect(await codeOf(verifyPlayToken(ring, 'not-a-token', { now: NOW }))).toBe('token_invalid');
    expect(await codeOf(verifyPlayToken(ring, '', { now: NOW }))).toBe('token_invalid');

    // Signed by another ring: unknown kid.
    const other = await KeyRing.generate();
    const foreign = await issuePlayToken(other, INPUT, 300, { now: NOW });
    expect(await codeOf(verifyPlayToken(ring, foreign.token, { now: NOW }))).toBe('token_invalid');

    // Another ring's signature under our kid.
    const { key } = other.signingKey();
    const sign = (claims: object, header: object = {}) =>
      new SignJWT({ ...payload, ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: PLAY_TOKEN_TYP, kid: ring.activeKid, ...header });
    expect(await codeOf(verifyPlayToken(ring, await sign({}).sign(key), { now: NOW }))).toBe('token_invalid');

    // Our key, wrong audience / issuer / type.
    const ours = ring.signingKey().key;
    expect(await codeOf(verifyPlayToken(ring, await sign({ aud: 'someone-else' }).sign(ours), { now: NOW }))).toBe('token_invalid');
    expect(await codeOf(verifyPlayToken(ring, await sign({ iss: 'evil' }).sign(ours), { now: NOW }))).toBe('token_invalid');
    expect(await codeOf(verifyPlayToken(ring, await sign({}, { typ: 'JWT' }).sign(ours), { now: NOW }))).toBe('token_invalid');
    expect(await codeOf(verifyPlayToken(ring, await sign({ cams: [] }).sign(ours), { now: NOW }))).toBe('token_invalid');
    expect(await codeOf(verifyPlayToken(ring, await sign({ act: ['fly'] }).sign(ours), { now: NOW }))).toBe('token_invalid');
    expect(
      await codeOf(verifyPlayToken(ring, await sign({ exp: payload.iat + MAX_PLAY_TOKEN_TTL_SECONDS + 1 }).sign(ours), { now: NOW })),
    ).toBe('token_invalid');

    // HS256 with a secret, and alg none.
    const secret = await generateSecret('HS256');
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: ring.activeKid, typ: PLAY_TOKEN_TYP }).sign(secret);
    expect(await codeOf(verifyPlayToken(ring, hs, { now: NOW }))).toBe('token_invalid');
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: ring.activeKid, typ: PLAY_TOKEN_TYP }))}.${p}.`;
    expect(await codeOf(verifyPlayToken(ring, none, { now: NOW }))).toBe('token_invalid');
  });

  it('refuses a validly signed token issued in the future beyond the leeway (it would escape iat-based revocation)', async () => {
    const { token } = await issuePlayToken(ring, INPUT, 300, { now: later(600) });
    expect(await codeOf(verifyPlayToken(ring, token, { now: NOW, leewaySeconds: 5 }))).toBe('token_invalid');
    const near = await issuePlayToken(ring, INPUT, 300, { now: later(3) });
    expect(await codeOf(verifyPlayToken(ring, near.token, { now: NOW, leewaySeconds: 5 }))).toBe('ok');
    // Not even from the cache of the process that signed it.
    const cache = new VerifiedTokenCache();
    const cached = await issuePlayToken(ring, INPUT, 300, { now: later(600), cache });
    expect(await codeOf(verifyPlayToken(ring, cached.token, { now: NOW, leewaySeconds: 5, cache }))).toBe('token_invalid');
  });

  it('refuses to issue over-long or malformed tokens', async () => {
    expect(await codeOf(issuePlayToken(ring, INPUT, MAX_PLAY_TOKEN_TTL_SECONDS + 1))).toBe('validation_failed');
    expect(await codeOf(issuePlayToken(ring, INPUT, 0))).toBe('validation_failed');
    expect(await codeOf(issuePlayToken(ring, { ...INPUT, cams: [] }, 60))).toBe('validation_failed');
    expect(await codeOf(issuePlayToken(ring, { ...INPUT, ff: NOW_S, ft: NOW_S - 1 }, 60))).toBe('validation_failed');
  });
});

describe('key rotation and storage', () => {
  it('old tokens verify after rotation until their key is dropped; new tokens use the new kid', async () => {
    const ring = await KeyRing.generate();
    const firstKid = ring.activeKid;
    const old = await issuePlayToken(ring, INPUT, 300, { now: NOW });
    const newKid = await ring.rotate();
    expect(newKid).not.toBe(firstKid);
    expect(ring.kids().sort()).toEqual([firstKid, newKid].sort());
    const fresh = await issuePlayToken(ring, INPUT, 300, { now: NOW });
    expect(decodeProtectedHeader(fresh.token).kid).toBe(newKid);
    expect(await codeOf(verifyPlayToken(ring, old.token, { now: NOW }))).toBe('ok');
    expect(() => ring.drop(newKid)).toThrow(/active/);
    expect(ring.drop(firstKid)).toBe(true);
    expect(await codeOf(verifyPlayToken(ring, old.token, { now: NOW }))).toBe('token_invalid');
    expect(await codeOf(verifyPlayToken(ring, fresh.token, { now: NOW }))).toBe('ok');
  });

  it('exports to JSON-safe JWKs (private half only for the active key) and imports back', async () => {
    const ring = await KeyRing.generate();
    const old = await issuePlayToken(ring, INPUT, 300, { now: NOW });
    await ring.rotate();
    const stored = JSON.parse(JSON.stringify(ring.export()));
    expect(stored.keys).toHaveLength(2);
    expect(stored.keys.filter((k: { privateJwk?: unknown }) => k.privateJwk).length).toBe(1);
    for (const k of stored.keys) expect(k.publicJwk.d).toBeUndefined();

    const restored = await KeyRing.import(stored);
    expect(restored.activeKid).toBe(ring.activeKid);
    expect(await codeOf(verifyPlayToken(restored, old.token, { now: NOW }))).toBe('ok');
    const byRestored = await issuePlayToken(restored, INPUT, 300, { now: NOW });
    expect(await codeOf(verifyPlayToken(ring, byRestored.token, { now: NOW }))).toBe('ok');

    // Media workers get only the public JWKS.
    const publicOnly = await PublicKeySet.fromJwks(ring.publicJwks().keys);
    expect(publicOnly.publicJwks().keys.every((k) => k.d === undefined)).toBe(true);
    expect(await codeOf(verifyPlayToken(publicOnly, byRestored.token, { now: NOW }))).toBe('ok');
    expect(await codeOf(verifyPlayToken(publicOnly, old.token, { now: NOW }))).toBe('ok');
  });

  it('import refuses a ring whose active key has no private half', async () => {
    const ring = await KeyRing.generate();
    const stored = ring.export();
    const broken = { ...stored, keys: stored.keys.map((k) => ({ kid: k.kid, publicJwk: k.publicJwk })) };
    expect(await codeOf(KeyRing.import(broken))).toBe('validation_failed');
  });
});

describe('verified-token cache', () => {
  it('skips re-verification for the same string but still enforces expiry and dropped keys', async () => {
    const ring = await KeyRing.generate();
    const cache = new VerifiedTokenCache(2);
    const { token, claims } = await issuePlayToken(ring, INPUT, 60, { now: NOW });
    expect(await verifyPlayToken(ring, token, { now: NOW, cache })).toEqual(claims);
    expect(cache.size).toBe(1);
    expect(await verifyPlayToken(ring, token, { now: later(30), cache })).toBe(await verifyPlayToken(ring, token, { now: NOW, cache }));
    expect(await codeOf(verifyPlayToken(ring, token, { now: later(61), cache }))).toBe('token_expired');
    expect(cache.size).toBe(0);

    await verifyPlayToken(ring, token, { now: NOW, cache });
    const oldKid = ring.activeKid;
    await ring.rotate();
    ring.drop(oldKid);
    expect(await codeOf(verifyPlayToken(ring, token, { now: NOW, cache }))).toBe('token_invalid');
  });

  it('the issuing process can seed the cache, so first use skips verification', async () => {
    const ring = await KeyRing.generate();
    const cache = new VerifiedTokenCache();
    const { token, claims } = await issuePlayToken(ring, INPUT, 60, { now: NOW, cache });
    expect(cache.size).toBe(1);
    expect(cache.get(token, ring, NOW_S, 0)).toEqual(claims);
  });

  it('a tampered string is a different key: never served from the cache', async () => {
    const ring = await KeyRing.generate();
    const cache = new VerifiedTokenCache();
    const { token } = await issuePlayToken(ring, INPUT, 60, { now: NOW });
    await verifyPlayToken(ring, token, { now: NOW, cache });
    expect(await codeOf(verifyPlayToken(ring, `${token}x`, { now: NOW, cache }))).toBe('token_invalid');
  });

  it('stays within its size bound', async () => {
    const ring = await KeyRing.generate();
    const cache = new VerifiedTokenCache(3);
    for (let i = 0; i < 5; i++) {
      const { token } = await issuePlayToken(ring, { ...INPUT, jti: `j${i}` }, 60, { now: NOW });
      await verifyPlayToken(ring, token, { now: NOW, cache });
    }
    expect(cache.size).toBe(3);
  });
});
