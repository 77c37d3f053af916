import { beforeAll, describe, expect, it } from 'vitest';
import type { CameraResource, GrantView, Subject } from '../domain/types.ts';
import { checkPlay, type CheckDeps, type PlayRequest } from './check.ts';
import { RevocationRegistry } from './revocations.ts';
import { KeyRing, VerifiedTokenCache, issuePlayToken, type PlayTokenInput } from './tokens.ts';

// Scenario 1 & 4: a Yanggu investigator plays back Taiqian cameras under a grant, which is then revoked.
const NOW = new Date('2025-03-01T06:00:00Z');
const s = (d: Date): number => Math.floor(d.getTime() / 1000);
const h = (hours: number): Date => new Date(NOW.getTime() + hours * 3_600_000);

const investigator: Subject = { userId: 'inv-yg', role: 'investigator', jurisdictionId: 'st-shouzhang', stationId: 'st-shouzhang', villageId: null };
const camera = (id: string, stationId: string): CameraResource => ({
  kind: 'camera',
  id,
  ownerClass: 'police',
  stationId,
  villageId: null,
  ownerUserId: null,
  sharingMode: null,
  delegatedToCommittee: false,
  enabled: true,
});
const cameras = new Map([
  ['tq-1', camera('tq-1', 'st-chengguan')],
  ['tq-2', camera('tq-2', 'st-chengguan')],
  ['yg-1', camera('yg-1', 'st-shouzhang')],
]);
const footage = { from: h(-4), to: h(-2) }; // 02:00-04:00
const grant: GrantView = {
  id: 'grant-tq',
  state: 'approved',
  granteeUserId: 'inv-yg',
  cameraIds: new Set(['tq-1', 'tq-2']),
  actions: new Set(['playback', 'export']),
  footage,
  live: null,
  expiresAt: h(8),
  emergency: false,
  caseNo: 'YG-2025-0301-01',
};
const grants = new Map([[grant.id, grant]]);

let ring: KeyRing;
let deps: CheckDeps;
const grantToken: PlayTokenInput = {
  sub: 'inv-yg',
  gid: 'grant-tq',
  cams: ['tq-1', 'tq-2'],
  act: ['playback'],
  ff: s(footage.from),
  ft: s(footage.to),
  sid: 'sess-1',
};

beforeAll(async () => {
  ring = await KeyRing.generate();
});

function freshDeps(over: Partial<CheckDeps> = {}): CheckDeps {
  return {
    keyRing: ring,
    revocations: new RevocationRegistry(),
    cameraLookup: (id) => cameras.get(id),
    subjectLookup: (id) => (id === investigator.userId ? investigator : undefined),
    grantLookup: (id) => grants.get(id),
    config: { villageCommitteeMayView: false, leewayMs: 5_000 },
    tokenCache: new VerifiedTokenCache(),
    ...over,
  };
}

async function play(input: PlayTokenInput, req: Partial<PlayRequest>, d = deps, ttl = 300) {
  const { token } = await issuePlayToken(ring, input, ttl, { now: NOW });
  return checkPlay({ token, cameraId: 'tq-1', action: 'playback', footage: { from: h(-3.5), to: h(-3) }, now: NOW, ...req }, d);
}

