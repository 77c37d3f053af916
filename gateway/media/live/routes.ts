// HTTP-FLV, WS-FLV and snapshot routes of the live edge. Viewers never reach a media worker.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import websocket from '@fastify/websocket';
import { Type, type Static } from 'typebox';
import type { WebSocket } from 'ws';
import { isAppError } from '../../errors.ts';
import { isDatabaseUnavailable } from '../../db/unavailable.ts';
import { sendDatabaseUnavailable } from '../../http/errors-plugin.ts';
import type { LiveEdge, PreparedLive } from './live-edge.ts';
import type { ViewerSink } from '../edge-types.ts';

const Params = Type.Object({ cameraId: Type.String({ minLength: 1, maxLength: 128 }) });
const Query = Type.Object(
  {
    stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')])),
    token: Type.Optional(Type.String({ maxLength: 8192 })),
  },
  { additionalProperties: false },
);
const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    state: Type.Optional(Type.String()),
    reason: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
});
const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 500: ErrorBody, 503: ErrorBody };

type Req = FastifyRequest<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>;

function tokenOf(req: Req): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  return req.query.token;
}

/** What the edge authorises a live view or snapshot on: the token, the camera and stream, the caller's address. */
function viewOf(req: Req) {
  return { token: tokenOf(req), cameraId: req.params.cameraId, stream: req.query.stream ?? 'main', ip: req.ip };
}

function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  if (isAppError(e)) {
    const d = e.details ?? {};
    const body: Static<typeof ErrorBody> = { error: { code: e.code, message: e.message } };
    if (typeof d['state'] === 'string') body.error.state = d['state'];
    if (d['reason'] !== undefined) body.error.reason = d['reason'] as string | null;
    if (e.status === 503) reply.header('retry-after', '2');
    return reply.code(e.status).send(body);
  }
  // An overloaded or restarting database (pool wait timed out, connection lost): retry, as the API says it.
  if (isDatabaseUnavailable(e)) return sendDatabaseUnavailable(reply, e);
  reply.log.error(e);
  return reply.code(500).send({ error: { code: 'internal', message: 'Internal Server Error' } });
}

/** HTTP-FLV straight on the socket: close-delimited body, one shared Buffer per write, no chunk framing. */
function socketSink(socket: Socket): ViewerSink {
  return {
    write: (b) => void socket.write(b),
    buffered: () => socket.writableLength,
    // destroy, not end: bytes still queued after a revoke must not reach the viewer
    close: () => socket.destroy(),
    onClose: (cb) => void socket.once('close', cb),
  };
}

function wsSink(ws: WebSocket): ViewerSink {
  return {
    write: (b) => ws.send(b, { binary: true }),
    buffered: () => ws.bufferedAmount,
    close: (reason) => {
      ws.close(4000, reason.slice(0, 100));
      // a stalled peer never answers the close frame
      setTimeout(() => ws.terminate(), 1000).unref();
    },
    onClose: (cb) => void ws.once('close', cb),
  };
}

const FLV_HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nCache-Control: no-store\r\nConnection: close\r\n' +
  'X-Content-Type-Options: nosniff\r\n\r\n';

/** Fastify plugin: `app.register(liveRoutes(edge))`. */
export function liveRoutes(edge: LiveEdge) {
  return async function live(app: FastifyInstance): Promise<void> {
    if (!app.hasDecorator('websocketServer')) await app.register(websocket, { options: { maxPayload: 4096 } });

    app.get(
      '/media/live/:cameraId.flv',
      { schema: { params: Params, querystring: Query, response: errorResponses } },
      async (req: Req, reply) => {
        let prepared: PreparedLive;
        try {
          prepared = await edge.prepareLive(viewOf(req));
        } catch (e) {
          return sendError(reply, e);
        }
        const socket = req.raw.socket;
        if (socket.destroyed) {
          prepared.cancel();
          return reply;
        }
        reply.hijack();
        socket.setNoDelay(true);
        socket.write(FLV_HEAD);
        edge.attach(prepared, socketSink(socket), 'http-flv');
        return reply;
      },
    );

    app.get(
      '/media/live/:cameraId.ws',
      {
        websocket: true,
        schema: { params: Params, querystring: Query, response: errorResponses },
        // authorise before the upgrade: a refused viewer gets an HTTP status, never a socket
        preHandler: async (req: Req, reply) => {
          try {
            const prepared = await edge.prepareLive(viewOf(req));
            (req as unknown as { prepared?: PreparedLive }).prepared = prepared;
            req.raw.socket.once('close', () => prepared.cancel());
          } catch (e) {
            return sendError(reply, e);
          }
        },
      },
      (socket: WebSocket, req: FastifyRequest) => {
        const prepared = (req as unknown as { prepared?: PreparedLive }).prepared;
        if (!prepared) return socket.close(1011, 'not prepared');
        edge.attach(prepared, wsSink(socket), 'ws-flv');
      },
    );

    app.get(
      '/media/snapshot/:cameraId.jpg',
      { schema: { params: Params, querystring: Query, response: errorResponses } },
      async (req: Req, reply) => {
        try {
          const jpeg = await edge.snapshot(viewOf(req));
          return reply.header('content-type', 'image/jpeg').header('cache-control', 'private, max-age=2').send(jpeg);
        } catch (e) {
          return sendError(reply, e);
        }
      },
    );
  };
}
