// Footage holds an admin can see and release (audited). Holds for grants are created by the recorder.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Gateway } from '../../compose.ts';
import { AUDIT } from '../../audit/actions.ts';
import { errors } from '../../errors.ts';
import { authOf, requireRole } from '../../http/auth-hook.ts';
import { Uuid, withErrors } from '../../http/schemas.ts';
import { recordingsRepository } from '../../repositories/recordings.repository.ts';

const HoldBody = Type.Object({
  id: Type.Integer(),
  cameraId: Type.String(),
  startAt: Type.String({ format: 'date-time' }),
  endAt: Type.String({ format: 'date-time' }),
  grantId: Type.Union([Type.String(), Type.Null()]),
  caseNo: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  releasedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** Fastify plugin, registered under /api/v1. */
export function footageHoldRoutes(gw: Gateway) {
  return async function holds(plain: FastifyInstance): Promise<void> {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    const repo = recordingsRepository(gw.db);
    const sec = { security: [{ bearer: [] }], tags: ['recordings'] };
    const view = (h: Awaited<ReturnType<typeof repo.holds>>[number]) => ({
      id: h.id, cameraId: h.cameraId, startAt: h.startAt.toISOString(), endAt: h.endAt.toISOString(), grantId: h.grantId,
      caseNo: h.caseNo, reason: h.reason, releasedAt: h.releasedAt ? h.releasedAt.toISOString() : null,
    });

    app.get(
      '/cameras/:id/footage-holds',
      {
        preHandler: requireRole(gw, ['system_admin']),
        schema: { ...sec, summary: 'Unreleased footage holds of a camera', params: Type.Object({ id: Uuid }), response: withErrors({ 200: Type.Object({ items: Type.Array(HoldBody) }) }) },
      },
      async (req) => ({ items: (await repo.holds(req.params.id)).map(view) }),
    );

    app.post(
      '/footage-holds/:id/release',
      {
        preHandler: requireRole(gw, ['system_admin']),
        schema: {
          ...sec,
          summary: 'Release a footage hold: the footage may then age out (audited)',
          params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) }),
          body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false }),
          response: withErrors({ 200: HoldBody }),
        },
      },
      async (req) => {
        const actor = authOf(req).user;
        const h = await repo.releaseHold(req.params.id, actor.id);
        if (!h) throw errors.notFound('no such unreleased hold');
        await gw.repos.audit.append({
          action: AUDIT.holdRelease, outcome: 'info', actorUserId: actor.id, cameraId: h.cameraId, grantId: h.grantId, caseNo: h.caseNo,
          reason: req.body.reason, details: { holdId: h.id, from: h.startAt.toISOString(), to: h.endAt.toISOString() },
        });
        return view(h);
      },
    );
  };
}
