import { describe, it, expect } from 'vitest';
import { SessionRegistry, keysOfNotice, closeOnRevocation } from './sessions.ts';
import { revocationKeysFor } from './authorize.ts';
import type { RevocationNotice } from '../access/runtime.ts';

const G = 'aaaaaaaa-0000-4000-8000-000000000001';
const U = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';

function open(reg: SessionRegistry, kind: 'live' | 'playback' | 'export', keys: string[], until = new Date(Date.now() + 60_000)) {
  const closed: string[] = [];
  const h = reg.open({ kind, userId: U, cameraId: C, grantId: G, revocationKeys: keys, until, close: (r) => closed.push(r) });
  return { h, closed };
}

describe('session registry', () => {
  it('closes every consumer registered under a revoked key, once, and only those', () => {
    const reg = new SessionRegistry();
    const keys = revocationKeysFor({ userId: U, grantId: G, sessionKey: 'sid-1', cameraId: C });
    const live = open(reg, 'live', keys);
    const play = open(reg, 'playback', keys);
    const other = open(reg, 'export', revocationKeysFor({ userId: U, grantId: null, sessionKey: 'sid-2', cameraId: C }));
    expect(reg.closeByKey(`grant:${G}`, 'grant_revoked')).toBe(2);
    expect(live.closed).toEqual(['grant_revoked']);
    expect(play.closed).toEqual(['grant_revoked']);
    expect(other.closed).toEqual([]);
    expect(reg.closeByKey(`grant:${G}`, 'again')).toBe(0);
    expect(reg.closeByKey(`login:sid-2`, 'session_logged_out')).toBe(1);
    expect(other.closed).toEqual(['session_logged_out']);
    expect(reg.size).toBe(0);
  });

  it('maps access notices to keys (ids canonicalised) and "all" closes everything with its reason', () => {
    const reg = new SessionRegistry();
    const a = open(reg, 'live', revocationKeysFor({ userId: U, grantId: G, sessionKey: 's', cameraId: C }));
    const b = open(reg, 'playback', revocationKeysFor({ userId: U, grantId: null, sessionKey: 't', cameraId: C }));
    let listener: ((n: RevocationNotice) => void) | null = null;
    const off = closeOnRevocation((l) => {
      listener = l;
      return () => (listener = null);
    }, reg);
    listener!({ reason: 'camera_changed', cameraId: C.toUpperCase(), at: new Date() });
    expect(a.closed).toEqual(['camera_changed']);
    expect(b.closed).toEqual(['camera_changed']);
    const c = open(reg, 'export', ['user:x']);
    expect(keysOfNotice({ reason: 'revocations_unavailable', all: true })).toEqual(['all']);
    expect(reg.closeByKey('all', 'revocations_unavailable')).toBe(1);
    expect(c.closed).toEqual(['revocations_unavailable']);
    off();
    expect(listener).toBeNull();
  });

  it('ends a session at its until with reason expired; handle.close and release', async () => {
    const reg = new SessionRegistry();
    const s = open(reg, 'live', ['user:x'], new Date(Date.now() + 100));
    const t = open(reg, 'live', ['user:x']);
    const r = open(reg, 'live', ['user:x']);
    r.h.release();
    expect(r.closed).toEqual([]);
    await new Promise((res) => setTimeout(res, 250));
    expect(s.closed).toEqual(['expired']);
    t.h.close('client_closed');
    t.h.close('twice');
    expect(t.closed).toEqual(['client_closed']);
    expect(t.h.closed).toBe(true);
    expect(reg.closeAll('shutdown')).toBe(0);
  });
});
