// Issue 8 §7: the two WebSocket routes are in the OpenAPI document (@fastify/websocket hides them by default).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { liveRoutes } from '../gateway/media/live/routes.ts';
import type { LiveEdge } from '../gateway/media/live/live-edge.ts';

type Op = { parameters: { in: string; name: string }[]; responses: Record<string, unknown>; description: string; summary: string };
let t: TestGateway;
let paths: Record<string, Record<string, Op>>;

beforeAll(async () => {
  // The media routes use the edge only per request; the document comes from what is registered.
  t = await testGateway({ demo: false, plugins: [liveRoutes({} as LiveEdge)] });
  const r = await t.app.inject({ url: '/api/docs/json' });
  expect(r.statusCode).toBe(200);
  paths = r.json().paths;
});
afterAll(async () => {
  await t?.close();
});

const names = (op: Op, where: string) => op.parameters.filter((p) => p.in === where).map((p) => p.name).sort();

describe('OpenAPI document', () => {
  it('documents GET /api/v1/events as a WebSocket upgrade with its query and close codes', () => {
    const op = paths['/api/v1/events']?.['get'];
    expect(op, 'events route missing').toBeDefined();
    expect(names(op!, 'query')).toEqual(['token']);
    expect(names(op!, 'header')).toEqual(['Connection', 'Upgrade']);
    expect(Object.keys(op!.responses)).toContain('101');
    expect(op!.description).toMatch(/4001/);
    expect(op!.description).toMatch(/1001/);
  });

  it('documents GET /media/live/{cameraId}.ws with the same path and query parameters as the .flv route', () => {
    const ws = paths['/media/live/{cameraId}.ws']?.['get'];
    const flv = paths['/media/live/{cameraId}.flv']?.['get'];
    expect(ws, 'ws route missing').toBeDefined();
    expect(names(ws!, 'query')).toEqual(names(flv!, 'query'));
    expect(names(ws!, 'path')).toEqual(['cameraId']);
    expect(Object.keys(ws!.responses)).toEqual(expect.arrayContaining(['101', '401', '403', '404', '503']));
    expect(ws!.description).toMatch(/4000/);
    expect(ws!.description).toMatch(/grant_revoked/);
  });

  it('the WebSocket routes are still served as WebSockets (a plain GET is not upgraded)', async () => {
    const r = await t.app.inject({ url: '/api/v1/events' });
    expect(r.statusCode).toBe(404);
  });
});
