// Evidence export routes: start (202 + progress events), status, per-case list, and the two downloads.
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Gateway } from '../../compose.ts';
import { errors } from '../../errors.ts';
import { AUDIT } from '../../audit/actions.ts';
import { IsoDate, IsoDateIn, Uuid, withErrors } from '../../http/schemas.ts';
import { authOf, requireUser } from '../../http/auth-hook.ts';
import type { ExportRow } from '../../repositories/footage.repository.ts';
import type { Authorize } from '../playback/media-contract.ts';
import type { ExportDeps, ExportService } from './export.service.ts';

const ExportBody = Type.Object({
  id: Uuid,
  cameraId: Uuid,
  stream: Type.String(),
  grantId: Type.Union([Uuid, Type.Null()]),
  caseNo: Type.Union([Type.String(), Type.Null()]),
  from: IsoDate,
  to: IsoDate,
  watermark: Type.Boolean(),
  state: Type.String(),
  progress: Type.Number(),
  source: Type.String(),
  clipSha256: Type.Union([Type.String(), Type.Null()]),
  clipBytes: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  auditId: Type.Union([Type.Number(), Type.Null()]),
  createdAt: IsoDate,
  finishedAt: Type.Union([IsoDate, Type.Null()]),
});
const IdParams = Type.Object({ id: Uuid });

const view = (r: ExportRow) => ({
  id: r.id, cameraId: r.cameraId, stream: r.stream, grantId: r.grantId, caseNo: r.caseNo, from: r.from, to: r.to, watermark: r.watermark,
  state: r.state, progress: r.progress, source: r.source, clipSha256: r.clipSha256, clipBytes: r.clipBytes, error: r.error,
  auditId: r.auditId, createdAt: r.createdAt, finishedAt: r.finishedAt,
});

export function exportRoutes(gw: Gateway, exports: ExportService, deps: { authorize: Authorize; issueToken: ExportDeps['issueToken'] }) {
  return async function footageExport(app: FastifyInstance): Promise<void> {
    const sec = { tags: ['footage'], security: [{ bearer: [] }] };
    const user = requireUser(gw);

    /** Only the requester sees an export; anyone else gets the same 404 as for a missing one. */
    async function own(userId: string, id: string): Promise<ExportRow> {
      const row = await exports.repoRow(id);
      if (!row || row.requesterId !== userId) throw errors.notFound('no such export');
      return row;
    }

    app.post<{ Body: { cameraId: string; from: string; to: string; watermark?: boolean; grantId?: string; stream?: 'main' | 'sub' } }>('/api/v1/exports', {
      preHandler: user,
      config: { rateLimit: { max: 20, timeWindow: 60_000 } },
      schema: {
        ...sec, summary: 'Export a footage window as an MP4 clip with a signed manifest (progress: export.progress events)',
        body: Type.Object({
          cameraId: Uuid, from: IsoDateIn, to: IsoDateIn, watermark: Type.Optional(Type.Boolean()), grantId: Type.Optional(Uuid),
          stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')])),
        }, { additionalProperties: false }),
        response: withErrors({ 202: ExportBody }),
      },
    }, async (req, reply) => {
      const auth = authOf(req);
      const b = req.body;
      const { row } = await exports.create(auth.user, auth.sessionId, {
        cameraId: b.cameraId, stream: b.stream ?? 'main', window: { from: new Date(b.from), to: new Date(b.to) },
        watermark: b.watermark ?? false, grantId: b.grantId ?? null,
      }, req.ip);
      return reply.status(202).send(view(row));
    });

    app.get<{ Querystring: { caseNo?: string } }>('/api/v1/exports', {
      preHandler: user,
      schema: {
        ...sec, summary: 'Your exports, optionally of one case (auditors: every export of the case)',
        querystring: Type.Object({ caseNo: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(ExportBody) }) }),
      },
    }, async (req) => {
      const u = authOf(req).user;
      const caseNo = req.query.caseNo;
      let rows: ExportRow[];
      if (caseNo && u.role === 'auditor') rows = await exports.ofCase(caseNo);
      else rows = (await exports.ofRequester(u.id)).filter((r) => !caseNo || r.caseNo === caseNo);
      return { items: rows.map(view) };
    });

    app.get<{ Params: { id: string } }>('/api/v1/exports/:id', {
      preHandler: user,
      schema: { ...sec, summary: 'Status and progress of an export', params: IdParams, response: withErrors({ 200: ExportBody }) },
    }, async (req) => view(await own(authOf(req).user.id, req.params.id)));

    for (const name of ['clip.mp4', 'manifest.json'] as const) {
      app.get<{ Params: { id: string } }>(`/api/v1/exports/:id/${name}`, {
        preHandler: user,
        schema: { ...sec, summary: `Download the export's ${name} (re-authorised and audited)`, params: IdParams, response: withErrors({}) },
      }, async (req, reply) => {
        const a = authOf(req);
        const row = await own(a.user.id, req.params.id);
        const file = exports.fileOf(row, name);
        // The grant may have been revoked since: downloading is a new authorisation, not a stored right.
        const token = await deps.issueToken(a.user, a.sessionId, { cameraId: row.cameraId, footage: { from: row.from, to: row.to }, grantId: row.grantId });
        const ok = await deps.authorize({ token, cameraId: row.cameraId, action: 'export', footage: { from: row.from, to: row.to }, ip: req.ip });
        await gw.repos.audit.append({
          action: AUDIT.exportDownload, outcome: 'allow', actorUserId: a.user.id, actorName: a.user.username, cameraId: row.cameraId,
          grantId: ok.grantId, caseNo: row.caseNo, windowFrom: row.from, windowTo: row.to, reason: name, details: { exportId: row.id },
        });
        return reply
          .header('content-type', name === 'clip.mp4' ? 'video/mp4' : 'application/json')
          .header('content-disposition', `attachment; filename="${row.id}-${name}"`)
          .header('cache-control', 'no-store')
          .send(createReadStream(file));
      });
    }
  };
}
