// Audit views beyond the auditor's JSON list: CSV export, and the owners' view of who accessed their camera.
import { canonicalCaseNumber } from '../../domain/case-number.ts';
import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate } from '../schemas.ts';
import { authOf, requireRole, requireUser } from '../auth-hook.ts';
import { AuditQueryString, RowId } from './audit.ts';
import { decide } from '../../access/policy.ts';
import { errors } from '../../errors.ts';
import type { NamedAuditRow } from '../../repositories/audit.repository.ts';
import { AUDIT, VIDEO_ACCESS_ACTIONS } from '../../audit/actions.ts';

const CSV_COLUMNS = ['id', 'at', 'actorUserId', 'actorName', 'actorUsername', 'actorStationName', 'action', 'outcome', 'cameraId', 'cameraName', 'grantId', 'stationId', 'stationName', 'caseNo', 'windowFrom', 'windowTo', 'reason', 'details'] as const;
const MAX_EXPORT_ROWS = 200_000;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Quote always when needed; a leading = + - @ is neutralised so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
export const csvRow = (r: Partial<NamedAuditRow>): string => CSV_COLUMNS.map((c) => csvCell(r[c])).join(',');

/** What the owner reads: live, snapshot, playback or export, from the audit action (and the token's requested action). */
function modeOf(r: NamedAuditRow): string {
  if (r.action === AUDIT.playToken) return String(r.details.playAction ?? 'token');
  if (r.action === AUDIT.liveOpen) return 'live';
  if (r.action === AUDIT.snapshot) return 'snapshot';
  if (r.action === AUDIT.playbackOpen) return 'playback';
  if (r.action === AUDIT.exportCreate) return 'export';
  return r.action;
}

const NamedRef = Type.Union([Type.Object({ id: Uuid, name: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]);

export default async function accessAuditRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  app.get('/audit/export.csv', {
    preHandler: requireRole(gw, ['auditor', 'system_admin']),
    schema: {
      security: [{ bearer: [] }], tags: ['audit'], summary: 'The audit rows matching the filter, as CSV',
      querystring: AuditQueryString,
      response: withErrors({ 200: Type.String() }),
    },
  }, async (req, reply) => {
    const q = req.query;
    const { user } = authOf(req);
    const lines = [CSV_COLUMNS.join(',')];
    let afterId = q.afterId ?? 0;
    const cap = Math.min(q.limit && q.limit !== 200 ? q.limit : MAX_EXPORT_ROWS, MAX_EXPORT_ROWS);
    while (lines.length - 1 < cap) {
      const rows = await gw.repos.audit.query({
        cameraId: q.cameraId, actorUserId: q.userId, grantId: q.grantId, caseNo: q.caseNo === undefined ? undefined : canonicalCaseNumber(q.caseNo), action: q.action,
        from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, afterId, limit: Math.min(5000, cap - (lines.length - 1)),
      });
      if (rows.length === 0) break;
      for (const r of rows) lines.push(csvRow(r));
      afterId = rows[rows.length - 1]!.id;
    }
    await gw.repos.audit.append({ action: AUDIT.auditExport, outcome: 'ok', actorUserId: user.id, actorName: user.username, details: { rows: lines.length - 1, filter: q } });
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="shouwang-audit-${new Date().toISOString().slice(0, 10)}.csv"`)
      .send(lines.join('\r\n') + '\r\n');
  });

  app.get('/my/cameras/:id/accesses', {
    preHandler: requireUser(gw),
    schema: {
      security: [{ bearer: [] }], tags: ['audit'], summary: 'A home camera owner sees every access to their camera',
      params: Type.Object({ id: Uuid }),
      querystring: Type.Object(
        {
          before: Type.Optional(RowId),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        },
        { additionalProperties: false },
      ),
      response: withErrors({ 200: Type.Object({
        items: Type.Array(Type.Object({
          id: Type.Integer(),
          at: IsoDate,
          /** live, snapshot, playback or export. */
          kind: Type.String(),
          /** The audit action name (play.token, video.live.open, …). */
          action: Type.String(),
          user: NamedRef,
          station: NamedRef,
          camera: NamedRef,
          caseNo: Type.Union([Type.String(), Type.Null()]),
          grantId: Type.Union([Uuid, Type.Null()]),
          grantNeeded: Type.Boolean(),
          note: Type.Union([Type.String(), Type.Null()]),
          emergency: Type.Boolean(),
          footage: Type.Union([Type.Object({ from: IsoDate, to: IsoDate }), Type.Null()]),
        })),
        nextBefore: Type.Union([Type.Integer(), Type.Null()]),
      }) }),
    },
  }, async (req) => {
    const { user } = authOf(req);
    const subject = await gw.access.subject(user.id);
    const camera = await gw.access.camera(req.params.id);
    if (!subject || !camera) throw errors.notFound('no such camera');
    const d = decide(subject, 'audit:read', { kind: 'audit', camera }, { now: new Date(), villageCommitteeMayView: gw.config.access.villageCommitteeMayView });
    if (!d.allow) throw errors.accessDenied(d.message, { reason: d.reason });
    // Newest first, paged by id: a flood of old refusals can never push new accesses out of view.
    const limit = req.query.limit ?? 100;
    const rows = await gw.repos.audit.query({
      cameraId: camera.id, actions: VIDEO_ACCESS_ACTIONS, outcome: 'allow', beforeId: req.query.before, order: 'desc', limit,
    });
    const items = rows.map((r) => {
      // Without a grant the viewer's own station holds the camera (or it is the owner): nothing had to be asked.
      const grantNeeded = r.grantId !== null;
      return {
        id: r.id,
        at: r.at,
        kind: modeOf(r),
        action: r.action,
        user: r.actorUserId ? { id: r.actorUserId, name: r.actorUsername ?? r.actorName } : null,
        station: r.actorStationId ? { id: r.actorStationId, name: r.actorStationName } : null,
        camera: r.cameraId ? { id: r.cameraId, name: r.cameraName } : null,
        caseNo: r.caseNo,
        grantId: r.grantId,
        grantNeeded,
        note: grantNeeded ? null : 'viewed by the camera\'s own station or owner: no grant was needed',
        emergency: r.details.emergency === true,
        footage: r.windowFrom && r.windowTo ? { from: r.windowFrom, to: r.windowTo } : null,
      };
    });
    await gw.repos.audit.append({ action: AUDIT.auditOwnerView, outcome: 'ok', actorUserId: user.id, actorName: user.username, cameraId: camera.id, reason: d.reason });
    return { items, nextBefore: rows.length === limit ? rows[rows.length - 1]!.id : null };
  });
}
