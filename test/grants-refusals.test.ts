// Bad input gets a clear, coded answer, is audited, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { KeyRing, PLAY_TOKEN_AUDIENCE, PLAY_TOKEN_ISSUER, PLAY_TOKEN_TYP, issuePlayToken } from '../gateway/access/tokens.ts';
import { verifyAuditChain } from '../gateway/audit/verify.ts';

let t: TestGateway;
const HOUR = 3_600_000;
const now = Date.now();
const night = { from: new Date(now - 6 * HOUR).toISOString(), to: new Date(now - 4 * HOUR).toISOString() };
const inside = { from: new Date(now - 5.5 * HOUR), to: new Date(now - 5 * HOUR) };
const tokens: Record<string, string> = {};
let tq1 = '';
let tq2 = '';
let lize = '';
let jdy = '';
let investigatorId = '';

async function api(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload !== undefined && { payload: payload as object }) });
  return { status: r.statusCode, body: r.json() };
}
// A fresh case number each time, so deduplication does not join the requests of different tests.
let caseSeq = 0;
const request = (body: Record<string, unknown> = {}) =>
  api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [tq1, tq2], caseNo: `YG-BAD-${++caseSeq}`, reason: 'test', actions: ['playback'], footage: night, ...body });
const stateOf = async (id: string) => (await t.gw.repos.grants.byId(id))!;

beforeAll(async () => {
  t = await testGateway();
  tq1 = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872 });
  tq2 = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.96, lon: 115.866 });
  lize = await insertTestCamera(t.gw, { stationCode: '37167101', ownerClass: 'police', lat: 37.41, lon: 117.85 });
  jdy = await insertTestCamera(t.gw, { stationCode: '37152102', ownerClass: 'police', lat: 36.0, lon: 115.955 });
  for (const u of ['shouzhang.investigator', 'shouzhang.duty', 'chengguan.duty', 'chengguan.officer', 'qingshuihe.duty', 'lize-xijie.owner', 'chengguan.investigator']) {
    tokens[u] = await t.login(u);
  }
  investigatorId = (await t.gw.repos.users.byUsername('shouzhang.investigator'))!.id;
});
afterAll(async () => {
  await t?.close();
});

describe('requests outside the agreement are refused with a code, audited, and create nothing', () => {
  const cases: Array<[string, () => Record<string, unknown>, string, string]> = [
    ['no agreement (Yanggu → Lize)', () => ({ cameraIds: [lize] }), 'no_agreement', 'no_agreement'],
    ['footage window too long (80 h > 72 h)', () => ({ footage: { from: new Date(now - 90 * HOUR).toISOString(), to: new Date(now - 10 * HOUR).toISOString() } }), 'outside_agreement', 'window_too_long'],
    ['action not allowed (ptz)', () => ({ actions: ['ptz'] }), 'outside_agreement', 'action_not_allowed'],
    ['lifetime too long (9 h > 8 h)', () => ({ lifetimeMinutes: 540 }), 'outside_agreement', 'lifetime_too_long'],
    ['camera of a third station under a named agreement', () => ({ cameraIds: [tq1, jdy], agreementId: agreementIds['yanggu-taiqian'] }), 'outside_agreement', 'camera_outside_agreement'],
    ['playback without a footage window', () => ({ footage: undefined }), 'validation_failed', 'validation_failed'],
    ['a household owner cannot request', () => ({ as: 'lize-xijie.owner' }), 'forbidden', 'role_cannot'],
  ];
  const agreementIds: Record<string, string> = {};
  beforeAll(async () => {
    agreementIds['yanggu-taiqian'] = (await t.gw.repos.agreements.byCode('yanggu-taiqian'))!.id;
  });

  it.each(cases)('%s', async (_name, body, code, reason) => {
    const before = await t.gw.repos.grants.list({ limit: 1000 });
    const { as, ...rest } = body() as { as?: string };
    const r = as
      ? await api(as, 'POST', '/grants', { cameraIds: [tq1], caseNo: 'YG-BAD-1', reason: 'test', actions: ['playback'], footage: night })
      : await request(rest);
    expect(r.body.error.code).toBe(code);
    if (code !== 'validation_failed') expect(r.body.error.details?.reason ?? r.body.error.code).toBe(reason);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(await t.gw.repos.grants.list({ limit: 1000 })).toHaveLength(before.length);
    if (code !== 'validation_failed') {
      const denied = await t.gw.repos.audit.query({ action: 'grant.request', limit: 1000 });
      expect(denied.some((d) => d.outcome === 'deny' && d.reason === reason)).toBe(true);
    }
  });
});

