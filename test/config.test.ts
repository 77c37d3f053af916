import { describe, it, expect } from 'vitest';
import { loadConfig } from '../gateway/config/load.ts';

const load = (overrides: Record<string, unknown>, env: Record<string, string> = {}) => () => loadConfig({ file: null, env, overrides });

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({ file: null, env: {} });
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(c.database.url).toBeNull();
  });
  it('environment overrides, DATABASE_URL switches to an external server', () => {
    const c = loadConfig({ file: null, env: { PORT: '9000', DATABASE_URL: 'postgres://x@127.0.0.1/db' } });
    expect(c.http.port).toBe(9000);
    expect(c.database.url).toBe('postgres://x@127.0.0.1/db');
  });
  it.each([
    [{ http: { port: 70000 } }, "'http.port' = 70000"],
    [{ http: { colour: 'red' } }, "'http.colour'"],
    [{ auth: { lockoutAttempts: 0 } }, "'auth.lockoutAttempts' = 0"],
    [{ log: { level: 'loud' } }, "'log.level' = \"loud\""],
    [{ secrets: { credentialKey: 'c2hvcnQ=' } }, "'secrets.credentialKey'"],
  ])('rejects %j naming the key', (o, msg) => {
    expect(load(o)).toThrow(msg);
  });
  it('production refuses a public address without TLS, and demo data', () => {
    expect(load({ profile: 'production', demo: false, http: { host: '0.0.0.0' } })).toThrow(/TLS/);
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(load({ profile: 'production', demo: false, http: { host: '0.0.0.0', behindTlsProxy: true }, secrets: { credentialKey: key } })).not.toThrow();
    expect(load({ profile: 'production', demo: false, http: { host: '0.0.0.0', behindTlsProxy: true } })).toThrow(/credentialKey/);
    expect(load({ profile: 'production', demo: true })).toThrow(/demo/);
  });
});