describe('checkPlay', () => {
  beforeAll(() => {
    deps = freshDeps();
  });

  it('allows playback under the grant and returns the grant constraints and claims', async () => {
    const r = await play(grantToken, {});
    expect(r).toMatchObject({ allow: true, reason: 'grant', constraints: { grantId: 'grant-tq', footage, until: h(8) } });
    expect(r.claims?.sub).toBe('inv-yg');
  });

  it('own-jurisdiction token (gid null) works without a grant, and not beyond the station', async () => {
    const own: PlayTokenInput = { sub: 'inv-yg', gid: null, cams: ['yg-1', 'tq-1'], act: ['live'] };
    expect(await play(own, { cameraId: 'yg-1', action: 'live' })).toMatchObject({ allow: true, reason: 'own_station' });
    expect(await play(own, { cameraId: 'tq-1', action: 'live' })).toMatchObject({ allow: false, reason: 'other_station' });
  });

  it('the token scope limits cameras, actions and windows', async () => {
    expect((await play(grantToken, { cameraId: 'yg-1' })).reason).toBe('token_not_for_camera');
    expect((await play(grantToken, { action: 'export' })).reason).toBe('token_action_not_allowed');
    expect((await play(grantToken, { footage: { from: h(-5), to: h(-3) } })).reason).toBe('footage_outside_token');
    expect((await play(grantToken, { footage: null })).reason).toBe('footage_required');
    const liveTok: PlayTokenInput = { sub: 'inv-yg', gid: null, cams: ['yg-1'], act: ['live'], lf: s(h(-2)), lt: s(h(-1)) };
    expect((await play(liveTok, { cameraId: 'yg-1', action: 'live' })).reason).toBe('live_window_closed');
  });

  it('scenario 4: revoking the grant stops the next request at once, though the token is still valid', async () => {
    const d = freshDeps();
    const { token } = await issuePlayToken(ring, grantToken, 300, { now: NOW });
    const req: PlayRequest = { token, cameraId: 'tq-1', action: 'playback', footage: { from: h(-3.5), to: h(-3) }, now: NOW };
    expect((await checkPlay(req, d)).allow).toBe(true);
    (d.revocations as RevocationRegistry).revokeGrant('grant-tq', NOW);
    expect(await checkPlay(req, d)).toMatchObject({ allow: false, reason: 'grant_revoked' });
  });

  it('a grant the database shows as revoked or expired is refused even if the registry missed it', async () => {
    const d = freshDeps({ grantLookup: () => ({ ...grant, state: 'revoked' }) });
    expect((await play(grantToken, {}, d)).reason).toBe('grant_revoked');
    const e = freshDeps({ grantLookup: () => ({ ...grant, expiresAt: h(-1) }) });
    expect((await play(grantToken, {}, e)).reason).toBe('grant_expired');
  });

  it('disabled users, logged-out sessions and revoked jtis are refused', async () => {
    const d = freshDeps();
    const reg = d.revocations as RevocationRegistry;
    reg.disableUser('inv-yg', NOW);
    expect((await play(grantToken, {}, d)).reason).toBe('user_disabled');
    const d2 = freshDeps();
    (d2.revocations as RevocationRegistry).logoutSession('sess-1', NOW);
    expect((await play(grantToken, {}, d2)).reason).toBe('session_logged_out');
    const d3 = freshDeps();
    (d3.revocations as RevocationRegistry).revokeToken('jti-x', NOW);
    expect((await play({ ...grantToken, jti: 'jti-x' }, {}, d3)).reason).toBe('token_revoked');
  });

  it('unknown users, cameras and grants are refused', async () => {
    expect((await play({ ...grantToken, sub: 'ghost' }, {})).reason).toBe('unknown_user');
    expect((await play({ ...grantToken, cams: ['tq-1', 'nope'] }, { cameraId: 'nope' })).reason).toBe('unknown_camera');
    expect((await play({ ...grantToken, gid: 'grant-missing' }, {})).reason).toBe('grant_not_found');
  });

  it('bad and expired tokens become deny decisions with token codes', async () => {
    const bad = await checkPlay({ token: 'garbage', cameraId: 'tq-1', action: 'playback', now: NOW }, deps);
    expect(bad).toMatchObject({ allow: false, reason: 'token_invalid', claims: null });
    const expired = await play(grantToken, { now: new Date(NOW.getTime() + 3_600_000) }, deps, 60);
    expect(expired.reason).toBe('token_expired');
  });

  it('the cache serves repeat checks of the same token with the same outcome', async () => {
    const d = freshDeps();
    const { token } = await issuePlayToken(ring, grantToken, 300, { now: NOW });
    const req: PlayRequest = { token, cameraId: 'tq-2', action: 'playback', footage: { from: h(-3.5), to: h(-3) }, now: NOW };
    const first = await checkPlay(req, d);
    const second = await checkPlay(req, d);
    expect(d.tokenCache?.size).toBe(1);
    expect(second).toEqual(first);
  });
});