describe('deciding: wrong station, twice, expired, concurrent', () => {
  it('approval by a user of the wrong station or role is refused and changes nothing', async () => {
    const g = (await request()).body.grants[0].grant;
    for (const u of ['qingshuihe.duty', 'shouzhang.duty', 'chengguan.officer', 'shouzhang.investigator']) {
      const r = await api(u, 'POST', `/grants/${g.id}/approve`, {});
      expect(r.status, u).toBe(403);
      expect(r.body.error.code, u).toBe('not_approver');
    }
    const after = await stateOf(g.id);
    expect(after.state).toBe('pending');
    expect(after.version).toBe(g.version);
    const denials = await t.gw.repos.audit.query({ grantId: g.id, action: 'grant.approve' });
    expect(denials.filter((d) => d.outcome === 'deny')).toHaveLength(4);
  });

  it('approving twice, denying after approval, a stale version: 409 and nothing changed', async () => {
    const g = (await request()).body.grants[0].grant;
    expect((await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, { version: g.version + 5 })).body.error.code).toBe('stale_version');
    expect((await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, {})).status).toBe(200);
    const approved = await stateOf(g.id);
    const twice = await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, {});
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('grant_not_pending');
    expect((await api('chengguan.duty', 'POST', `/grants/${g.id}/deny`, { reason: 'changed my mind' })).body.error.code).toBe('grant_not_pending');
    expect((await stateOf(g.id)).version).toBe(approved.version);
  });

  it('narrowing must be a subset', async () => {
    const g = (await request()).body.grants[0].grant;
    const wider = await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, { footage: { from: new Date(now - 7 * HOUR).toISOString(), to: night.to } });
    expect(wider.body.error).toMatchObject({ code: 'narrow_not_subset', details: { reason: 'footage_not_subset' } });
    const otherCam = await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, { cameraIds: [lize] });
    expect(otherCam.body.error.code).toBe('narrow_not_subset');
    const moreActions = await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, { actions: ['playback', 'export'] });
    expect(moreActions.body.error.code).toBe('narrow_not_subset');
    expect((await stateOf(g.id)).state).toBe('pending');
  });

  it('approving a lapsed request is refused; the sweeper then marks it expired', async () => {
    const g = (await request()).body.grants[0].grant;
    await t.tdb.superDb.query(`UPDATE grants SET expires_at = now() - interval '1 minute' WHERE id = $1`, [g.id]);
    const r = await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, {});
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'grant_expired', details: { reason: 'request_expired' } });
    expect((await stateOf(g.id)).state).toBe('pending');
    expect(await t.gw.grants.expireDue()).toBeGreaterThanOrEqual(1);
    expect((await stateOf(g.id)).state).toBe('expired');
  });

  it('concurrent approve and deny of one request: exactly one wins', async () => {
    for (let i = 0; i < 5; i++) {
      const g = (await request({ caseNo: `YG-RACE-${i}` })).body.grants[0].grant;
      const [a, d] = await Promise.all([
        api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, {}),
        api('chengguan.duty', 'POST', `/grants/${g.id}/deny`, { reason: 'not enough grounds' }),
      ]);
      const statuses = [a.status, d.status].sort();
      expect(statuses).toEqual([200, 409]);
      const final = await stateOf(g.id);
      expect(final.state).toBe(a.status === 200 ? 'approved' : 'denied');
      expect(final.version).toBe(g.version + 1);
      const ok = (await t.gw.repos.audit.query({ grantId: g.id })).filter((x) => x.outcome === 'ok' && x.action !== 'grant.request');
      expect(ok).toHaveLength(1);
    }
  });

  it('revoke: only the owning station or the requester (who withdraws)', async () => {
    const g = (await request()).body.grants[0].grant;
    await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, {});
    expect((await api('qingshuihe.duty', 'POST', `/grants/${g.id}/revoke`, { reason: 'x' })).body.error.code).toBe('not_approver');
    expect((await api('chengguan.investigator', 'POST', `/grants/${g.id}/revoke`, { reason: 'x' })).body.error.code).toBe('not_approver');
    const w = await api('shouzhang.investigator', 'POST', `/grants/${g.id}/revoke`, { reason: 'case closed' });
    expect(w.body.grant.state).toBe('withdrawn');
    expect(t.gw.access.revocations.isGrantRevoked(g.id)).toBe(true);
    expect((await api('chengguan.duty', 'POST', `/grants/${g.id}/revoke`, { reason: 'x' })).body.error.code).toBe('grant_not_pending');
  });
});

