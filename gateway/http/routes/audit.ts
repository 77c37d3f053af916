import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate, IsoDateIn } from '../schemas.ts';
import { requireRole } from '../auth-hook.ts';
import { verifyAuditChain } from '../../audit/verify.ts';

export const AuditEntryBody = Type.Object({
  id: Type.Integer(),
  at: IsoDate,
  actorUserId: Type.Union([Uuid, Type.Null()]),
  actorName: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  outcome: Type.String(),
  cameraId: Type.Union([Uuid, Type.Null()]),
  grantId: Type.Union([Uuid, Type.Null()]),
  stationId: Type.Union([Uuid, Type.Null()]),
  caseNo: Type.Union([Type.String(), Type.Null()]),
  windowFrom: Type.Union([IsoDate, Type.Null()]),
  windowTo: Type.Union([IsoDate, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});

export const AuditQueryString = Type.Object(
  {
    cameraId: Type.Optional(Uuid),
    userId: Type.Optional(Uuid),
    grantId: Type.Optional(Uuid),
    caseNo: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    from: Type.Optional(IsoDateIn),
    to: Type.Optional(IsoDateIn),
    afterId: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })),
  },
  { additionalProperties: false },
);

export default async function auditRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const sec = { security: [{ bearer: [] }], tags: ['audit'] };
  app.get(
    '/audit',
    {
      preHandler: requireRole(gw, ['auditor', 'system_admin']),
      schema: { ...sec, querystring: AuditQueryString, response: withErrors({ 200: Type.Object({ items: Type.Array(AuditEntryBody) }) }) },
    },
    async (req) => {
      const q = req.query;
      const rows = await gw.repos.audit.query({
        cameraId: q.cameraId, actorUserId: q.userId, grantId: q.grantId, caseNo: q.caseNo, action: q.action,
        from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, afterId: q.afterId, limit: q.limit,
      });
      return { items: rows.map(({ prevHash: _p, hash: _h, ...r }) => r) };
    },
  );

  app.get(
    '/audit/verify',
    {
      preHandler: requireRole(gw, ['auditor', 'system_admin']),
      schema: {
        ...sec,
        response: withErrors({
          200: Type.Object({ intact: Type.Boolean(), rows: Type.Integer(), firstBrokenId: Type.Union([Type.Integer(), Type.Null()]), problem: Type.Union([Type.String(), Type.Null()]) }),
        }),
      },
    },
    async () => verifyAuditChain(gw.repos.audit),
  );
}
