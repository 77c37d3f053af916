// The gateway's OpenAPI document without a database: buildApp over a gateway whose components are inert
// stand-ins (routes only read them inside handlers, never while registering), so the build needs no PostgreSQL.
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../gateway/config/load.ts';
import { buildApp } from '../../gateway/http/app.ts';
import type { Gateway } from '../../gateway/compose.ts';
import { startFootage } from '../../gateway/media/playback/start-footage.ts';

function inert(): unknown {
  const fn = () => undefined;
  return new Proxy(fn, { get: (_t, key) => (key === 'then' ? undefined : inert()), apply: () => inert() });
}

export async function openApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ file: null, env: {}, overrides: { profile: 'test', demo: false, log: { level: 'silent' } } });
  const gw = new Proxy({ config } as Record<string, unknown>, { get: (t, k) => (k in t ? t[k as string] : inert()) }) as unknown as Gateway;
  // The footage routes (listing, HLS playback, exports, masks) are registered beside the core routes, as main.ts does.
  const footage = startFootage(gw, { recordingDir: '/nonexistent', exportDir: '/nonexistent' });
  const app: FastifyInstance = await buildApp(gw, { plugins: [footage.routes] });
  await app.ready();
  const doc = (app as unknown as { swagger(): Record<string, unknown> }).swagger();
  await app.close();
  return doc;
}
