import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { migrate, SchemaTooNewError } from '../gateway/db/migrate.ts';
import { verifyAuditChain } from '../gateway/audit/verify.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await testGateway();
});
afterAll(async () => {
  await t?.close();
});

describe('health and docs', () => {
  it('is ready and serves OpenAPI', async () => {
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    const docs = await t.app.inject({ url: '/api/docs/json' });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).toContain('/api/v1/auth/login');
  });
  it('unknown route is a coded 404', async () => {
    const r = await t.app.inject({ url: '/api/v1/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('not_found');
  });
});

describe('login, sessions and lockout', () => {
  it('a demo officer logs in, sees who they are, logs out', async () => {
    const token = await t.login('shouzhang.officer');
    const me = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.role).toBe('officer');
    expect(me.json().jurisdiction.kind).toBe('station');
    expect(me.json()).not.toHaveProperty('user.passwordHash');
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}` } });
    expect(out.statusCode).toBe(204);
    const again = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('unauthenticated');
  });

  it('locks an account after 5 failures in the window, and audits every attempt', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'acheng.officer', password: 'wrong' } });
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('invalid_credentials');
    }
    const locked = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'acheng.officer', password: 'shouwang-demo' } });
    expect(locked.statusCode).toBe(423);
    expect(locked.json().error.code).toBe('account_locked');
    const rows = await t.gw.repos.audit.query({ action: 'auth.login' });
    const mine = rows.filter((r) => r.actorName === 'acheng.officer');
    expect(mine.filter((r) => r.outcome === 'fail')).toHaveLength(5);
    expect(mine.filter((r) => r.outcome === 'deny' && r.reason === 'account_locked')).toHaveLength(1);
  });

  it('no token, garbage token → 401 with a code', async () => {
    expect((await t.app.inject({ url: '/api/v1/me' })).json().error.code).toBe('unauthenticated');
    expect((await t.app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer x'.repeat(300) } })).statusCode).toBe(401);
  });
});

describe('bad input gets a clear answer', () => {
  it('malformed JSON, unknown fields, wrong types, oversize bodies', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_json');
    const extra = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'a', password: 'b', admin: true } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error).toMatchObject({ code: 'validation_failed' });
    expect(extra.json().error.message).toContain('admin');
    const type = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 5, password: ['x'] } });
    expect(type.statusCode).toBe(400);
    const big = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'a', password: 'x'.repeat(2 * 1024 * 1024) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
    expect(big.body).not.toContain('at ');
  });
});

describe('jurisdictions', () => {
  it('point-in-boundary finds station and village', async () => {
    const token = await t.login('shouzhang.investigator');
    const h = { authorization: `Bearer ${token}` };
    // 西街村 Xijie, Lize station, Binzhou
    const r = await t.app.inject({ url: '/api/v1/jurisdictions/lookup?lat=37.42&lon=117.84', headers: h });
    expect(r.statusCode).toBe(200);
    expect(r.json().station.code).toBe('37167101');
    expect(r.json().village.name).toContain('西街村');
    expect(r.json().county.code).toBe('371671');
    // Taiqian side of the Shandong–Henan border
    const tq = (await t.app.inject({ url: '/api/v1/jurisdictions/lookup?lat=35.97&lon=115.86', headers: h })).json();
    expect(tq.station.code).toBe('41092701');
    const sea = (await t.app.inject({ url: '/api/v1/jurisdictions/lookup?lat=0&lon=0', headers: h })).json();
    expect(sea).toEqual({ station: null, village: null, county: null });
    const bad = await t.app.inject({ url: '/api/v1/jurisdictions/lookup?lat=91&lon=0', headers: h });
    expect(bad.statusCode).toBe(400);
  });

  it('admin saves a jurisdiction with a boundary; hierarchy and GeoJSON are checked; nothing half-saved', async () => {
    const admin = { authorization: `Bearer ${await t.login('admin')}` };
    const ring = [[115.9, 35.96], [115.91, 35.96], [115.91, 35.97], [115.9, 35.97], [115.9, 35.96]];
    const ok = await t.app.inject({
      method: 'PUT', url: '/api/v1/jurisdictions/3715210102', headers: admin,
      payload: { name: '新村 Xincun', kind: 'village', parentCode: '37152101', boundary: { type: 'Polygon', coordinates: [ring] } },
    });
    expect(ok.statusCode).toBe(200);
    const notClosed = await t.app.inject({
      method: 'PUT', url: '/api/v1/jurisdictions/3715210103', headers: admin,
      payload: { name: 'x', kind: 'village', parentCode: '37152101', boundary: { type: 'Polygon', coordinates: [ring.slice(0, 4)] } },
    });
    expect(notClosed.statusCode).toBe(400);
    expect(notClosed.json().error.message).toContain('not closed');
    const wrongParent = await t.app.inject({
      method: 'PUT', url: '/api/v1/jurisdictions/3715210104', headers: admin,
      payload: { name: 'x', kind: 'village', parentCode: '371521', boundary: null },
    });
    expect(wrongParent.statusCode).toBe(400);
    expect(await t.gw.repos.jurisdictions.byCode('3715210103')).toBeUndefined();
    const officer = { authorization: `Bearer ${await t.login('shouzhang.officer')}` };
    const denied = await t.app.inject({ method: 'PUT', url: '/api/v1/jurisdictions/3715210105', headers: officer, payload: { name: 'x', kind: 'village', parentCode: '37152101' } });
    expect(denied.statusCode).toBe(403);
  });
});

describe('audit log', () => {
  it('is append-only for the gateway role and tampering is found', async () => {
    await t.gw.repos.audit.append([{ action: 'audit.export', outcome: 'info', details: { b: 2, a: '守望' } }, { action: 'audit.checkpoint', outcome: 'info' }]);
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
    await expect(t.tdb.db.query(`UPDATE audit_log SET reason = 'x'`)).rejects.toThrow();
    await expect(t.tdb.db.query(`DELETE FROM audit_log`)).rejects.toThrow();
    const [victim] = (await t.gw.repos.audit.query({ action: 'audit.export' }));
    // A superuser can bypass triggers; the chain still shows where.
    const c = await t.tdb.superDb.connect();
    try {
      await c.query(`SET session_replication_role = replica`);
      await c.query(`UPDATE audit_log SET details = '{"a":"edited"}' WHERE id = $1`, [victim!.id]);
    } finally {
      c.release();
    }
    const v = await verifyAuditChain(t.gw.repos.audit);
    expect(v.intact).toBe(false);
    expect(v.firstBrokenId).toBe(victim!.id);
    const auditor = { authorization: `Bearer ${await t.login('shouzhang.auditor')}` };
    const api = await t.app.inject({ url: '/api/v1/audit/verify', headers: auditor });
    expect(api.json().firstBrokenId).toBe(victim!.id);
    const officer = { authorization: `Bearer ${await t.login('shouzhang.officer')}` };
    expect((await t.app.inject({ url: '/api/v1/audit', headers: officer })).statusCode).toBe(403);
  });
});

describe('migrations', () => {
  it('are applied once and a newer schema is refused', async () => {
    expect((await migrate(t.tdb.superDb)).applied).toEqual([]);
    await t.tdb.superDb.query(`INSERT INTO schema_migrations (version, name) VALUES (999, '999_future')`);
    await expect(migrate(t.tdb.superDb)).rejects.toBeInstanceOf(SchemaTooNewError);
    await t.tdb.superDb.query(`DELETE FROM schema_migrations WHERE version = 999`);
  });
});
