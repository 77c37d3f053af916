// HTTP of recorded footage: the listing (API, bearer session) and HLS playback (play token in the query,
// because hls.js fetches segments itself). Errors keep the one body shape, with `details.nearest` where useful.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isAppError } from '../../errors.ts';
import { ErrorBody, IsoDate, IsoDateIn, Uuid, enumOf, fileResponse, withErrors } from '../../http/schemas.ts';
import { authOf, requireUser } from '../../http/auth-hook.ts';
import type { Gateway } from '../../compose.ts';
import type { PlaybackService } from './playback.service.ts';
import { listRecordings, type ListingDeps } from './listing.ts';

const StreamQ = Type.Optional(enumOf(['main', 'sub'] as const));
const PlaylistQuery = Type.Object(
  { token: Type.Optional(Type.String({ maxLength: 8192 })), from: IsoDateIn, to: IsoDateIn, stream: StreamQ },
  { additionalProperties: false },
);
const SegmentQuery = Type.Object(
  { token: Type.Optional(Type.String({ maxLength: 8192 })), pb: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
const CameraParams = Type.Object({ cameraId: Uuid });
const SegmentParams = Type.Object({ cameraId: Uuid, segmentId: Type.String({ pattern: '^(?:[0-9]{1,18}|c[0-9]{1,15}-[0-9]{1,15})$' }) });
const mediaErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody, 500: ErrorBody, 503: ErrorBody };

const ListingBody = Type.Object({
  cameraId: Uuid,
  cameraName: Type.Union([Type.String(), Type.Null()]),
  stream: enumOf(['main', 'sub'] as const),
  from: IsoDate,
  to: IsoDate,
  scope: enumOf(['own', 'grant'] as const, { description: "'own': your own rights show the whole window; 'grant': only the grants' footage windows" }),
  visible: Type.Array(Type.Object({ from: IsoDate, to: IsoDate, grantId: Type.Union([Uuid, Type.Null()]) })),
  ranges: Type.Array(Type.Object({ from: IsoDate, to: IsoDate, source: enumOf(['gateway', 'camera'] as const) })),
  gaps: Type.Array(Type.Object({ from: IsoDate, to: IsoDate, reason: Type.String() })),
  speeds: Type.Array(Type.Number()),
});

function tokenOf(req: { headers: Record<string, unknown>; query: { token?: string | undefined } }): string | undefined {
  const h = req.headers['authorization'];
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim();
  return req.query.token;
}

export function sendMediaError(reply: FastifyReply, e: unknown): FastifyReply {
  if (isAppError(e)) {
    return reply.code(e.status).send({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });
  }
  reply.log.error(e);
  return reply.code(500).send({ error: { code: 'internal', message: 'Internal Server Error' } });
}

export function playbackRoutes(gw: Gateway, playback: PlaybackService, listing: ListingDeps) {
  return async function footagePlayback(raw: FastifyInstance): Promise<void> {
    const app = raw.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/cameras/:cameraId/recordings',
      {
        preHandler: requireUser(gw),
        schema: {
          tags: ['footage'], security: [{ bearer: [] }],
          summary: 'Recorded ranges (gateway and camera-side), merged, with gaps, clipped to what you may see',
          params: CameraParams,
          querystring: Type.Object({ from: IsoDateIn, to: IsoDateIn, stream: StreamQ }, { additionalProperties: false }),
          response: withErrors({ 200: ListingBody }),
        },
      },
      async (req) => {
        const l = await listRecordings(listing, {
          userId: authOf(req).user.id, cameraId: req.params.cameraId, stream: req.query.stream ?? 'main',
          window: { from: new Date(req.query.from), to: new Date(req.query.to) },
        });
        // Playback speed is the player's (hls.js playbackRate): the gateway serves the same segments at any speed.
        return { ...l, speeds: [1, 2, 4, 8] };
      },
    );

    app.get(
      '/media/playback/:cameraId/index.m3u8',
      {
        schema: {
          tags: ['footage'], summary: 'HLS VOD playlist of a footage window (play token with action playback)',
          params: CameraParams, querystring: PlaylistQuery,
          response: {
            200: fileResponse('application/vnd.apple.mpegurl', 'VOD playlist: EXT-X-PROGRAM-DATE-TIME per segment, EXT-X-DISCONTINUITY at gaps; header x-playback-id', Type.String()),
            ...mediaErrors,
          },
        },
      },
      async (req, reply) => {
        try {
          const r = await playback.playlist({
            token: tokenOf(req), cameraId: req.params.cameraId, stream: req.query.stream ?? 'main',
            window: { from: new Date(req.query.from), to: new Date(req.query.to) }, ip: req.ip,
          });
          return reply
            .header('content-type', 'application/vnd.apple.mpegurl')
            .header('cache-control', 'no-store')
            .header('x-playback-id', r.playbackId)
            .send(r.body);
        } catch (e) {
          return sendMediaError(reply, e);
        }
      },
    );

    app.get(
      '/media/playback/:cameraId/seg/:segmentId.ts',
      {
        schema: {
          tags: ['footage'], summary: 'One MPEG-TS segment of an open playback, clipped to the allowed window',
          params: SegmentParams, querystring: SegmentQuery,
          response: { 200: fileResponse('video/mp2t', 'MPEG-TS: only frames inside the allowed window'), ...mediaErrors },
        },
      },
      async (req, reply) => {
        try {
          const s = await playback.segment({
            token: tokenOf(req), cameraId: req.params.cameraId, segmentId: req.params.segmentId, playbackId: req.query.pb, ip: req.ip,
          });
          // destroy, not end: bytes still queued after a revoke must not reach the viewer
          const socket = req.raw.socket as { destroy?: () => void } | null;
          // Tracked until this response is done, so a keep-alive connection does not pile up listeners.
          s.track({ destroy: () => socket?.destroy?.(), once: (_ev, fn) => reply.raw.once('close', fn) });
          return reply.header('content-type', 'video/mp2t').header('cache-control', 'no-store').send(s.bytes);
        } catch (e) {
          return sendMediaError(reply, e);
        }
      },
    );
  };
}
