// Issue 8 §3: revocation survives restarts, password resets cut everything, re-enabling does not revive
// old tokens, play tokens name their case, the lockout counts before the hash, committees only activate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { connectEvents } from './helpers/ws.ts';
import { composeGateway, type Gateway } from '../gateway/compose.ts';
import { isAppError } from '../gateway/errors.ts';
import type { RevocationNotice } from '../gateway/access/runtime.ts';
import { DEMO_PASSWORD } from '../gateway/demo/load-demo.ts';

let t: TestGateway;
let ownCam = '';
let bridge = '';
const HOUR = 3_600_000;

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
async function api(token: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: auth(token), ...(payload !== undefined && { payload: payload as object }) });
  return { status: r.statusCode, body: r.headers['content-type']?.toString().includes('json') ? r.json() : r.body };
}
async function playToken(session: string, cameraId: string, extra: Record<string, unknown> = {}) {
  return api(session, 'POST', '/play-tokens', { cameraId, action: 'live', ...extra });
}
/** The edge's decision for a play token, as a reason code ('ok' when allowed). */
async function plays(gw: Gateway, token: string, cameraId: string, action: 'live' | 'playback' = 'live', footage?: { from: Date; to: Date }): Promise<string> {
  try {
    await gw.access.authorizePlay({ token, cameraId, action, ...(footage && { footage }) });
    return 'ok';
  } catch (e) {
    if (isAppError(e)) return String(e.details?.reason ?? e.code);
    throw e;
  }
}
/** A second gateway process on the same database, as after a restart. */
async function restarted<T>(fn: (gw: Gateway) => Promise<T>): Promise<T> {
  const gw = await composeGateway({ config: { ...t.config, cameras: { ...t.config.cameras, healthEnabled: false } }, db: t.tdb.db, log: pino({ level: 'silent' }) });
  try {
    return await fn(gw);
  } finally {
    await gw.close();
  }
}
const userId = async (username: string) => (await t.gw.repos.users.byUsername(username))!.id;

beforeAll(async () => {
  t = await testGateway();
  ownCam = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.952, lon: 115.884, name: 'Shouzhang G220 bridge' });
  bridge = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: 'Chengguan bridge west end' });
});
afterAll(async () => {
  await t?.close();
});

describe('revocation is durable', () => {
  it('a logged-out session’s play token stays dead after a restart', async () => {
    const s = await t.login('shouzhang.officer');
    const tok = await playToken(s, ownCam);
    expect(tok.status, JSON.stringify(tok.body)).toBe(201);
    expect(await plays(t.gw, tok.body.token, ownCam)).toBe('ok');
    expect((await api(s, 'POST', '/auth/logout')).status).toBe(204);
    expect(await plays(t.gw, tok.body.token, ownCam)).toBe('session_logged_out');
    expect(await restarted((gw) => plays(gw, tok.body.token, ownCam))).toBe('session_logged_out');
  });

  it('re-enabling a user does not bring back tokens issued before the disable, in this process or after a restart', async () => {
    const admin = await t.login('admin');
    const s = await t.login('jindouying.officer');
    const cam = await insertTestCamera(t.gw, { stationCode: '37152102', ownerClass: 'police', lat: 36.0, lon: 115.95 });
    const tok = await playToken(s, cam);
    expect(tok.status, JSON.stringify(tok.body)).toBe(201);
    const id = await userId('jindouying.officer');
    expect((await api(admin, 'POST', `/users/${id}/disable`)).status).toBe(200);
    expect(await plays(t.gw, tok.body.token, cam)).toBe('user_disabled');
    expect((await api(admin, 'POST', `/users/${id}/enable`)).status).toBe(200);
    expect(await plays(t.gw, tok.body.token, cam)).toBe('user_disabled');
    expect(await restarted((gw) => plays(gw, tok.body.token, cam))).toBe('user_disabled');
    // The re-enabled user's new tokens work (issued a second later: iat has second resolution).
    await new Promise((r) => setTimeout(r, 1100));
    const fresh = await playToken(await t.login('jindouying.officer'), cam);
    expect(await plays(t.gw, fresh.body.token, cam)).toBe('ok');
  });
});

