import { describe, expect, it } from 'vitest';
import { RevocationRegistry, type RevocableClaims } from './revocations.ts';

const T0 = new Date('2025-03-01T02:00:00Z');
const t = (s: number): Date => new Date(T0.getTime() + s * 1000);
const iatAt = (s: number): number => Math.floor(t(s).getTime() / 1000);

const claims = (over: Partial<RevocableClaims> = {}): RevocableClaims => ({
  sub: 'u1',
  gid: 'g1',
  jti: 'j1',
  iat: iatAt(0),
  sid: 's1',
  ...over,
});

describe('RevocationRegistry', () => {
  it('nothing revoked: null', () => {
    expect(new RevocationRegistry().isRevoked(claims())).toBeNull();
  });

  it('a revoked grant kills every token of that grant, whenever issued', () => {
    const r = new RevocationRegistry();
    r.revokeGrant('g1', t(10));
    expect(r.isRevoked(claims({ iat: iatAt(0) }))).toEqual({ reason: 'grant_revoked', at: t(10).getTime() });
    expect(r.isRevoked(claims({ iat: iatAt(20) }))?.reason).toBe('grant_revoked');
    expect(r.isRevoked(claims({ gid: 'g2' }))).toBeNull();
    expect(r.isRevoked(claims({ gid: null }))).toBeNull();
    expect(r.isGrantRevoked('g1')).toBe(true);
  });

  it('a revoked jti kills that token only', () => {
    const r = new RevocationRegistry();
    r.revokeToken('j1', t(10));
    expect(r.isRevoked(claims())?.reason).toBe('token_revoked');
    expect(r.isRevoked(claims({ jti: 'j2' }))).toBeNull();
  });

  it('a disabled user loses tokens issued up to the disable; re-enabled users get new ones', () => {
    const r = new RevocationRegistry();
    r.disableUser('u1', t(10));
    expect(r.isRevoked(claims({ iat: iatAt(5) }))?.reason).toBe('user_disabled');
    expect(r.isRevoked(claims({ iat: iatAt(10) }))?.reason).toBe('user_disabled'); // same second counts as before
    expect(r.isRevoked(claims({ iat: iatAt(11) }))).toBeNull();
    r.enableUser('u1');
    // Re-enabling must not revive tokens issued before the disable.
    expect(r.isRevoked(claims({ iat: iatAt(5) }))?.reason).toBe('user_disabled');
    expect(r.isRevoked(claims({ iat: iatAt(11) }))).toBeNull();
  });

  it('a password reset kills every token the user held until then, whatever the session', () => {
    const r = new RevocationRegistry();
    r.resetCredentials('u1', t(10));
    expect(r.isRevoked(claims({ iat: iatAt(5), sid: 'other' }))?.reason).toBe('credentials_reset');
    expect(r.isRevoked(claims({ iat: iatAt(11) }))).toBeNull();
    expect(r.isRevoked(claims({ sub: 'u2' }))).toBeNull();
  });

  it('loads stored revocations (as read from the database at start)', () => {
    const r = new RevocationRegistry();
    r.load([
      { kind: 'session', key: 's1', reason: 'session_logged_out', at: t(10) },
      { kind: 'user', key: 'u2', reason: 'user_disabled', at: t(10) },
      { kind: 'user', key: 'u3', reason: 'credentials_reset', at: t(10) },
      { kind: 'token', key: 'j9', reason: 'token_revoked', at: t(10) },
    ]);
    expect(r.isRevoked(claims())?.reason).toBe('session_logged_out');
    expect(r.isRevoked(claims({ sub: 'u2', sid: 'x' }))?.reason).toBe('user_disabled');
    expect(r.isRevoked(claims({ sub: 'u3', sid: 'x' }))?.reason).toBe('credentials_reset');
    expect(r.isRevoked(claims({ sub: 'u4', sid: 'x', jti: 'j9' }))?.reason).toBe('token_revoked');
  });

  it('logging out a session kills that session’s tokens only', () => {
    const r = new RevocationRegistry();
    r.logoutSession('s1', t(10));
    expect(r.isRevoked(claims())?.reason).toBe('session_logged_out');
    expect(r.isRevoked(claims({ sid: 's2' }))).toBeNull();
    expect(r.isRevoked(claims({ sid: undefined }))).toBeNull();
    expect(r.isRevoked(claims({ iat: iatAt(11) }))).toBeNull();
  });

  it('repeated revocations keep the later time', () => {
    const r = new RevocationRegistry();
    r.disableUser('u1', t(20));
    r.disableUser('u1', t(10));
    expect(r.isRevoked(claims({ iat: iatAt(15) }))?.at).toBe(t(20).getTime());
  });

  it('forgets entries after the retention and stays bounded under a stream of writes', () => {
    const r = new RevocationRegistry({ retentionMs: 60_000 });
    r.revokeGrant('old', t(0));
    expect(r.prune(t(59))).toBe(0);
    expect(r.prune(t(61))).toBe(1);
    expect(r.isGrantRevoked('old')).toBe(false);

    for (let i = 0; i < 10_000; i++) r.revokeToken(`j${i}`, t(100 + i)); // one per second
    const { tokens } = r.size();
    expect(tokens).toBeLessThanOrEqual(61);
    expect(r.isRevoked(claims({ jti: 'j9999', gid: null }))?.reason).toBe('token_revoked');
  });

  it('default retention covers the longest play token plus a minute', () => {
    expect(new RevocationRegistry().retentionMs).toBe((3600 + 60) * 1000);
  });
});
