// The runtime pool logs in as shouwang_app itself: no SET ROLE back to an owner, no replication-role trick,
// no UPDATE/DELETE/TRUNCATE of audit rows.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.ts';
import { auditRepository } from '../repositories/audit.repository.ts';
import { AUDIT } from '../audit/actions.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

describe('runtime login', () => {
  it('connects as shouwang_app directly (session user, not only current user)', async () => {
    expect(tdb.appUrl).not.toBeNull();
    const { rows } = await tdb.db.query<{ cu: string; su: string }>('SELECT current_user AS cu, session_user AS su');
    expect(rows[0]).toEqual({ cu: 'shouwang_app', su: 'shouwang_app' });
  });

  it('cannot become the owner, cannot switch off triggers, cannot change audit rows', async () => {
    const [id] = await auditRepository(tdb.db).append({ action: AUDIT.authLogin, outcome: 'ok', reason: 'runtime-login test' });
    const c = await tdb.db.connect();
    try {
      // RESET ROLE only returns to the session user, which is the restricted login itself.
      await c.query('SET ROLE NONE');
      expect((await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe('shouwang_app');
      await expect(c.query('SET ROLE postgres')).rejects.toMatchObject({ code: '42501' });
      await expect(c.query('SET session_replication_role = replica')).rejects.toMatchObject({ code: '42501' });
      await expect(c.query("UPDATE audit_log SET reason = 'altered' WHERE id = $1", [id])).rejects.toMatchObject({ code: '42501' });
      await expect(c.query('DELETE FROM audit_log WHERE id = $1', [id])).rejects.toMatchObject({ code: '42501' });
      await expect(c.query('TRUNCATE audit_log')).rejects.toMatchObject({ code: '42501' });
      await expect(c.query("COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toMatchObject({ code: '42501' });
    } finally {
      c.release();
    }
    const { rows } = await tdb.superDb.query<{ reason: string }>('SELECT reason FROM audit_log WHERE id = $1', [id]);
    expect(rows[0]!.reason).toBe('runtime-login test');
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, true],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, true],
    [{ code: '08006' }, true],
    [new Error('Connection terminated unexpectedly'), true],
    [{ code: '23505', message: 'duplicate key' }, false],
    [new Error('boom'), false],
    [null, false],
  ])('%o → %s', (err, expected) => {
    expect(isDatabaseUnavailable(err)).toBe(expected);
  });
});