describe('play tokens: forged, tampered, expired, other user, unknown key, skew, after the window', () => {
  let grantId = '';
  let good = '';
  const footage = { from: inside.from, to: inside.to };
  beforeAll(async () => {
    const g = (await request({ caseNo: 'YG-TOK-1', actions: ['playback', 'live'], lifetimeMinutes: 60 })).body.grants[0].grant;
    grantId = g.id;
    await api('chengguan.duty', 'POST', `/grants/${g.id}/approve`, {});
    good = (await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: tq1, action: 'playback', grantId, footage: { from: footage.from.toISOString(), to: footage.to.toISOString() } })).body.token;
  });
  const authorize = (token: string | undefined, extra: Record<string, unknown> = {}) =>
    t.gw.access.authorizePlay({ token, cameraId: tq1, action: 'playback', footage, ...extra });

  it('the genuine token is accepted', async () => {
    expect((await authorize(good)).grantId).toBe(grantId);
  });

  it.each([
    ['missing', (): string | undefined => undefined, 'token_missing'],
    ['garbage', (): string | undefined => 'not.a.jwt', 'token_invalid'],
    ['tampered payload', (): string | undefined => {
      const [h, p, s] = good.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      claims.cams.push(tq2);
      return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    }, 'token_invalid'],
  ] as const)('%s → %s', async (_n, make, code) => {
    await expect(authorize(make())).rejects.toMatchObject({ code });
  });

  it('forged with another key under the real key id, or an unknown key id → token_invalid', async () => {
    const other = await KeyRing.generate();
    const claims = JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString());
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: PLAY_TOKEN_TYP, kid: t.gw.access.keyRing.activeKid }).sign(other.signingKey().key);
    await expect(authorize(forged)).rejects.toMatchObject({ code: 'token_invalid' });
    const unknownKid = (await issuePlayToken(other, { sub: investigatorId, gid: grantId, cams: [tq1], act: ['playback'] }, 60)).token;
    await expect(authorize(unknownKid)).rejects.toMatchObject({ code: 'token_invalid', message: expect.stringContaining('unknown key') });
    expect(PLAY_TOKEN_ISSUER).toBe('shouwang');
    expect(PLAY_TOKEN_AUDIENCE).toBe('shouwang-media');
  });

  it('expired → token_expired; within the configured leeway (5 s) of expiry → accepted', async () => {
    const ring = t.gw.access.keyRing;
    const input = { sub: investigatorId, gid: grantId, cams: [tq1], act: ['playback' as const], sid: 's' };
    const longAgo = (await issuePlayToken(ring, input, 60, { now: new Date(Date.now() - 120_000) })).token;
    await expect(authorize(longAgo)).rejects.toMatchObject({ code: 'token_expired' });
    const justNow = (await issuePlayToken(ring, input, 60, { now: new Date(Date.now() - 63_000) })).token;
    expect((await authorize(justNow)).grantId).toBe(grantId);
    const beyond = (await issuePlayToken(ring, input, 60, { now: new Date(Date.now() - 70_000) })).token;
    await expect(authorize(beyond)).rejects.toMatchObject({ code: 'token_expired' });
    // A token from a process whose clock runs 3 s ahead (issued "in the future") is fine too.
    const ahead = (await issuePlayToken(ring, input, 60, { now: new Date(Date.now() + 3_000) })).token;
    expect((await authorize(ahead)).userId).toBe(investigatorId);
  });

  it('a token naming another user is refused by the grant (grant_not_for_user)', async () => {
    const other = (await t.gw.repos.users.byUsername('shouzhang.duty'))!.id;
    const token = (await t.gw.access.issue({ sub: other, gid: grantId, cams: [tq1], act: ['playback'] }, 60)).token;
    await expect(authorize(token)).rejects.toMatchObject({ code: 'access_denied', details: { reason: 'grant_not_for_user' } });
  });

  it('a grant used for footage after its window, or after the grant ended, is refused', async () => {
    const token = (await t.gw.access.issue({ sub: investigatorId, gid: grantId, cams: [tq1], act: ['playback'] }, 60)).token;
    const later = { from: new Date(now - 3 * HOUR), to: new Date(now - 2 * HOUR) };
    await expect(authorize(token, { footage: later })).rejects.toMatchObject({ details: { reason: 'footage_outside_grant' } });
    await expect(authorize(good, { footage: later })).rejects.toMatchObject({ details: { reason: 'footage_outside_token' } });
    const afterEnd = new Date(Date.now() + 2 * HOUR);
    const fresh = (await t.gw.access.issue({ sub: investigatorId, gid: grantId, cams: [tq1], act: ['playback'] }, 60, afterEnd)).token;
    await expect(authorize(fresh, { now: afterEnd })).rejects.toMatchObject({ code: 'grant_expired' });
  });

  it('the play-token route refuses a footage window outside the grant, audited with the case number', async () => {
    const r = await api('shouzhang.investigator', 'POST', '/play-tokens', { cameraId: tq1, action: 'playback', grantId, footage: { from: new Date(now - 9 * HOUR).toISOString(), to: night.to } });
    expect(r.status).toBe(403);
    expect(r.body.error.details.reason).toBe('footage_outside_grant');
    const rows = await t.gw.repos.audit.query({ action: 'play.token', caseNo: 'YG-TOK-1' });
    expect(rows.some((x) => x.outcome === 'deny' && x.reason === 'footage_outside_grant')).toBe(true);
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
  });
});
