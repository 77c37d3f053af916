// The audit search and CSV export find a case however its number was typed (the writers store the canonical form).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { AUDIT } from '../gateway/audit/actions.ts';

const CASE = '兖公刑立字〔2026〕118号';
let t: TestGateway;
let auditor: string;
beforeAll(async () => {
  t = await testGateway({ demo: true });
  auditor = await t.login('shouzhang.auditor');
  await t.gw.repos.audit.append({ action: AUDIT.grantRequest, outcome: 'ok', caseNo: CASE, reason: 'test' });
}, 90_000);
afterAll(async () => {
  await t?.close();
});

const get = (url: string) => t.app.inject({ url, headers: { authorization: `Bearer ${auditor}` } });

describe('audit queries by case number', () => {
  it('finds the case typed with extra and full-width spaces, in the list and the CSV', async () => {
    const typed = encodeURIComponent(`  兖公刑立字〔2026〕118号\u3000`);
    const list = await get(`/api/v1/audit?caseNo=${typed}`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((r: { caseNo: string }) => r.caseNo)).toContain(CASE);
    const csv = await get(`/api/v1/audit/export.csv?caseNo=${typed}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain(CASE);
  });

  it('refuses a case number with a control character with its code', async () => {
    const r = await get(`/api/v1/audit?caseNo=${encodeURIComponent('A\u0007B')}`);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toMatch(/invalid_case_number|validation_failed|bad_request/);
  });
});
