// Play tokens ride in media URLs (`?token=…`, players cannot set headers): the request log must never show them.
import type { FastifyRequest } from 'fastify';

const SECRET_PARAMS = new Set(['token', 'access_token', 'password', 'secret']);

/** The URL with every secret-bearing query parameter's value replaced; keys are matched decoded and case-blind. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((p) => {
    const eq = p.indexOf('=');
    const rawKey = eq < 0 ? p : p.slice(0, eq);
    let key = rawKey;
    try {
      key = decodeURIComponent(rawKey.replaceAll('+', ' '));
    } catch {
      /* undecodable key: compare as is */
    }
    return SECRET_PARAMS.has(key.trim().toLowerCase()) ? `${rawKey}=[redacted]` : p;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** Replaces fastify's `req` serializer: no headers (Authorization, cookies) and a redacted URL. */
export function redactedRequest(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: redactUrl(req.url ?? ''),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
