import { canonicalCaseNumber } from '../../domain/case-number.ts';
import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate, IsoDateIn } from '../schemas.ts';
import { requireRole } from '../auth-hook.ts';
import { verifyAuditLog } from '../../audit/verify-with-checkpoints.ts';
import { CheckpointKeys, exportCheckpoint } from '../../audit/checkpoints.ts';
import { errors } from '../../errors.ts';

const Name = Type.Union([Type.String(), Type.Null()]);

export const AuditEntryBody = Type.Object({
  id: Type.Integer(),
  at: IsoDate,
  actorUserId: Type.Union([Uuid, Type.Null()]),
  actorName: Type.Union([Type.String(), Type.Null()]),
  actorUsername: Name,
  actorStationName: Name,
  action: Type.String(),
  outcome: Type.String(),
  cameraId: Type.Union([Uuid, Type.Null()]),
  cameraName: Name,
  grantId: Type.Union([Uuid, Type.Null()]),
  stationId: Type.Union([Uuid, Type.Null()]),
  stationName: Name,
  caseNo: Type.Union([Type.String(), Type.Null()]),
  windowFrom: Type.Union([IsoDate, Type.Null()]),
  windowTo: Type.Union([IsoDate, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});

/** Row ids are bigint in PostgreSQL and numbers here: above 2^53 they would not even compare right. */
export const RowId = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const AuditQueryString = Type.Object(
  {
    cameraId: Type.Optional(Uuid),
    userId: Type.Optional(Uuid),
    grantId: Type.Optional(Uuid),
    caseNo: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    from: Type.Optional(IsoDateIn),
    to: Type.Optional(IsoDateIn),
    afterId: Type.Optional(RowId),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })),
  },
  { additionalProperties: false },
);

const BrokenRow = Type.Object({ id: Type.Integer(), problem: Type.String() });
const CheckpointProblem = Type.Object({ source: Type.String(), headId: Type.Integer(), problem: Type.String() });
const VerifyBody = Type.Object({
  intact: Type.Boolean(),
  rows: Type.Integer(),
  headId: Type.Union([Type.Integer(), Type.Null()]),
  firstBrokenId: Type.Union([Type.Integer(), Type.Null()]),
  problem: Type.Union([Type.String(), Type.Null()]),
  broken: Type.Array(BrokenRow),
  brokenCount: Type.Integer(),
  checkpoints: Type.Object({ checked: Type.Integer(), failed: Type.Array(CheckpointProblem) }),
});
const CheckpointClaimsBody = Type.Object({
  iss: Type.String(),
  headId: Type.Integer(),
  headHash: Type.String(),
  rows: Type.Integer(),
  at: Type.String(),
});
const ExportedCheckpointBody = Type.Object({
  id: Type.Union([Type.Integer(), Type.Null()]),
  checkpoint: CheckpointClaimsBody,
  jws: Type.String(),
  jwk: Type.Record(Type.String(), Type.Unknown()),
});
const SuppliedCheckpoint = Type.Union([
  Type.String({ minLength: 1, maxLength: 4096 }),
  Type.Object({ jws: Type.String({ minLength: 1, maxLength: 4096 }), jwk: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
]);

export default async function auditRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const sec = { security: [{ bearer: [] }], tags: ['audit'] };
  const auditors = requireRole(gw, ['auditor', 'system_admin']);
  app.get(
    '/audit',
    {
      preHandler: auditors,
      schema: { ...sec, querystring: AuditQueryString, response: withErrors({ 200: Type.Object({ items: Type.Array(AuditEntryBody) }) }) },
    },
    async (req) => {
      const q = req.query;
      const rows = await gw.repos.audit.query({
        cameraId: q.cameraId, actorUserId: q.userId, grantId: q.grantId, caseNo: q.caseNo === undefined ? undefined : canonicalCaseNumber(q.caseNo), action: q.action,
        from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, afterId: q.afterId, limit: q.limit,
      });
      return { items: rows.map(({ prevHash: _p, hash: _h, ...r }) => r) };
    },
  );

  const verify = (supplied: unknown[] = []) =>
    verifyAuditLog({ audit: gw.repos.audit, checkpoints: gw.repos.auditCheckpoints, supplied });

  app.get(
    '/audit/verify',
    { preHandler: auditors, schema: { ...sec, summary: 'Walk the whole chain and hold it against every stored checkpoint', response: withErrors({ 200: VerifyBody }) } },
    async () => verify(),
  );

  app.post(
    '/audit/verify',
    {
      preHandler: auditors,
      schema: {
        ...sec,
        summary: 'As GET, and also against checkpoints the caller kept (exported JSON or bare JWS)',
        body: Type.Object({ checkpoints: Type.Array(SuppliedCheckpoint, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
        response: withErrors({ 200: VerifyBody }),
      },
    },
    async (req) => verify(req.body.checkpoints),
  );

  app.post(
    '/audit/checkpoints',
    {
      preHandler: auditors,
      schema: { ...sec, summary: 'Sign a checkpoint of the current head now', response: withErrors({ 200: Type.Object({ checkpoint: Type.Union([ExportedCheckpointBody, Type.Null()]) }) }) },
    },
    async () => {
      await gw.checkpointer.now();
      const row = await gw.repos.auditCheckpoints.latest();
      if (!row) return { checkpoint: null };
      const keys = await CheckpointKeys.from(await gw.repos.auditCheckpoints.publicKeys());
      return { checkpoint: exportCheckpoint(row, keys) };
    },
  );

  app.get(
    '/audit/checkpoints',
    {
      preHandler: auditors,
      schema: {
        ...sec,
        summary: 'Signed checkpoints of the audit chain, newest first',
        querystring: Type.Object(
          { before: Type.Optional(RowId), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ items: Type.Array(ExportedCheckpointBody), nextBefore: Type.Union([Type.Integer(), Type.Null()]) }) }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const rows = await gw.repos.auditCheckpoints.list({ beforeId: req.query.before, limit });
      const keys = await CheckpointKeys.from(await gw.repos.auditCheckpoints.publicKeys());
      return { items: rows.map((r) => exportCheckpoint(r, keys)), nextBefore: rows.length === limit ? rows[rows.length - 1]!.id : null };
    },
  );

  app.get(
    '/audit/checkpoints/:id',
    {
      preHandler: auditors,
      schema: {
        ...sec,
        summary: 'One checkpoint as a file a partner can keep: claims, compact JWS, the public key',
        params: Type.Object({ id: RowId }),
        response: withErrors({ 200: ExportedCheckpointBody }),
      },
    },
    async (req, reply) => {
      const row = await gw.repos.auditCheckpoints.byId(req.params.id);
      if (!row) throw errors.notFound('no such checkpoint');
      const keys = await CheckpointKeys.from(await gw.repos.auditCheckpoints.publicKeys());
      return reply
        .header('content-disposition', `attachment; filename="shouwang-audit-checkpoint-${row.id}.json"`)
        .send(exportCheckpoint(row, keys));
    },
  );
}
