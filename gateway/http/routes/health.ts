import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { ErrorBody } from '../schemas.ts';

export default async function healthRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  app.get('/healthz', { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));
  app.get(
    '/readyz',
    { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ErrorBody } } },
    async (_req, reply) => {
      try {
        await gw.db.query('SELECT 1');
        return { status: 'ready' as const };
      } catch {
        return reply.status(503).send({ error: { code: 'unavailable', message: 'database is not reachable' } });
      }
    },
  );
}
