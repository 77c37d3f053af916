// The live routes' error mapping: a database that cannot answer (pool wait timed out under load) is a 503 to retry,
// an unexpected error a bare 500 without internals.
import { describe, it, expect } from 'vitest';
import Fastify from 'fastify';
import { liveRoutes } from './routes.ts';
import type { LiveEdge } from './live-edge.ts';

async function appThrowing(err: Error) {
  const edge = { prepareLive: async () => { throw err; } } as unknown as LiveEdge;
  const app = Fastify();
  await app.register(liveRoutes(edge));
  await app.ready();
  return app;
}

describe('live route errors', () => {
  it('a database pool timeout is 503 database_unavailable with Retry-After', async () => {
    const app = await appThrowing(new Error('timeout exceeded when trying to connect'));
    const r = await app.inject({ url: '/media/live/6f1c2a9e-8d5b-4c1e-9f0a-1b2c3d4e5f60.flv?token=x' });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('2');
    expect(r.json()).toEqual({ error: { code: 'database_unavailable', message: 'the database is unavailable; try again shortly' } });
    await app.close();
  });

  it('anything else is a 500 that says nothing of the cause', async () => {
    const app = await appThrowing(new Error('secret internal path /var/lib/x'));
    const r = await app.inject({ url: '/media/live/6f1c2a9e-8d5b-4c1e-9f0a-1b2c3d4e5f60.flv?token=x' });
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toContain('secret');
    await app.close();
  });
});
