import { describe, expect, it } from 'vitest';
import { SessionRegistry, revocationKeys } from './sessions.ts';

const base = { kind: 'playback' as const, userId: 'u1', cameraId: 'c1', grantId: 'g1' };

describe('SessionRegistry', () => {
  it('closes every session holding a revocation key, once, and forgets released ones', () => {
    const reg = new SessionRegistry();
    const closed: string[] = [];
    const keys = revocationKeys({ userId: 'u1', grantId: 'g1', sessionKey: 's1', cameraId: 'c1' });
    reg.open({ ...base, revocationKeys: keys, until: new Date(Date.now() + 60_000), close: (r) => closed.push(`a:${r}`) });
    const b = reg.open({ ...base, revocationKeys: keys, until: new Date(Date.now() + 60_000), close: (r) => closed.push(`b:${r}`) });
    reg.open({ ...base, grantId: null, revocationKeys: ['user:u2'], until: new Date(Date.now() + 60_000), close: (r) => closed.push(`c:${r}`) });
    b.release();
    expect(reg.closeByKey('grant:g1', 'grant_revoked')).toBe(1);
    expect(reg.closeByKey('grant:g1', 'grant_revoked')).toBe(0);
    expect(closed).toEqual(['a:grant_revoked']);
    expect(reg.size).toBe(1);
  });

  it('closes a session at its until', async () => {
    const reg = new SessionRegistry();
    let reason = '';
    reg.open({ ...base, revocationKeys: [], until: new Date(Date.now() + 30), close: (r) => (reason = r) });
    await new Promise((r) => setTimeout(r, 80));
    expect(reason).toBe('token_expired');
    expect(reg.size).toBe(0);
  });
});
