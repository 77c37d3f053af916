// Privacy-mask routes: read and save a camera's mask (owner/manager), its version history, lift it for one grant.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Gateway } from '../../compose.ts';
import { IsoDate, Uuid, withErrors } from '../../http/schemas.ts';
import { authOf, requireUser } from '../../http/auth-hook.ts';
import type { FootageRepository } from '../../repositories/footage.repository.ts';
import { MAX_RECTS, type MasksService } from './masks.service.ts';

const Rect = Type.Object({
  x: Type.Number({ minimum: 0, maximum: 1 }), y: Type.Number({ minimum: 0, maximum: 1 }),
  w: Type.Number({ minimum: 0, maximum: 1 }), h: Type.Number({ minimum: 0, maximum: 1 }),
}, { additionalProperties: false });
const MaskBody = Type.Object({
  cameraId: Uuid,
  version: Type.Integer(),
  rects: Type.Array(Rect),
  createdAt: Type.Union([IsoDate, Type.Null()]),
});

export function maskRoutes(gw: Gateway, masks: MasksService, repo: Pick<FootageRepository, 'maskHistory' | 'maskLiftsOf'>) {
  return async function footageMasks(raw: FastifyInstance): Promise<void> {
    const app = raw.withTypeProvider<TypeBoxTypeProvider>();
    const sec = { tags: ['footage'], security: [{ bearer: [] }] };
    const user = requireUser(gw);

    app.get('/api/v1/cameras/:id/masks', {
      preHandler: user,
      schema: { ...sec, summary: 'The camera’s current privacy mask (version 0: none)', params: Type.Object({ id: Uuid }), response: withErrors({ 200: MaskBody }) },
    }, async (req) => {
      const m = await masks.current(authOf(req).user, req.params.id);
      return { cameraId: req.params.id, version: m?.version ?? 0, rects: m?.rects ?? [], createdAt: m?.createdAt ?? null };
    });

    app.get('/api/v1/cameras/:id/masks/history', {
      preHandler: user,
      schema: {
        ...sec, summary: 'Every saved version of the camera’s privacy mask (newest first) and the grants it is lifted for',
        params: Type.Object({ id: Uuid }),
        response: withErrors({ 200: Type.Object({
          versions: Type.Array(Type.Object({ version: Type.Integer(), rects: Type.Array(Rect), createdAt: IsoDate, createdBy: Type.Union([Type.String(), Type.Null()]) })),
          lifts: Type.Array(Type.Object({ grantId: Uuid, maskVersion: Type.Integer(), liftedAt: IsoDate })),
        }) }),
      },
    }, async (req) => {
      // the same right as reading the current mask (manage the camera), checked by the service
      await masks.current(authOf(req).user, req.params.id);
      const [versions, lifts] = await Promise.all([repo.maskHistory(req.params.id), repo.maskLiftsOf(req.params.id)]);
      return { versions: versions.map((v) => ({ version: v.version, rects: v.rects, createdAt: v.createdAt, createdBy: v.createdByName })), lifts };
    });

    app.put('/api/v1/cameras/:id/masks', {
      preHandler: user,
      schema: {
        ...sec, summary: 'Save a new version of the privacy mask: rectangles as fractions of the frame, blurred for every viewer but the owner',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ rects: Type.Array(Rect, { maxItems: MAX_RECTS }) }, { additionalProperties: false }),
        response: withErrors({ 200: MaskBody }),
      },
    }, async (req) => {
      const m = await masks.save(authOf(req).user, req.params.id, req.body.rects);
      return { cameraId: m.cameraId, version: m.version, rects: m.rects, createdAt: m.createdAt };
    });

    app.post('/api/v1/grants/:id/mask-lift', {
      preHandler: user,
      schema: {
        ...sec, summary: 'The camera owner lifts the privacy mask for this grant (recorded in the grant’s exports’ manifests)',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ cameraId: Uuid }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ grantId: Uuid, cameraId: Uuid, maskVersion: Type.Integer() }) }),
      },
    }, async (req) => masks.lift(authOf(req).user, req.params.id, req.body.cameraId));
  };
}
