import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Gateway } from '../compose.ts';
import { registerErrorHandling } from './errors-plugin.ts';
import { ErrorBody } from './schemas.ts';
import { registerAuth } from './auth-hook.ts';
import { validatorCompiler } from './validator.ts';
import healthRoutes from './routes/health.ts';
import authRoutes from './routes/auth.ts';
import jurisdictionRoutes from './routes/jurisdictions.ts';
import auditRoutes from './routes/audit.ts';
import cameraRoutes from './routes/cameras.ts';
import userRoutes from './routes/users.ts';
import websocket from '@fastify/websocket';
import grantRoutes from './routes/grants.ts';
import playTokenRoutes from './routes/play-tokens.ts';
import eventRoutes from './routes/events.ts';
import accessAuditRoutes from './routes/access-audit.ts';
import webViewer from './web-viewer.ts';

export type App = FastifyInstance & { withTypeProvider: () => FastifyInstance };
export type TypedApp = ReturnType<typeof typed>;
const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();

export interface BuildAppOptions {
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
  https?: { cert: Buffer; key: Buffer } | null;
  /** Extra route plugins (media edge etc.) registered after the core routes. */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

/** Builds the HTTP app without listening (tests call app.inject()). */
export async function buildApp(gw: Gateway, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger && typeof (opts.logger as { info?: unknown }).info === 'function'
      ? { loggerInstance: opts.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: (opts.logger as FastifyServerOptions['logger']) ?? false }),
    ...(opts.https ? { https: opts.https } : {}),
    bodyLimit: gw.config.http.bodyLimitBytes,
    trustProxy: gw.config.http.behindTlsProxy,
    // Long-lived video responses must not be cut by the default request timeout.
    requestTimeout: 0,
  }) as unknown as FastifyInstance;

  registerErrorHandling(app);
  app.setValidatorCompiler(validatorCompiler());
  app.addSchema(ErrorBody);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
      },
    },
  });
  // Global limit off; login and token-issuing routes set their own.
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Shouwang gateway API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  // Registered once at the root: the events socket and the media edge's ws-flv share one upgrade handler.
  await app.register(websocket, { options: { maxPayload: 4096 } });
  registerAuth(app);
  await app.register(async (a) => healthRoutes(typed(a), gw));
  await app.register(async (a) => {
    await authRoutes(typed(a), gw);
    await jurisdictionRoutes(typed(a), gw);
    await auditRoutes(typed(a), gw);
    await cameraRoutes(typed(a), gw);
    await userRoutes(typed(a), gw);
    await grantRoutes(typed(a), gw);
    await playTokenRoutes(typed(a), gw);
    await eventRoutes(typed(a), gw);
    await accessAuditRoutes(typed(a), gw);
  }, { prefix: '/api/v1' });
  for (const p of opts.plugins ?? []) await app.register(p);
  await app.register(async (a) => webViewer(a, gw));
  return app;
}
