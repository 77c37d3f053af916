// Cases, sightings, reachable cameras, corridor, one-step requests, timeline and the route report.
import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate, IsoDateIn, enumOf } from '../schemas.ts';
import { authOf, requireUser } from '../auth-hook.ts';
import { GRANTABLE_ACTIONS } from '../../grants/rules.ts';
import type { Action } from '../../domain/types.ts';
import type { Case, CaseMember } from '../../repositories/cases.repository.ts';
import type { Sighting } from '../../repositories/sightings.repository.ts';
import { TRAVEL_MODES } from '../../tracing/reachability.ts';
import { verifyRouteReport, type SignedRouteReport } from '../../tracing/route-report.ts';
import { errors } from '../../errors.ts';

const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lon = Type.Number({ minimum: -180, maximum: 180 });
const WindowOut = Type.Object({ from: IsoDate, to: IsoDate });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const CaseBody = Type.Object({
  id: Uuid, caseNo: Type.String(), title: Type.String(), ownerStationId: Uuid, createdBy: Uuid, openedAt: IsoDate,
  status: enumOf(['open', 'closed'] as const), closedAt: Nullable(IsoDate), createdAt: IsoDate,
});
const caseView = (c: Case) => c;
const MemberBody = Type.Object({ userId: Uuid, username: Type.String(), role: Type.String(), addedAt: IsoDate });
const memberView = (m: CaseMember) => m;
const SightingBody = Type.Object({
  id: Uuid, caseId: Uuid, cameraId: Uuid, seenAt: IsoDate, note: Type.String(), confidence: Type.Number(),
  snapshotSha256: Nullable(Type.String()), accessGrantId: Nullable(Uuid), createdBy: Uuid, createdAt: IsoDate, updatedAt: IsoDate, version: Type.Integer(),
});
const sightingView = (s: Sighting) => s;
const SightingCamera = Type.Object({ id: Uuid, name: Type.String(), lat: Type.Number(), lon: Type.Number(), ownerClass: Type.String(), stationId: Uuid, removed: Type.Boolean() });

const CameraAnswer = Type.Object({
  cameraId: Uuid, name: Type.String(), lat: Type.Number(), lon: Type.Number(), ownerClass: Type.String(), sharingMode: Nullable(Type.String()),
  ownerStation: Type.Object({ id: Uuid, name: Type.String() }), ownStation: Type.Boolean(),
  distanceM: Type.Number(), arrivalMinutes: Nullable(Type.Number()), arrivalAt: IsoDate, headingAgreement: Nullable(Type.Number()),
  footage: WindowOut,
  agreement: Nullable(Type.Object({ id: Uuid, code: Type.String(), name: Type.String(), tier: Type.Integer() })),
  contacts: Type.Array(Type.Object({ name: Type.String(), phone: Nullable(Type.String()) })),
  access: Type.Object({ canView: Type.Boolean(), reason: Type.String(), grantId: Nullable(Uuid) }),
  footageRecorded: Type.Boolean(),
});
const Capped = { capped: Type.Boolean(), cap: Type.Integer(), note: Type.Optional(Type.String()) };

const IdParams = Type.Object({ id: Uuid });
const SightingParams = Type.Object({ id: Uuid, sightingId: Uuid });
const GrantAction = enumOf(GRANTABLE_ACTIONS);

