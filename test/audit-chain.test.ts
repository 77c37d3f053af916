// Issue 8 §1: the audit chain hashes exactly what PostgreSQL stores, the verifier walks every row, and signed
// checkpoints catch truncation and re-chaining.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { verifyAuditChain } from '../gateway/audit/verify.ts';
import { verifyAuditLog } from '../gateway/audit/verify-with-checkpoints.ts';
import { chainHash, GENESIS } from '../gateway/audit/chain.ts';
import { AUDIT, type AuditAction } from '../gateway/audit/actions.ts';
import type { AuditInput, AuditRow } from '../gateway/repositories/audit.repository.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let partnerFile: unknown = null;

let t: TestGateway;
let auditor: { authorization: string };
beforeAll(async () => {
  t = await testGateway({ overrides: { audit: { checkpointIntervalSeconds: 0 } } });
  auditor = { authorization: `Bearer ${await t.login('shouzhang.auditor')}` };
});
afterAll(async () => {
  await t?.close();
});

const verify = (supplied: unknown[] = []) => verifyAuditLog({ audit: t.gw.repos.audit, checkpoints: t.gw.repos.auditCheckpoints, supplied });

/** Superuser edits with triggers off: what an insider with the database password could do. */
async function asInsider(fn: (q: (sql: string, params?: unknown[]) => Promise<{ rows: AuditRow[] }>) => Promise<void>): Promise<void> {
  const c = await t.tdb.superDb.connect();
  try {
    await c.query('SET session_replication_role = replica');
    await fn((sql, params) => c.query(sql, params as unknown[]) as never);
  } finally {
    await c.query('SET session_replication_role = DEFAULT');
    c.release();
  }
}

const COLS = `id, at, actor_user_id AS "actorUserId", actor_name AS "actorName", action, outcome, camera_id AS "cameraId",
  grant_id AS "grantId", station_id AS "stationId", case_no AS "caseNo", window_from AS "windowFrom", window_to AS "windowTo",
  reason, details, prev_hash AS "prevHash", hash`;

/** Deletes one row and recomputes every later hash with the gateway's own function, as a careful insider would. */
async function deleteAndRechain(victimId: number): Promise<void> {
  await asInsider(async (q) => {
    await q('DELETE FROM audit_log WHERE id = $1', [victimId]);
    const before = await q(`SELECT ${COLS} FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT 1`, [victimId]);
    let prev = before.rows[0]?.hash ?? GENESIS;
    const later = await q(`SELECT ${COLS} FROM audit_log WHERE id > $1 ORDER BY id`, [victimId]);
    for (const r of later.rows) {
      const h = chainHash(prev, r);
      await q('UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3', [prev, h, r.id]);
      prev = h;
    }
  });
}

// Any UTF-16 code unit, lone surrogates and NUL included: what JSON bodies and query strings can carry.
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const hostileText = fc.oneof(fc.string({ unit: anyUnit, maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 20 }));
const anyId = fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase()));
const anyDate = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    hostileText,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    anyDate,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(hostileText, tie('v'), { maxKeys: 4 }),
  ),
})).v;
const actions = Object.values(AUDIT) as AuditAction[];
const row: fc.Arbitrary<AuditInput> = fc.record({
  at: anyDate,
  action: fc.constantFrom(...actions),
  outcome: fc.constantFrom('allow', 'deny', 'ok', 'fail', 'info') as fc.Arbitrary<AuditInput['outcome']>,
  actorUserId: fc.option(anyId),
  actorName: fc.option(hostileText),
  cameraId: fc.option(anyId),
  grantId: fc.option(anyId),
  stationId: fc.option(anyId),
  caseNo: fc.option(hostileText),
  windowFrom: fc.option(anyDate),
  windowTo: fc.option(anyDate),
  reason: fc.option(hostileText),
  details: fc.dictionary(hostileText, jsonish, { maxKeys: 6 }),
});

describe('the chain hashes what PostgreSQL stores', () => {
  it('random rows (any UTF-16, upper-case ids, numbers, nested details, dates) verify intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 4 }), async (rows) => {
        await t.gw.repos.audit.append(rows);
        const v = await verifyAuditChain(t.gw.repos.audit);
        expect(v.broken).toEqual([]);
        expect(v.intact).toBe(true);
      }),
      { numRuns: 60, seed: 20261124 },
    );
  });

  it('a login as "\\ud800" is refused with 400 and leaves the chain intact', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: '{"username":"\\ud800","password":"x"}', headers: { 'content-type': 'application/json' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('validation_failed');
    const nul = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'a\u0000b', password: 'x' } });
    expect(nul.statusCode).toBe(400);
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
  });
});

describe('the verifier', () => {
  it('reports every broken row and keeps walking', async () => {
    const ids = await t.gw.repos.audit.append([1, 2, 3, 4].map((i) => ({ action: AUDIT.auditExport, outcome: 'info' as const, details: { i } })));
    await asInsider(async (q) => {
      await q(`UPDATE audit_log SET details = '{"i":20}' WHERE id = $1`, [ids[1]]);
      await q(`UPDATE audit_log SET reason = 'edited' WHERE id = $1`, [ids[3]]);
    });
    const v = await verifyAuditChain(t.gw.repos.audit);
    expect(v.intact).toBe(false);
    expect(v.broken.map((b) => b.id)).toEqual([ids[1], ids[3]]);
    expect(v.brokenCount).toBe(2);
    expect(v.firstBrokenId).toBe(ids[1]);
    const api = await t.app.inject({ url: '/api/v1/audit/verify', headers: auditor });
    expect(api.statusCode).toBe(200);
    expect(api.json().broken.map((b: { id: number }) => b.id)).toEqual([ids[1], ids[3]]);
    // Put them back so later tests start from an intact chain.
    await asInsider(async (q) => {
      await q(`UPDATE audit_log SET details = '{"i":2}' WHERE id = $1`, [ids[1]]);
      await q(`UPDATE audit_log SET reason = NULL WHERE id = $1`, [ids[3]]);
    });
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
  });
});

