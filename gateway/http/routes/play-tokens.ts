import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate, IsoDateIn, enumOf } from '../schemas.ts';
import { authOf, bearer, requireUser } from '../auth-hook.ts';

const PLAY_ACTIONS = ['live', 'playback', 'export', 'snapshot'] as const;

export default async function playTokenRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const sec = { security: [{ bearer: [] }], tags: ['access'] };
  app.post('/play-tokens', {
    preHandler: requireUser(gw),
    // Per session: a player asks once per camera and action, not per segment.
    config: { rateLimit: { max: 120, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => bearer(req) ?? req.ip } },
    schema: {
      ...sec,
      summary: 'A short-lived signed play token for one camera and action, from your own rights or an approved grant',
      body: Type.Object({
        cameraId: Uuid,
        action: enumOf(PLAY_ACTIONS),
        footage: Type.Optional(Type.Object({ from: IsoDateIn, to: IsoDateIn }, { additionalProperties: false })),
        grantId: Type.Optional(Uuid),
        caseNo: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Without grantId: use this case’s grant' })),
      }, { additionalProperties: false }),
      response: withErrors({ 201: Type.Object({
        token: Type.String(),
        expiresAt: IsoDate,
        grantId: Type.Union([Uuid, Type.Null()]),
        reason: Type.String(),
        cameraIds: Type.Array(Uuid),
        actions: Type.Array(Type.String()),
        footage: Type.Union([Type.Object({ from: IsoDate, to: IsoDate }), Type.Null()]),
        live: Type.Union([Type.Object({ from: IsoDate, to: IsoDate }), Type.Null()]),
      }) }),
    },
  }, async (req, reply) => {
    const auth = authOf(req);
    const b = req.body;
    const r = await gw.playTokens.issue(auth.user, auth.sessionId, {
      cameraId: b.cameraId,
      action: b.action,
      footage: b.footage ? { from: new Date(b.footage.from), to: new Date(b.footage.to) } : null,
      grantId: b.grantId ?? null,
      caseNo: b.caseNo ?? null,
    });
    const c = r.claims;
    const w = (a?: number, z?: number) => (a !== undefined && z !== undefined ? { from: new Date(a * 1000), to: new Date(z * 1000) } : null);
    return reply.status(201).send({
      token: r.token, expiresAt: r.expiresAt, grantId: r.grantId, reason: r.reason, cameraIds: [...c.cams], actions: [...c.act],
      footage: w(c.ff, c.ft), live: w(c.lf, c.lt),
    });
  });

  app.get('/play-tokens/jwks', {
    schema: {
      tags: ['access'], summary: 'Public keys that verify play tokens (for media workers)',
      response: { 200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
    },
  }, async () => gw.access.keyRing.publicJwks() as { keys: Array<Record<string, unknown>> });
}
