// A test gateway with the footage routes (playback, export, masks) over a temporary segment store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { testGateway, type TestGateway } from './gateway.ts';
import { buildApp } from '../../gateway/http/app.ts';
import { startFootage, type Footage } from '../../gateway/media/playback/start-footage.ts';
import { DEMO_PASSWORD } from '../../gateway/demo/load-demo.ts';

export interface FootageGateway {
  t: TestGateway;
  app: FastifyInstance;
  footage: Footage;
  root: string;
  exportDir: string;
  tokens: Record<string, string>;
  login(...users: string[]): Promise<void>;
  api(user: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<{ status: number; body: any; raw: Buffer }>;
  close(): Promise<void>;
}

export async function footageGateway(): Promise<FootageGateway> {
  const root = mkdtempSync(path.join(tmpdir(), 'shouwang-footage-'));
  const exportDir = mkdtempSync(path.join(tmpdir(), 'shouwang-exports-'));
  const t = await testGateway();
  const footage = startFootage(t.gw, { recordingDir: root, exportDir });
  const app = await buildApp(t.gw, { plugins: [footage.routes] });
  await app.ready();
  const tokens: Record<string, string> = {};
  return {
    t, app, footage, root, exportDir, tokens,
    async login(...users) {
      for (const u of users) {
        const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: u, password: DEMO_PASSWORD } });
        tokens[u] = r.json().token;
      }
    },
    async api(user, method, url, payload) {
      const r = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload !== undefined && { payload: payload as object }) });
      const json = r.headers['content-type']?.toString().includes('json');
      return { status: r.statusCode, body: json ? r.json() : r.body, raw: r.rawPayload };
    },
    async close() {
      await footage.close();
      await app.close();
      await t.close();
      rmSync(root, { recursive: true, force: true });
      rmSync(exportDir, { recursive: true, force: true });
    },
  };
}
