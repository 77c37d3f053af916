// Audit views beyond the auditor's JSON list: CSV export, and the owners' view of who accessed their camera.
import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate } from '../schemas.ts';
import { authOf, requireRole, requireUser } from '../auth-hook.ts';
import { AuditQueryString } from './audit.ts';
import { decide } from '../../access/policy.ts';
import { errors } from '../../errors.ts';
import type { AuditRow } from '../../repositories/audit.repository.ts';

const CSV_COLUMNS = ['id', 'at', 'actorUserId', 'actorName', 'action', 'outcome', 'cameraId', 'grantId', 'stationId', 'caseNo', 'windowFrom', 'windowTo', 'reason', 'details'] as const;
const MAX_EXPORT_ROWS = 200_000;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Quote always when needed; a leading = + - @ is neutralised so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
export const csvRow = (r: Partial<AuditRow>): string => CSV_COLUMNS.map((c) => csvCell(r[c])).join(',');

/** Audit actions that put video in front of someone. */
const ACCESS_ACTIONS = new Set(['play.token', 'live.open', 'snapshot', 'playback', 'export']);

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
        cameraId: q.cameraId, actorUserId: q.userId, grantId: q.grantId, caseNo: q.caseNo, action: q.action,
        from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, afterId, limit: Math.min(5000, cap - (lines.length - 1)),
      });
      if (rows.length === 0) break;
      for (const r of rows) lines.push(csvRow(r));
      afterId = rows[rows.length - 1]!.id;
    }
    await gw.repos.audit.append({ action: 'audit.export', outcome: 'ok', actorUserId: user.id, actorName: user.username, details: { rows: lines.length - 1, filter: q } });
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
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })) }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({
        items: Type.Array(Type.Object({
          at: IsoDate,
          kind: Type.String(),
          station: Type.Union([Type.Object({ id: Uuid, name: Type.String() }), Type.Null()]),
          caseNo: Type.Union([Type.String(), Type.Null()]),
          grantId: Type.Union([Uuid, Type.Null()]),
          emergency: Type.Boolean(),
          footage: Type.Union([Type.Object({ from: IsoDate, to: IsoDate }), Type.Null()]),
        })),
      }) }),
    },
  }, async (req) => {
    const { user } = authOf(req);
    const subject = await gw.access.subject(user.id);
    const camera = await gw.access.camera(req.params.id);
    if (!subject || !camera) throw errors.notFound('no such camera');
    const d = decide(subject, 'audit:read', { kind: 'audit', camera }, { now: new Date(), villageCommitteeMayView: gw.config.access.villageCommitteeMayView });
    if (!d.allow) throw errors.accessDenied(d.message, { reason: d.reason });
    const rows = (await gw.repos.audit.query({ cameraId: camera.id, limit: 10_000 }))
      .filter((r) => r.outcome === 'allow' && ACCESS_ACTIONS.has(r.action))
      .slice(-(req.query.limit ?? 500));
    const names = new Map<string, { id: string; name: string } | null>();
    const stationOf = async (id: unknown) => {
      if (typeof id !== 'string') return null;
      if (!names.has(id)) {
        const j = await gw.repos.jurisdictions.byId(id);
        names.set(id, j ? { id: j.id, name: j.name } : null);
      }
      return names.get(id) ?? null;
    };
    const items = [];
    for (const r of rows.reverse()) {
      items.push({
        at: r.at,
        kind: String(r.details.playAction ?? r.action),
        station: await stationOf(r.details.requesterStationId),
        caseNo: r.caseNo,
        grantId: r.grantId,
        emergency: r.details.emergency === true,
        footage: r.windowFrom && r.windowTo ? { from: r.windowFrom, to: r.windowTo } : null,
      });
    }
    await gw.repos.audit.append({ action: 'audit.owner_view', outcome: 'ok', actorUserId: user.id, actorName: user.username, cameraId: camera.id, reason: d.reason });
    return { items };
  });
}
