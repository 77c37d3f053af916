import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../gateway/config/load.ts';
import type { Config } from '../../gateway/config/schema.ts';
import { composeGateway, type Gateway } from '../../gateway/compose.ts';
import { buildApp } from '../../gateway/http/app.ts';
import { loadDemo, DEMO_PASSWORD } from '../../gateway/demo/load-demo.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface TestGateway {
  gw: Gateway;
  app: FastifyInstance;
  tdb: TestDatabase;
  config: Config;
  /** Logs in a demo user and returns its bearer token. */
  login(username: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export async function testGateway(opts: { demo?: boolean; overrides?: Record<string, unknown> } = {}): Promise<TestGateway> {
  const tdb = await createTestDatabase();
  const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, log: { level: 'silent' }, ...opts.overrides } });
  const gw = await composeGateway({ config, db: tdb.db, log: pino({ level: 'silent' }) });
  if (opts.demo !== false) await loadDemo(gw);
  const app = await buildApp(gw);
  await app.ready();
  return {
    gw,
    app,
    tdb,
    config,
    async login(username, password = DEMO_PASSWORD) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
      if (r.statusCode !== 200) throw new Error(`login ${username} failed: ${r.statusCode} ${r.body}`);
      return (r.json() as { token: string }).token;
    },
    async close() {
      await app.close();
      await gw.close();
      await tdb.drop();
    },
  };
}
