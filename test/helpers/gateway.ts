import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../gateway/config/load.ts';
import type { Config } from '../../gateway/config/schema.ts';
import { composeGateway, type Gateway } from '../../gateway/compose.ts';
import { buildApp } from '../../gateway/http/app.ts';
import { loadDemo, DEMO_PASSWORD } from '../../gateway/demo/load-demo.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startMedia } from '../../gateway/media/start.ts';
import type { MediaRuntime } from '../../gateway/media/runtime.ts';
import type net from 'node:net';
import { freePort } from './free-port.ts';
import { startFootage, type Footage } from '../../gateway/media/playback/start-footage.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';


export interface TestGateway {
  gw: Gateway;
  app: FastifyInstance;
  tdb: TestDatabase;
  config: Config;
  /** With `media: true`: the workers and edge, and the app listening on 127.0.0.1 (`baseUrl`). */
  media: MediaRuntime | null;
  baseUrl: string | null;
  /** Logs in a demo user and returns its bearer token. */
  login(username: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export async function testGateway(
  opts: {
    demo?: boolean; overrides?: Record<string, unknown>; media?: boolean; plugins?: Array<(app: FastifyInstance) => Promise<void>>;
    /** Recorded-footage routes (listing, HLS playback, export) over this segment store, wired as main.ts does (with `media`, an empty store by default). */
    footage?: { recordingDir: string };
  } = {},
): Promise<TestGateway> {
  const tdb = await createTestDatabase();
  const config = loadConfig({ file: null, env: {}, // Recording is on by default in the product; a test asks for it (overrides.recording) when it wants it.
    overrides: { profile: 'test', demo: false, log: { level: 'silent' }, recording: { enabled: false }, ...opts.overrides } });
  const gw = await composeGateway({ config, db: tdb.db, log: pino({ level: 'silent' }) });
  if (opts.demo !== false) await loadDemo(gw);
  let media: MediaRuntime | null = null;
  let mediaDir: string | null = null;
  if (opts.media) {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'shouwang-test-media-'));
    media = await startMedia(gw, { rtmpBasePort: await freePort(), httpBasePort: await freePort(), dataDir: mediaDir });
  }
  // With media the footage routes come too, as main.ts registers them (pages such as the owner's read masks and
  // recordings); over an empty segment store of its own unless the test gives one.
  let footageDir: string | null = null;
  if (!opts.footage && media && mediaDir) footageDir = path.join(mediaDir, 'recordings');
  const recordingDir = opts.footage?.recordingDir ?? footageDir;
  const footage: Footage | null = recordingDir
    ? startFootage(gw, { recordingDir, ...(media ? { sessions: media.sessions } : {}) })
    : null;
  const app = await buildApp(gw, { plugins: [...(media ? [media.routes] : []), ...(footage ? [footage.routes] : []), ...(opts.plugins ?? [])] });
  await app.ready();
  let baseUrl: string | null = null;
  if (opts.media) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
  }
  return {
    gw,
    app,
    tdb,
    config,
    media,
    baseUrl,
    async login(username, password = DEMO_PASSWORD) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
      if (r.statusCode !== 200) throw new Error(`login ${username} failed: ${r.statusCode} ${r.body}`);
      return (r.json() as { token: string }).token;
    },
    async close() {
      await footage?.close();
      await app.close();
      await media?.close();
      if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
      await gw.close();
      await tdb.drop();
    },
  };
}
