// Evidence export routes: start (202 + progress events), status, per-case list, and the two downloads.
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Gateway } from '../../compose.ts';
import { errors } from '../../errors.ts';
import { AUDIT } from '../../audit/actions.ts';
import { ErrorBody, IsoDate, IsoDateIn, Uuid, enumOf, fileResponse, withErrors } from '../../http/schemas.ts';
import { authOf, requireUser } from '../../http/auth-hook.ts';
import type { ExportRow } from '../../repositories/footage.repository.ts';
import type { Authorize } from '../playback/media-contract.ts';
import type { ExportDeps, ExportService } from './export.service.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const ExportBody = Type.Object({
  id: Uuid,
  cameraId: Uuid,
  stream: enumOf(['main', 'sub'] as const),
  grantId: Type.Union([Uuid, Type.Null()]),
  caseNo: Type.Union([Type.String(), Type.Null()]),
  /** The window exported: the request inside what the caller may export. */
  from: IsoDate,
  to: IsoDate,
  watermark: Type.Boolean(),
  state: enumOf(['running', 'done', 'failed'] as const),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  source: enumOf(['gateway', 'camera'] as const, { description: 'gateway recording or the camera’s SD card (ONVIF Profile G)' }),
  clipSha256: Type.Union([Type.String(), Type.Null()]),
  clipBytes: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  auditId: Type.Union([Type.Number(), Type.Null()]),
  createdAt: IsoDate,
  finishedAt: Type.Union([IsoDate, Type.Null()]),
});
const IdParams = Type.Object({ id: Uuid });
const Win = Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) });
const Person = Type.Object({ id: Uuid, name: Nullable(Type.String()) });
const Rects = Type.Array(Type.Object({ x: Type.Number(), y: Type.Number(), w: Type.Number(), h: Type.Number() }));
/** The signed manifest as `/manifest.json` serves it (gateway/media/export/manifest.ts: EvidenceManifest, SignedManifest). */
export const SignedManifestBody = Type.Object({
  manifest: Type.Object({
    type: Type.Literal('shouwang-evidence-manifest/1'),
    exportId: Uuid,
    camera: Type.Object({
      id: Uuid, name: Type.String(), ownerClass: Type.String(),
      ownerStation: Type.Object({ id: Uuid, code: Nullable(Type.String()), name: Nullable(Type.String()) }),
    }),
    stream: Type.String(),
    source: enumOf(['gateway', 'camera'] as const),
    requested: Win,
    allowed: Nullable(Win),
    actual: Type.Object({ firstFrame: Type.String({ format: 'date-time' }), lastFrame: Type.String({ format: 'date-time' }) }),
    gaps: Type.Array(Type.Object({ from: Type.String(), to: Type.String(), reason: Type.String() })),
    segments: Type.Array(Type.Object({ id: Type.String(), start: Type.String(), end: Type.String(), bytes: Type.Number(), sha256: Type.String() })),
    merkleRoot: Type.String({ description: 'RFC 6962-style root over the segments’ SHA-256 in time order' }),
    clip: Type.Object({ file: Type.String(), format: Type.Literal('mp4'), bytes: Type.Number(), sha256: Type.String() }),
    transform: Type.Object({
      cut: Type.String(),
      replay: Nullable(Type.Object({ recordingToken: Type.String(), range: Type.String() })),
      ffmpeg: Type.Object({ args: Type.Array(Type.String()) }),
      watermark: Nullable(Type.Object({ text: Type.String() })),
      masks: Type.Array(Type.Object({ version: Type.Integer(), rects: Rects })),
      maskLifted: Nullable(Type.Object({ grantId: Uuid, maskVersion: Type.Integer(), liftedBy: Uuid })),
    }),
    grant: Nullable(Type.Object({ id: Uuid, caseNo: Type.String(), requester: Person, approver: Nullable(Person) })),
    requester: Type.Object({ id: Uuid, name: Type.String() }),
    caseNo: Nullable(Type.String()),
    exportedAt: Type.String({ format: 'date-time' }),
    auditId: Nullable(Type.Number()),
  }),
  signature: Type.Object({
    alg: Type.Literal('EdDSA'), kid: Type.String(),
    jws: Type.String({ description: 'Compact JWS whose payload is the canonical JSON of `manifest`; keys: GET /api/v1/play-tokens/jwks' }),
  }),
});

const view = (r: ExportRow) => ({
  id: r.id, cameraId: r.cameraId, stream: r.stream, grantId: r.grantId, caseNo: r.caseNo, from: r.from, to: r.to, watermark: r.watermark,
  state: r.state, progress: r.progress, source: r.source, clipSha256: r.clipSha256, clipBytes: r.clipBytes, error: r.error,
  auditId: r.auditId, createdAt: r.createdAt, finishedAt: r.finishedAt,
});

export function exportRoutes(gw: Gateway, exports: ExportService, deps: { authorize: Authorize; issueToken: ExportDeps['issueToken'] }) {
  return async function footageExport(raw: FastifyInstance): Promise<void> {
    const app = raw.withTypeProvider<TypeBoxTypeProvider>();
    const sec = { tags: ['footage'], security: [{ bearer: [] }] };
    const user = requireUser(gw);

    /** Only the requester sees an export; anyone else gets the same 404 as for a missing one. */
    async function own(userId: string, id: string): Promise<ExportRow> {
      const row = await exports.repoRow(id);
      if (!row || row.requesterId !== userId) throw errors.notFound('no such export');
      return row;
    }

    app.post('/api/v1/exports', {
      preHandler: user,
      config: { rateLimit: { max: 20, timeWindow: 60_000 } },
      schema: {
        ...sec, summary: 'Export a footage window as an MP4 clip with a signed manifest (progress: export.progress events)',
        body: Type.Object({
          cameraId: Uuid, from: IsoDateIn, to: IsoDateIn, watermark: Type.Optional(Type.Boolean()), grantId: Type.Optional(Uuid),
          stream: Type.Optional(enumOf(['main', 'sub'] as const)),
        }, { additionalProperties: false }),
        response: { ...withErrors({ 202: ExportBody }), 503: ErrorBody },
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

    app.get('/api/v1/exports', {
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

    app.get('/api/v1/exports/:id', {
      preHandler: user,
      schema: { ...sec, summary: 'Status and progress of an export', params: IdParams, response: withErrors({ 200: ExportBody }) },
    }, async (req) => view(await own(authOf(req).user.id, req.params.id)));

    const files = {
      'clip.mp4': fileResponse('video/mp4', 'The evidence clip (MP4)'),
      'manifest.json': fileResponse('application/json', 'The signed manifest; `npm run evidence:verify` checks it offline', SignedManifestBody),
    };
    for (const name of ['clip.mp4', 'manifest.json'] as const) {
      app.get(`/api/v1/exports/:id/${name}`, {
        preHandler: user,
        schema: {
          ...sec, summary: `Download the export's ${name} (re-authorised and audited; 409 export_not_ready until it is done)`,
          params: IdParams, response: { ...withErrors({}), 200: files[name], 503: ErrorBody },
        },
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