describe('housekeeping', () => {
  it('prunes login attempts after a day and revocations after a week, never those a live token could need', async () => {
    const count = async (table: string) => (await t.tdb.superDb.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    const before = await count('revocations');
    expect(before).toBeGreaterThan(0);
    await t.gw.accounts.prune();
    expect(await count('revocations')).toBe(before);
    await t.gw.accounts.prune(new Date(Date.now() + 8 * 86_400_000));
    expect(await count('revocations')).toBe(0);
    expect(await count('login_attempts')).toBe(0);
  });
});

describe('a password reset ends everything the old password opened', () => {
  it('the admin resets an officer’s password: play tokens die (here and after a restart), media is told, the events socket closes, the old session is refused', async () => {
    const admin = await t.login('admin');
    const s = await t.login('acheng.officer');
    const cam = await insertTestCamera(t.gw, { stationCode: '37152103', ownerClass: 'police', lat: 36.18, lon: 116.03 });
    const tok = await playToken(s, cam);
    expect(tok.status, JSON.stringify(tok.body)).toBe(201);
    const ws = await connectEvents(t.app, s);
    const closed = new Promise<number>((resolve) => ws.ws.on('close', (code) => resolve(code)));
    const notices: RevocationNotice[] = [];
    const off = t.gw.access.onRevocation((n) => notices.push(n));
    const id = await userId('acheng.officer');
    const r = await api(admin, 'PUT', `/users/${id}/password`, { password: 'a-new-password-2026' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    off();
    expect(await plays(t.gw, tok.body.token, cam)).toBe('credentials_reset');
    expect(notices.some((n) => n.reason === 'credentials_reset' && n.userId === id)).toBe(true);
    expect(await closed).toBe(4001);
    expect((await api(s, 'GET', '/me')).status).toBe(401);
    expect(await restarted((gw) => plays(gw, tok.body.token, cam))).toBe('credentials_reset');
    ws.close();
  });
});

describe('play tokens from the future are refused', () => {
  it('a validly signed token with iat beyond the leeway is invalid, so it cannot outlive a logout', async () => {
    const id = await userId('shouzhang.officer');
    const later = new Date(Date.now() + 10 * 60_000);
    const { token } = await t.gw.access.issue({ sub: id, gid: null, cams: [ownCam], act: ['live'], sid: 'x' }, 300, later);
    t.gw.access.tokenCache.clear();
    expect(await plays(t.gw, token, ownCam)).toBe('token_iat_future');
    // Within the leeway (5 s) it is still accepted: clocks differ a little.
    const soon = await t.gw.access.issue({ sub: id, gid: null, cams: [ownCam], act: ['live'], sid: 'y' }, 300, new Date(Date.now() + 2000));
    expect(await plays(t.gw, soon.token, ownCam)).toBe('ok');
  });
});

describe('a play token is issued under the grant the caller names', () => {
  const now = Date.now();
  const footage = { from: new Date(now - 6 * HOUR).toISOString(), to: new Date(now - 4 * HOUR).toISOString() };
  const grants: Record<string, string> = {};

  beforeAll(async () => {
    const inv = await t.login('shouzhang.investigator');
    const duty = await t.login('chengguan.duty');
    for (const caseNo of ['兖公刑立字〔2026〕118号', 'YG-2026-0002']) {
      const r = await api(inv, 'POST', '/grants', { cameraIds: [bridge], caseNo, reason: 'battery thefts', actions: ['playback'], footage });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const id = r.body.grants[0].grant.id as string;
      const a = await api(duty, 'POST', `/grants/${id}/approve`, {});
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      grants[caseNo] = id;
    }
  });

  it('without grantId, two cases match: 409 grant_ambiguous with the list, audited', async () => {
    const inv = await t.login('shouzhang.investigator');
    const r = await api(inv, 'POST', '/play-tokens', { cameraId: bridge, action: 'playback', footage });
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body.error.code).toBe('grant_ambiguous');
    const listed = (r.body.error.details.grants as Array<{ grantId: string; caseNo: string }>).map((g) => g.grantId).sort();
    expect(listed).toEqual(Object.values(grants).sort());
    const rows = await t.gw.repos.audit.query({ action: 'play.token', cameraId: bridge });
    expect(rows.some((x) => x.outcome === 'deny' && x.reason === 'grant_ambiguous' && x.caseNo === null)).toBe(true);
  });

  it('naming the grant or the case picks it, and the audit row carries that case', async () => {
    const inv = await t.login('shouzhang.investigator');
    const byId = await api(inv, 'POST', '/play-tokens', { cameraId: bridge, action: 'playback', footage, grantId: grants['YG-2026-0002'] });
    expect(byId.status, JSON.stringify(byId.body)).toBe(201);
    expect(byId.body.grantId).toBe(grants['YG-2026-0002']);
    // The case number as typed with full-width spaces and in decomposed form still names the same case.
    const byCase = await api(inv, 'POST', '/play-tokens', { cameraId: bridge, action: 'playback', footage, caseNo: ' 兖公刑立字〔2026〕118号\u3000' });
    expect(byCase.status, JSON.stringify(byCase.body)).toBe(201);
    expect(byCase.body.grantId).toBe(grants['兖公刑立字〔2026〕118号']);
    const rows = await t.gw.repos.audit.query({ action: 'play.token', grantId: grants['兖公刑立字〔2026〕118号'] });
    expect(rows.at(-1)!.caseNo).toBe('兖公刑立字〔2026〕118号');
  });
});

describe('login lockout and committees', () => {
  it('20 concurrent wrong passwords: at most 5 are evaluated, and the right password is then locked out too', async () => {
    const tries = await Promise.all(
      Array.from({ length: 20 }, () => t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'lize.officer', password: 'wrong-guess' } })),
    );
    const codes = tries.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 423).length).toBeGreaterThanOrEqual(15);
    const right = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'lize.officer', password: DEMO_PASSWORD } });
    expect(right.statusCode).toBe(423);
    const rows = (await t.gw.repos.audit.query({ action: 'auth.login' })).filter((r) => r.actorName === 'lize.officer');
    expect(rows.filter((r) => r.outcome === 'fail').length).toBeLessThanOrEqual(5);
  });

  it('a committee activates a never-activated owner once; it cannot reset an active owner; an admin can, audited, and the owner is told', async () => {
    const villageId = (await t.gw.repos.users.byUsername('lize-wangjia.committee'))!.jurisdictionId;
    const fresh = await t.gw.repos.users.upsert({ username: 'owner-13900000001', displayName: '王大妈', role: 'household_owner', jurisdictionId: villageId, passwordHash: '!disabled:test' });
    expect(fresh.activated).toBe(false);
    const committee = await t.login('lize-wangjia.committee');
    const first = await api(committee, 'PUT', `/users/${fresh.id}/password`, { password: 'wang-dama-2026' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const owner = await t.login('owner-13900000001', 'wang-dama-2026');
    // Now active: the committee may not take it over.
    const again = await api(committee, 'PUT', `/users/${fresh.id}/password`, { password: 'committee-owns-you' });
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('account_already_active');
    expect((await api(owner, 'GET', '/me')).status).toBe(200);
    // The demo owner has a password too: same answer.
    const demoOwner = await userId('lize-wangjia.owner');
    expect((await api(committee, 'PUT', `/users/${demoOwner}/password`, { password: 'committee-owns-you' })).status).toBe(403);
    // An admin resets it; the owner's session ends and they find a notice when they log in again.
    const admin = await t.login('admin');
    const reset = await api(admin, 'PUT', `/users/${fresh.id}/password`, { password: 'wang-dama-reset-1' });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect((await api(owner, 'GET', '/me')).status).toBe(401);
    const back = await t.login('owner-13900000001', 'wang-dama-reset-1');
    const notices = await api(back, 'GET', '/me/notices');
    expect(notices.status).toBe(200);
    expect(notices.body.items[0].kind).toBe('password_reset');
    expect(notices.body.items[0].message).toContain('admin');
    const audit = (await t.gw.repos.audit.query({ action: 'user.password' })).filter((r) => (r.details as { userId?: string }).userId === fresh.id);
    expect(audit.some((r) => r.outcome === 'ok' && r.actorName === 'admin' && r.reason === 'password_reset')).toBe(true);
    expect(audit.some((r) => r.outcome === 'deny' && r.actorName === 'lize-wangjia.committee')).toBe(true);
    expect((await t.gw.repos.audit.query({ action: 'user.activate' })).some((r) => (r.details as { userId?: string }).userId === fresh.id)).toBe(true);
  });

  it('two committee members activating the same owner at once: exactly one wins', async () => {
    const villageId = (await t.gw.repos.users.byUsername('lize-zhaojia.committee'))!.jurisdictionId;
    const u = await t.gw.repos.users.upsert({ username: 'owner-13900000002', displayName: '赵大爷', role: 'household_owner', jurisdictionId: villageId, passwordHash: '!disabled:test' });
    const committee = await t.login('lize-zhaojia.committee');
    const [a, b] = await Promise.all([
      api(committee, 'PUT', `/users/${u.id}/password`, { password: 'zhao-daye-first-1' }),
      api(committee, 'PUT', `/users/${u.id}/password`, { password: 'zhao-daye-second-2' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 403]);
    const winner = a.status === 200 ? 'zhao-daye-first-1' : 'zhao-daye-second-2';
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner-13900000002', password: winner } })).statusCode).toBe(200);
  });
});
