// Serves the built web viewer (web-viewer/dist) at `/` under a strict Content-Security-Policy, with the SPA
// fallback for client routes, long caching for hashed assets, and GET /api/v1/viewer-config for the page.
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Gateway } from '../compose.ts';
import { createHash } from 'node:crypto';
import { errors } from '../errors.ts';
import { REPORT_CSS } from '../tracing/route-report.ts';

/** The route report's one style block, allowed by hash: the viewer opens report.html from a blob, which inherits this CSP. */
const REPORT_STYLE_HASH = `'sha256-${createHash('sha256').update(REPORT_CSS).digest('base64')}'`;

const DIST = fileURLToPath(new URL('../../web-viewer/dist/', import.meta.url));
const TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.json': 'application/json',
};
// Paths the page never owns: unknown ones there stay JSON 404s.
const NOT_PAGES = /^\/(api|media|healthz|readyz|test)(\/|$)/;

export function viewerCsp(tileUrl: string | null): string {
  let tileOrigin = '';
  try {
    if (tileUrl) tileOrigin = ` ${new URL(tileUrl.replace(/\{[xyz]\}/g, '0')).origin}`;
  } catch {
    tileOrigin = '';
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' ${REPORT_STYLE_HASH}`,
    `img-src 'self' data: blob:${tileOrigin}`,
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export default async function webViewer(app: FastifyInstance, gw: Gateway): Promise<void> {
  const tileUrl = gw.config.viewer.tileUrl;
  const csp = viewerCsp(tileUrl);

  app.get('/api/v1/viewer-config', {
    schema: {
      tags: ['viewer'], summary: 'Settings the web viewer needs before login (map tile URL, if any)',
      response: { 200: Type.Object({ tileUrl: Type.Union([Type.String(), Type.Null()]) }) },
    },
  }, async () => ({ tileUrl }));

  const send = (reply: FastifyReply, file: string, immutable: boolean) => {
    reply.header('content-security-policy', csp);
    reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.type(TYPES[path.extname(file)] ?? 'application/octet-stream');
    return reply.send(createReadStream(file));
  };

  app.get('/assets/*', { schema: { hide: true } }, async (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    const file = path.resolve(DIST, 'assets', rel);
    // only files directly under dist/assets: no traversal, no directories
    if (!/^[\w.-]+$/.test(rel) || !file.startsWith(path.join(DIST, 'assets') + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      throw errors.notFound('no such asset');
    }
    return send(reply, file, true);
  });

  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const url = req.url.split('?')[0]!;
    if (NOT_PAGES.test(url)) throw errors.notFound(`no route ${req.method} ${url}`);
    const index = path.join(DIST, 'index.html');
    if (!existsSync(index)) throw errors.unavailable('the web viewer is not built; run npm install or npm start');
    return send(reply, index, false);
  });
}
