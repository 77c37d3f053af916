import type { FastifyInstance, FastifyError, FastifyReply } from 'fastify';
import { isAppError } from '../errors.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';

const FASTIFY_CODES: Record<string, [number, string, string?]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'request body is empty'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request'],
  FST_ERR_VALIDATION: [400, 'validation_failed'],
};

/** The database cannot answer right now (down, restarting, pool wait timed out): 503 with Retry-After, for every route. */
export function sendDatabaseUnavailable(reply: FastifyReply, err: unknown): FastifyReply {
  reply.log.warn({ err: (err as Error)?.message }, 'database unavailable');
  return reply.status(503).header('retry-after', '2').send({ error: { code: 'database_unavailable', message: 'the database is unavailable; try again shortly' } });
}

/** One mapping from thrown errors to `{ error: { code, message } }`; 5xx never shows internals. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isAppError(err)) {
      if (err.status >= 500) req.log.error({ err }, 'service error');
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    if (err.validation) {
      const v = err.validation[0];
      const where = err.validationContext ?? 'request';
      const field = v ? (v.instancePath || (v.params as { missingProperty?: string; additionalProperty?: string })?.missingProperty || (v.params as { additionalProperty?: string })?.additionalProperty || '') : '';
      const extra = (v?.params as { additionalProperty?: string })?.additionalProperty;
      const msg = extra
        ? `${where}: unknown field '${extra}'`
        : `${where}${field ? ` ${String(field).replace(/^\//, '').replaceAll('/', '.')}` : ''}: ${v?.message ?? 'invalid'}`;
      return reply.status(400).send({ error: { code: 'validation_failed', message: msg } });
    }
    if (err.statusCode === 429) {
      return reply.status(429).send({ error: { code: 'rate_limited', message: 'too many requests; slow down' } });
    }
    const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (mapped) {
      return reply.status(mapped[0]).send({ error: { code: mapped[1], message: mapped[2] ?? err.message } });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: 'bad_request', message: err.message } });
    }
    if (isDatabaseUnavailable(err)) return sendDatabaseUnavailable(reply, err);
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'Internal Server Error' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  );
}
