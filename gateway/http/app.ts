import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { documentWebsockets } from './websocket-docs.ts';
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
import { redactedRequest } from './log-redaction.ts';
import { guardConnections } from './connection-guard.ts';
import { limitAnonymousMedia } from './anonymous-media-limit.ts';
import caseRoutes from './routes/cases.ts';
import mapRoutes from './routes/map.ts';
import webViewer from './web-viewer.ts';
import { canonicaliseCameraIdParams } from './canonical-ids.ts';

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
  // Slow or silent clients (slowloris, half-open sockets) are dropped once the headers deadline passes.
  const serverTimeouts = {
    headersTimeout: gw.config.http.headersTimeoutMs,
    requestTimeout: gw.config.http.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, gw.config.http.headersTimeoutMs),
  };
  const app = Fastify({
    ...(opts.logger && typeof (opts.logger as { info?: unknown }).info === 'function'
      ? { loggerInstance: opts.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: (opts.logger as FastifyServerOptions['logger']) ?? false }),
    ...(opts.https ? { https: { ...opts.https, ...serverTimeouts } } : { http: serverTimeouts }),
    bodyLimit: gw.config.http.bodyLimitBytes,
    trustProxy: gw.config.http.behindTlsProxy,
    // Bounds receiving the request only (headers and body), never the response: live video is not cut by it.
    requestTimeout: gw.config.http.requestTimeoutMs,
    // Every request logger: play tokens (`?token=`) and Authorization never reach a log line.
    childLoggerFactory: (logger, bindings, childOpts) =>
      logger.child(bindings, { ...childOpts, serializers: { ...childOpts.serializers, req: redactedRequest as never } }),
  }) as unknown as FastifyInstance;
  // Behind a TLS proxy every connection comes from the proxy; the proxy is where per-client caps belong.
  guardConnections(app.server, {
    maxPerAddress: gw.config.http.behindTlsProxy ? null : gw.config.http.maxConnectionsPerAddress,
    headersTimeoutMs: gw.config.http.headersTimeoutMs,
  });

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
    transformObject: (d) => ('openapiObject' in d ? documentWebsockets(d.openapiObject as Parameters<typeof documentWebsockets>[0]) : d.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  // Registered once at the root: the events socket and the media edge's ws-flv share one upgrade handler.
  await app.register(websocket, { options: { maxPayload: 4096 } });
  registerAuth(app);
  canonicaliseCameraIdParams(app);
  limitAnonymousMedia(app, {
    perMinute: gw.config.audit.anonymousMediaPerMinute,
    refusals: gw.refusals,
    audit: (row) => void gw.repos.audit.append(row).catch((err: unknown) => gw.log.error({ err }, 'audit of a media refusal failed')),
  });
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
    await caseRoutes(typed(a), gw);
    await mapRoutes(typed(a), gw);
  }, { prefix: '/api/v1' });
  for (const p of opts.plugins ?? []) await app.register(p);
  await app.register(async (a) => webViewer(a, gw));
  return app;
}
