// Login rate limits: per account (in the database, across addresses) and per address, separately configured,
// so one station's shift behind a NAT can log in while one account cannot be hammered from many addresses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { DEMO_PASSWORD } from '../gateway/demo/load-demo.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await testGateway({ overrides: { auth: { loginRatePerAccountPerMinute: 3, loginRatePerAddressPerMinute: 12, lockoutAttempts: 50 } } });
});
afterAll(async () => {
  await t?.close();
});

const login = (username: string, ip: string, password = DEMO_PASSWORD) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { username, password } });

describe('login rate limits', () => {
  it('per account: the fourth attempt in a minute is refused from any address', async () => {
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect((await login('caohe.officer', ip, 'wrong-one')).statusCode).toBe(401);
    const r = await login('caohe.officer', '10.0.0.4');
    expect(r.statusCode).toBe(429);
    expect(r.json().error.code).toBe('rate_limited');
  });

  it('per address: a whole shift behind one NAT logs in (more people than the per-account limit), up to the address limit', async () => {
    const shift = ['gucun.officer', 'gucun.duty', 'gucun.investigator', 'gucun.auditor', 'dongshu.officer', 'dongshu.duty', 'dongshu.investigator', 'dongshu.auditor'];
    for (const u of shift) expect((await login(u, '10.9.9.9')).statusCode, u).toBe(200);
    // The address limit (12) still holds: 4 more pass, then the address is refused while another address is not.
    for (const u of ['lize.officer', 'lize.duty', 'lize.investigator', 'lize.auditor']) expect((await login(u, '10.9.9.9')).statusCode, u).toBe(200);
    expect((await login('acheng.officer', '10.9.9.9')).statusCode).toBe(429);
    expect((await login('acheng.officer', '10.9.9.10')).statusCode).toBe(200);
  });
});
