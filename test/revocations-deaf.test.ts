// Fail closed: when this process cannot hear revocations (LISTEN connection lost and reconnection refused) for
// longer than access.revocationDeafSeconds, every open session is told to close and plays are refused with
// revocations_unavailable (503); once it hears again and has reloaded revocations, it serves again.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import type { RevocationNotice } from '../gateway/access/runtime.ts';

let t: TestGateway;
let cam: string;
let token: string;
beforeAll(async () => {
  t = await testGateway({ overrides: { access: { revocationDeafSeconds: 1 } } });
  cam = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 36.0, lon: 115.955 });
  const bearer = await t.login('shouzhang.officer');
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/play-tokens', headers: { authorization: `Bearer ${bearer}` }, payload: { cameraId: cam, action: 'live' } });
  expect(r.statusCode, r.body).toBe(201);
  token = (r.json() as { token: string }).token;
});
afterAll(async () => {
  await t?.tdb.superDb.query(`GRANT CONNECT ON DATABASE ${t.tdb.name} TO PUBLIC`).catch(() => undefined);
  await t?.close();
});

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const play = () => t.gw.access.authorizePlay({ token, cameraId: cam, action: 'live' }).then(() => 'ok', (e: { code?: string }) => e.code ?? 'error');

describe('revocations unheard', () => {
  it('closes everything and refuses plays after the deadline, and serves again once it hears', { timeout: 90_000 }, async () => {
    expect(t.tdb.appUrl, 'needs the runtime login (REVOKE CONNECT does not stop an owner)').not.toBeNull();
    expect(await play()).toBe('ok');
    const notices: RevocationNotice[] = [];
    const off = t.gw.access.onRevocation((n) => notices.push(n));
    try {
      // Reconnection refused: the runtime login may no longer connect; then its backends (the LISTEN one and the
      // pool's idle ones, which a reconnect would otherwise reuse) are terminated.
      await t.tdb.superDb.query(`REVOKE CONNECT ON DATABASE ${t.tdb.name} FROM PUBLIC`);
      const { rows } = await t.tdb.superDb.query<{ pid: number; query: string }>(
        `SELECT pid, query FROM pg_stat_activity WHERE datname = $1 AND usename = 'shouwang_app'`, [t.tdb.name]);
      expect(rows.filter((r) => r.query.startsWith('LISTEN'))).toHaveLength(1);
      for (const r of rows) await t.tdb.superDb.query('SELECT pg_terminate_backend($1)', [r.pid]);

      await eventually('refusal', async () => ((await play()) === 'revocations_unavailable' ? true : undefined));
      expect(notices).toContainEqual(expect.objectContaining({ kind: 'all', reason: 'revocations_unavailable' }));
      // Still deaf a while later: no flapping back while the connection is refused.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await play()).toBe('revocations_unavailable');
      expect(t.gw.bus.connected).toBe(false);

      await t.tdb.superDb.query(`GRANT CONNECT ON DATABASE ${t.tdb.name} TO PUBLIC`);
      await eventually('recovery', async () => ((await play()) === 'ok' ? true : undefined));
      expect(t.gw.bus.connected).toBe(true);
      expect(notices.filter((n) => n.kind === 'all')).toHaveLength(1);
    } finally {
      off();
    }
  });

  it('the HTTP error for a refused play is 503 with its code', async () => {
    const { errors } = await import('../gateway/errors.ts');
    const e = errors.revocationsUnavailable('x');
    expect([e.status, e.code]).toEqual([503, 'revocations_unavailable']);
  });
});