describe('signed checkpoints', () => {
  it('catch a middle row deleted and the rest re-chained, from the stored checkpoint and from a partner\'s copy', async () => {
    const ids = await t.gw.repos.audit.append([1, 2, 3].map((i) => ({ action: AUDIT.grantApprove, outcome: 'ok' as const, details: { i } })));
    const made = await t.app.inject({ method: 'POST', url: '/api/v1/audit/checkpoints', headers: auditor });
    expect(made.statusCode, made.body).toBe(200);
    const cp = made.json().checkpoint;
    expect(cp.checkpoint.headId).toBe(ids[2]);
    expect(cp.jws.split('.')).toHaveLength(3);
    expect(cp.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    const listed = await t.app.inject({ url: '/api/v1/audit/checkpoints', headers: auditor });
    expect(listed.json().items[0].id).toBe(cp.id);
    const file = (await t.app.inject({ url: `/api/v1/audit/checkpoints/${cp.id}`, headers: auditor })).json();
    expect(file.jws).toBe(cp.jws);
    expect((await verify([file])).intact).toBe(true);
    partnerFile = file;

    await deleteAndRechain(ids[1]!);
    // The chain alone is fooled: that is why checkpoints exist.
    expect((await verifyAuditChain(t.gw.repos.audit)).intact).toBe(true);
    const v = await verify();
    expect(v.intact).toBe(false);
    expect(v.checkpoints.failed.map((f) => f.source)).toContain(`stored#${cp.id}`);
    // The insider also removes the stored checkpoints; the partner's file still shows it.
    await asInsider(async (q) => void (await q('DELETE FROM audit_checkpoints')));
    expect((await verify()).intact).toBe(true);
    const held = await t.app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: auditor, payload: { checkpoints: [file] } });
    expect(held.statusCode, held.body).toBe(200);
    expect(held.json().intact).toBe(false);
    expect(held.json().checkpoints.failed[0].problem).toMatch(/rewritten|rows/);
    const bare = await verify([file.jws]);
    expect(bare.intact).toBe(false);
  });

  it('catch the newest rows deleted', async () => {
    await t.gw.repos.audit.append({ action: AUDIT.grantRevoke, outcome: 'ok' });
    const cp = await t.gw.checkpointer.now().then(() => t.gw.repos.auditCheckpoints.latest());
    expect(cp).toBeDefined();
    const head = (await t.gw.repos.auditCheckpoints.head()).headId;
    expect(cp!.headId).toBe(head);
    await asInsider(async (q) => void (await q('DELETE FROM audit_log WHERE id = $1', [head])));
    const v = await verify();
    expect(v.intact).toBe(false);
    expect(v.checkpoints.failed.some((f) => /newest rows deleted/.test(f.problem))).toBe(true);
  });

  it('a forged or altered checkpoint is refused, not trusted', async () => {
    const cp = (await t.gw.repos.auditCheckpoints.latest())!;
    const [h, p, s] = cp.jws.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = [h, Buffer.from(JSON.stringify({ ...claims, rows: 1 })).toString('base64url'), s].join('.');
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: auditor, payload: { checkpoints: [forged] } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(/signature/);
  });

  it('the checkpointer writes one at stop when rows were added, and none when nothing changed', async () => {
    await t.gw.repos.audit.append({ action: AUDIT.grantDeny, outcome: 'ok' });
    const before = (await t.gw.repos.auditCheckpoints.list({ limit: 1000 })).length;
    await t.gw.checkpointer.now();
    await t.gw.checkpointer.now();
    const after = await t.gw.repos.auditCheckpoints.list({ limit: 1000 });
    expect(after.length).toBe(before + 1);
    expect(after[0]!.headId).toBe((await t.gw.repos.auditCheckpoints.head()).headId);
  });

  it('the runtime role cannot change or delete checkpoints', async () => {
    await expect(t.tdb.db.query('DELETE FROM audit_checkpoints')).rejects.toThrow();
    await expect(t.tdb.db.query(`UPDATE audit_checkpoints SET row_count = 0`)).rejects.toThrow();
  });

  it('npm run audit:verify reads a partner\'s checkpoint file and lists every problem (exit 3)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shouwang-cp-'));
    const file = path.join(dir, 'checkpoint.json');
    writeFileSync(file, JSON.stringify(partnerFile));
    try {
      const root = path.resolve(import.meta.dirname, '..');
      const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(path.join(root, 'node_modules/.bin/tsx'), ['gateway/cli/audit-verify.ts', '--checkpoint', file], {
          cwd: root, timeout: 60_000, env: { ...process.env, DATABASE_URL: t.tdb.url, SHOUWANG_PROFILE: 'test' },
        }, (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }));
      });
      expect(out.stdout).toMatch(/BROKEN/);
      expect(out.stdout).toMatch(/checkpoint supplied#1/);
      expect(out.code).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