export default async function caseRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const sec = { security: [{ bearer: [] }], tags: ['cases'] };
  const user = requireUser(gw);
  const t = gw.tracing;
  const actor = (req: Parameters<typeof authOf>[0]) => {
    const u = authOf(req).user;
    return { id: u.id, username: u.username };
  };

  app.post('/cases', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Open a case (the case number is unique across every station)',
      body: Type.Object({ caseNo: Type.String({ minLength: 1, maxLength: 256 }), title: Type.String({ minLength: 1, maxLength: 200 }), openedAt: Type.Optional(IsoDateIn) }, { additionalProperties: false }),
      response: withErrors({ 201: CaseBody }),
    },
  }, async (req, reply) => {
    const c = await t.cases.create(actor(req), { caseNo: req.body.caseNo, title: req.body.title, openedAt: req.body.openedAt ? new Date(req.body.openedAt) : null });
    return reply.status(201).send(caseView(c));
  });

  app.get('/cases', {
    preHandler: user,
    schema: { ...sec, summary: 'Cases I am a member of', querystring: Type.Object({ status: Type.Optional(enumOf(['open', 'closed'] as const)) }, { additionalProperties: false }), response: withErrors({ 200: Type.Object({ items: Type.Array(CaseBody) }) }) },
  }, async (req) => ({ items: (await t.cases.list(authOf(req).user.id, req.query.status)).map(caseView) }));

  app.get('/cases/:id', {
    preHandler: user,
    schema: { ...sec, params: IdParams, response: withErrors({ 200: Type.Object({ case: CaseBody, members: Type.Array(MemberBody) }) }) },
  }, async (req) => {
    const r = await t.cases.get(authOf(req).user.id, req.params.id);
    return { case: caseView(r.c), members: r.members.map(memberView) };
  });

  app.post('/cases/:id/members', {
    preHandler: user,
    schema: { ...sec, summary: 'The owner invites an investigator of its own or a partner station', params: IdParams, body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), response: withErrors({ 200: Type.Object({ members: Type.Array(MemberBody) }) }) },
  }, async (req) => ({ members: (await t.cases.addMember(actor(req), req.params.id, req.body.username)).map(memberView) }));

  app.delete('/cases/:id/members/:userId', {
    preHandler: user,
    schema: { ...sec, params: Type.Object({ id: Uuid, userId: Uuid }), response: withErrors({ 200: Type.Object({ members: Type.Array(MemberBody) }) }) },
  }, async (req) => ({ members: (await t.cases.removeMember(actor(req), req.params.id, req.params.userId)).map(memberView) }));

  app.post('/cases/:id/close', {
    preHandler: user,
    schema: { ...sec, summary: 'Close the case and release its footage holds', params: IdParams, body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }), response: withErrors({ 200: Type.Object({ case: CaseBody, holdsReleased: Type.Integer() }) }) },
  }, async (req) => {
    const r = await t.cases.close(actor(req), req.params.id, req.body.reason);
    return { case: caseView(r.c), holdsReleased: r.holdsReleased };
  });

  app.post('/cases/:id/sightings', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Mark a sighting; the camera must be viewable to you at that time; a snapshot comes with the play token that fetched it',
      params: IdParams,
      body: Type.Object({
        cameraId: Uuid, seenAt: IsoDateIn, note: Type.Optional(Type.String({ maxLength: 2000 })), confidence: Type.Number({ minimum: 0, maximum: 1 }),
        snapshot: Type.Optional(Type.Object({ playToken: Type.String({ minLength: 1, maxLength: 4096 }), jpegBase64: Type.String({ minLength: 4, maxLength: 700_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' }) }, { additionalProperties: false })),
      }, { additionalProperties: false }),
      response: withErrors({ 201: SightingBody }),
    },
  }, async (req, reply) => {
    const b = req.body;
    const s = await t.sightings.add(actor(req), req.params.id, {
      cameraId: b.cameraId, seenAt: new Date(b.seenAt), note: b.note ?? '', confidence: b.confidence,
      snapshot: b.snapshot ? { playToken: b.snapshot.playToken, jpeg: Buffer.from(b.snapshot.jpegBase64, 'base64') } : null,
    });
    return reply.status(201).send(sightingView(s));
  });

  app.get('/cases/:id/sightings', {
    preHandler: user,
    schema: {
      ...sec, summary: 'The route: sightings in time order, and where their cameras are (partner cameras too: metadata, not video)', params: IdParams,
      response: withErrors({ 200: Type.Object({ items: Type.Array(SightingBody), cameras: Type.Array(SightingCamera) }) }),
    },
  }, async (req) => {
    const r = await t.sightings.routeWithCameras(authOf(req).user.id, req.params.id);
    return { items: r.items.map(sightingView), cameras: r.cameras };
  });

  app.patch('/cases/:id/sightings/:sightingId', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Edit a sighting (the previous version is kept in its history)', params: SightingParams,
      body: Type.Object({ cameraId: Type.Optional(Uuid), seenAt: Type.Optional(IsoDateIn), note: Type.Optional(Type.String({ maxLength: 2000 })), confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })), version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      response: withErrors({ 200: SightingBody }),
    },
  }, async (req) => {
    const b = req.body;
    return sightingView(await t.sightings.edit(actor(req), req.params.id, req.params.sightingId, {
      ...(b.cameraId && { cameraId: b.cameraId }), ...(b.seenAt && { seenAt: new Date(b.seenAt) }), ...(b.note !== undefined && { note: b.note }),
      ...(b.confidence !== undefined && { confidence: b.confidence }), ...(b.version !== undefined && { version: b.version }),
    }));
  });

  app.delete('/cases/:id/sightings/:sightingId', {
    preHandler: user,
    schema: { ...sec, params: SightingParams, response: withErrors({ 204: Type.Null() }) },
  }, async (req, reply) => {
    await t.sightings.remove(actor(req), req.params.id, req.params.sightingId);
    return reply.status(204).send(null);
  });

  app.get('/cases/:id/sightings/:sightingId/history', {
    preHandler: user,
    schema: { ...sec, params: SightingParams, response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Object({ version: Type.Integer(), kind: Type.String(), changedBy: Uuid, changedAt: IsoDate, before: Nullable(Type.Record(Type.String(), Type.Unknown())), after: Nullable(Type.Record(Type.String(), Type.Unknown())) })) }) }) },
  }, async (req) => ({ items: await t.sightings.history(authOf(req).user.id, req.params.id, req.params.sightingId) }));

  app.get('/cases/:id/sightings/:sightingId/snapshot.jpg', {
    preHandler: user,
    schema: { ...sec, summary: 'The sighting’s still (you must be allowed to view that camera at that time)', params: SightingParams, response: withErrors({ 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) }) },
  }, async (req, reply) => {
    const jpeg = await t.sightings.snapshot(authOf(req).user.id, req.params.id, req.params.sightingId);
    return reply.header('content-type', 'image/jpeg').header('cache-control', 'private, no-store').send(jpeg);
  });

  app.post('/cases/:id/reachable', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Cameras in any jurisdiction the subject could have passed within N minutes, by arrival time and heading',
      params: IdParams,
      body: Type.Object({
        from: Type.Union([Type.Object({ sightingId: Uuid }, { additionalProperties: false }), Type.Object({ lat: Lat, lon: Lon, at: IsoDateIn }, { additionalProperties: false })]),
        mode: enumOf(TRAVEL_MODES), minutes: Type.Integer({ minimum: 1, maximum: 60 * 24 * 30 }), direction: enumOf(['after', 'before'] as const),
        slackMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
      }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({
        caseId: Uuid, caseNo: Type.String(),
        origin: Type.Object({ lat: Type.Number(), lon: Type.Number(), at: IsoDate, sightingId: Nullable(Uuid), headingDeg: Nullable(Type.Number()) }),
        mode: Type.String(), minutes: Type.Integer(), direction: Type.String(), slackMinutes: Type.Integer(), radiusM: Type.Integer(),
        ...Capped, cameras: Type.Array(CameraAnswer),
      }) }),
    },
  }, async (req) => {
    const b = req.body;
    const from = 'sightingId' in b.from ? { sightingId: b.from.sightingId } : { lat: b.from.lat, lon: b.from.lon, at: new Date(b.from.at) };
    return t.reachable.reachable(authOf(req).user.id, req.params.id, { from, mode: b.mode, minutes: b.minutes, direction: b.direction, ...(b.slackMinutes !== undefined && { slackMinutes: b.slackMinutes }) });
  });

  app.post('/cases/:id/corridor', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Cameras within a corridor along a drawn polyline or the case’s sightings, with windows interpolated along the route',
      params: IdParams,
      body: Type.Object({
        polyline: Type.Optional(Type.Array(Type.Object({ lat: Lat, lon: Lon, at: Type.Optional(IsoDateIn) }, { additionalProperties: false }), { minItems: 2, maxItems: 500 })),
        useSightings: Type.Optional(Type.Boolean()),
        widthM: Type.Integer({ minimum: 10, maximum: 10_000 }),
        mode: Type.Optional(enumOf(TRAVEL_MODES)),
        slackMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
      }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({
        caseId: Uuid, caseNo: Type.String(), widthM: Type.Integer(), slackMinutes: Type.Integer(),
        route: Type.Array(Type.Object({ lat: Type.Number(), lon: Type.Number(), at: IsoDate })),
        ...Capped, cameras: Type.Array(CameraAnswer),
      }) }),
    },
  }, async (req) => {
    const b = req.body;
    if ((b.polyline ? 1 : 0) + (b.useSightings ? 1 : 0) !== 1) throw errors.validation("give either 'polyline' or 'useSightings: true'");
    return t.reachable.corridor(authOf(req).user.id, req.params.id, {
      ...(b.polyline && { polyline: b.polyline.map((p) => ({ lat: p.lat, lon: p.lon, at: p.at ? new Date(p.at) : null })) }),
      useSightings: b.useSightings === true, widthM: b.widthM, ...(b.mode && { mode: b.mode }), ...(b.slackMinutes !== undefined && { slackMinutes: b.slackMinutes }),
    });
  });

  app.post('/cases/:id/requests', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Request footage of many cameras in one step: one grant request per owning station, case attached, joined with the case’s existing requests',
      params: IdParams,
      body: Type.Object({
        cameras: Type.Optional(Type.Array(Type.Object({ cameraId: Uuid, from: IsoDateIn, to: IsoDateIn }, { additionalProperties: false }), { minItems: 1, maxItems: 5000 })),
        polygon: Type.Optional(Type.Object({ ring: Type.Array(Type.Tuple([Lon, Lat]), { minItems: 3, maxItems: 500 }), from: IsoDateIn, to: IsoDateIn }, { additionalProperties: false })),
        reason: Type.String({ minLength: 1, maxLength: 2000 }),
        actions: Type.Array(GrantAction, { minItems: 1, maxItems: 5 }),
      }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({
        caseId: Uuid, caseNo: Type.String(),
        requests: Type.Array(Type.Object({ ownerStationId: Uuid, footage: WindowOut, grants: Type.Array(Type.Object({ grantId: Uuid, dedup: Type.String(), state: Type.String(), approverKind: Type.String() })) })),
        cameras: Type.Array(Type.Object({
          cameraId: Uuid, outcome: enumOf(['created', 'joined', 'extended', 'existing', 'already_viewable', 'not_requested'] as const),
          grantId: Type.Optional(Nullable(Uuid)), ownerStationId: Nullable(Uuid), code: Type.Optional(Type.String()), reason: Type.Optional(Type.String()), message: Type.Optional(Type.String()),
        })),
      }) }),
    },
  }, async (req) => {
    const b = req.body;
    return t.requests.request(actor(req), req.params.id, {
      ...(b.cameras && { cameras: b.cameras.map((c) => ({ cameraId: c.cameraId, from: new Date(c.from), to: new Date(c.to) })) }),
      ...(b.polygon && { polygon: { ring: b.polygon.ring as [number, number][], from: new Date(b.polygon.from), to: new Date(b.polygon.to) } }),
      reason: b.reason, actions: b.actions as Action[],
    });
  });

  app.get('/cases/:id/timeline', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Sightings and granted windows per camera on one time axis', params: IdParams,
      response: withErrors({ 200: Type.Object({
        caseId: Uuid, caseNo: Type.String(), axis: Nullable(WindowOut),
        cameras: Type.Array(Type.Object({
          cameraId: Uuid, stationId: Nullable(Uuid),
          sightings: Type.Array(Type.Object({ sightingId: Uuid, at: IsoDate, confidence: Type.Number(), note: Type.String() })),
          windows: Type.Array(Type.Object({ grantId: Uuid, state: Type.String(), requesterUserId: Uuid, from: IsoDate, to: IsoDate, actions: Type.Array(Type.String()) })),
        })),
      }) }),
    },
  }, async (req) => t.cases.timeline(authOf(req).user.id, req.params.id));

  const ReportDoc = Type.Object({
    report: Type.Record(Type.String(), Type.Unknown()),
    signature: Type.Object({ alg: Type.String(), kid: Type.String(), sha256: Type.String(), jws: Type.String() }),
  });

  app.get('/cases/:id/report.json', {
    preHandler: user,
    schema: { ...sec, summary: 'The route report, signed (EdDSA, detached JWS over the canonical JSON); audited', params: IdParams, response: withErrors({ 200: ReportDoc }) },
  }, async (req) => (await t.reports.json(actor(req), req.params.id)) as unknown as { report: Record<string, unknown>; signature: SignedRouteReport['signature'] });

  app.get('/cases/:id/report.html', {
    preHandler: user,
    schema: { ...sec, summary: 'The route report as a printable page (SVG route over boundaries); audited', params: IdParams, response: withErrors({ 200: Type.String() }) },
  }, async (req, reply) => reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'private, no-store').send(await t.reports.html(actor(req), req.params.id)));

  app.post('/cases/report/verify', {
    preHandler: user,
    schema: { ...sec, summary: 'Check a route report’s signature against the gateway’s keys', body: ReportDoc, response: withErrors({ 200: Type.Object({ valid: Type.Boolean(), kid: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) }) }) },
  }, async (req) => verifyRouteReport(req.body as unknown as SignedRouteReport, gw.access.keyRing));
}
