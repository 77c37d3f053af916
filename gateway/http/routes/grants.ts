import { Type, type Static } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate, IsoDateIn, enumOf } from '../schemas.ts';
import { authOf, requireUser } from '../auth-hook.ts';
import { GRANT_STATES, type Action, type TimeWindow } from '../../domain/types.ts';
import { GRANTABLE_ACTIONS } from '../../grants/rules.ts';
import type { Grant } from '../../repositories/grants.repository.ts';
import type { Agreement } from '../../repositories/agreements.repository.ts';
import type { Camera } from '../../repositories/cameras.repository.ts';
import type { GrantRequestInput } from '../../grants/grants.service.ts';
import { scope } from '../../access/scope.ts';

const Window = Type.Object({ from: IsoDateIn, to: IsoDateIn }, { additionalProperties: false });
const WindowOut = Type.Object({ from: IsoDate, to: IsoDate });
const GrantAction = enumOf(GRANTABLE_ACTIONS);

const Selection = {
  cameraIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 500 })),
  near: Type.Optional(Type.Object({
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    radiusM: Type.Number({ exclusiveMinimum: 0, maximum: 20_000 }),
  }, { additionalProperties: false })),
  polygon: Type.Optional(Type.Array(Type.Tuple([Type.Number({ minimum: -180, maximum: 180 }), Type.Number({ minimum: -90, maximum: 90 })]), { minItems: 3, maxItems: 200 })),
};

const RequestBody = Type.Object({
  ...Selection,
  // Checked and canonicalised by canonicalCaseNumber (Unicode letters, CJK punctuation, 64 characters after NFC).
  caseNo: Type.String({ minLength: 1, maxLength: 256 }),
  reason: Type.String({ minLength: 1, maxLength: 2000 }),
  actions: Type.Array(GrantAction, { minItems: 1, maxItems: 5 }),
  footage: Type.Optional(Window),
  live: Type.Optional(Window),
  lifetimeMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 24 * 30 })),
  emergency: Type.Optional(Type.Boolean()),
  agreementId: Type.Optional(Uuid),
}, { additionalProperties: false });

export const GrantBody = Type.Object({
  id: Uuid,
  batchId: Uuid,
  parentId: Type.Union([Uuid, Type.Null()]),
  requesterUserId: Uuid,
  requesterStationId: Uuid,
  ownerStationId: Uuid,
  agreementId: Type.Union([Uuid, Type.Null()]),
  approverKind: enumOf(['station', 'owner'] as const),
  caseNo: Type.String(),
  reason: Type.String(),
  requestedCameraIds: Type.Array(Uuid),
  cameraIds: Type.Array(Uuid),
  requestedActions: Type.Array(Type.String()),
  actions: Type.Array(Type.String()),
  requestedFootage: Type.Union([WindowOut, Type.Null()]),
  footage: Type.Union([WindowOut, Type.Null()]),
  live: Type.Union([WindowOut, Type.Null()]),
  lifetimeMinutes: Type.Integer(),
  state: enumOf(GRANT_STATES),
  emergency: Type.Boolean(),
  reviewState: Type.Union([enumOf(['pending_review', 'upheld', 'misuse'] as const), Type.Null()]),
  reviewNote: Type.Union([Type.String(), Type.Null()]),
  decidedBy: Type.Union([Uuid, Type.Null()]),
  decidedAt: Type.Union([IsoDate, Type.Null()]),
  decisionReason: Type.Union([Type.String(), Type.Null()]),
  expiresAt: IsoDate,
  version: Type.Integer(),
  createdAt: IsoDate,
});

const win = (from: Date | null, to: Date | null) => (from && to ? { from, to } : null);
export const grantView = (g: Grant) => ({
  ...g,
  requestedFootage: win(g.requestedFootageFrom, g.requestedFootageTo),
  footage: win(g.footageFrom, g.footageTo),
  live: win(g.liveFrom, g.liveTo),
});

const AgreementBody = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  partyAId: Uuid,
  partyBId: Uuid,
  tier: Type.Integer(),
  allowedActions: Type.Array(Type.String()),
  maxFootageHours: Type.Integer(),
  maxGrantMinutes: Type.Integer(),
  emergencyAllowed: Type.Boolean(),
  emergencyMinutes: Type.Union([Type.Integer(), Type.Null()]),
  contacts: Type.Array(Type.Object({ name: Type.String(), phone: Type.Optional(Type.String()), role: Type.Optional(Type.String()) })),
  validFrom: IsoDate,
  validTo: Type.Union([IsoDate, Type.Null()]),
  active: Type.Boolean(),
});

const PreviewCamera = Type.Object({
  id: Uuid, name: Type.String(), stationId: Uuid, ownerClass: Type.String(), sharingMode: Type.Union([Type.String(), Type.Null()]),
  lat: Type.Number(), lon: Type.Number(), state: Type.String(),
});
const previewCamera = (c: Camera) => ({ id: c.id, name: c.name, stationId: c.stationId, ownerClass: c.ownerClass, sharingMode: c.sharingMode, lat: c.lat, lon: c.lon, state: c.state });
const Excluded = Type.Array(Type.Object({ cameraId: Uuid, reason: Type.String(), message: Type.String() }));
/** What the gateway changed in the request (e.g. a footage window clamped to now). */
const Notes = Type.Array(Type.Object({ code: Type.String(), message: Type.String() }));
/** Every route that answers with one grant wraps it the same way. */
const OneGrant = Type.Object({ grant: GrantBody });

const toWindow = (w: { from: string; to: string } | undefined): TimeWindow | null => (w ? { from: new Date(w.from), to: new Date(w.to) } : null);
function toInput(b: Static<typeof RequestBody>): GrantRequestInput {
  return {
    ...(b.cameraIds && { cameraIds: b.cameraIds }),
    ...(b.near && { near: b.near }),
    ...(b.polygon && { polygon: b.polygon as [number, number][] }),
    caseNo: b.caseNo,
    reason: b.reason,
    actions: b.actions as Action[],
    footage: toWindow(b.footage),
    live: toWindow(b.live),
    lifetimeMinutes: b.lifetimeMinutes ?? null,
    emergency: b.emergency ?? false,
    agreementId: b.agreementId ?? null,
  };
}

const IdParams = Type.Object({ id: Uuid });

export default async function grantRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const sec = { security: [{ bearer: [] }], tags: ['grants'] };
  const user = requireUser(gw);

  app.post('/grants/preview', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Expand a camera selection and check it against the agreements, without sending anything',
      body: RequestBody,
      response: withErrors({ 200: Type.Object({
        cameras: Type.Array(PreviewCamera),
        groups: Type.Array(Type.Object({
          ownerStationId: Uuid, approverKind: Type.String(), agreement: Type.Union([AgreementBody, Type.Null()]),
          cameraIds: Type.Array(Uuid), lifetimeMinutes: Type.Integer(),
        })),
        excluded: Excluded,
        notes: Notes,
        footage: Type.Union([WindowOut, Type.Null()]),
      }) }),
    },
  }, async (req) => {
    const p = await gw.grants.preview(authOf(req).user.id, toInput(req.body));
    return {
      cameras: p.cameras.map(previewCamera),
      groups: p.groups.map((g) => ({ ownerStationId: g.ownerStationId, approverKind: g.approverKind, agreement: g.agreement, cameraIds: g.cameras.map((c) => c.id), lifetimeMinutes: g.lifetimeMinutes })),
      excluded: p.excluded,
      notes: p.notes,
      footage: p.footage,
    };
  });

  app.post('/grants', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Request grants (one per owning station and approver); emergency grants start at once',
      body: RequestBody,
      response: withErrors({ 201: Type.Object({
        batchId: Uuid,
        grants: Type.Array(Type.Object({ grant: GrantBody, dedup: enumOf(['created', 'joined', 'extended', 'existing'] as const), joinedTo: Type.Union([Uuid, Type.Null()]) })),
        excluded: Excluded,
        notes: Notes,
      }) }),
    },
  }, async (req, reply) => {
    const { user: u } = authOf(req);
    const r = await gw.grants.request(u, toInput(req.body));
    return reply.status(201).send({ batchId: r.batchId, grants: r.grants.map((x) => ({ ...x, grant: grantView(x.grant) })), excluded: r.excluded, notes: r.notes });
  });

  app.get('/grants', {
    preHandler: user,
    schema: {
      ...sec, summary: "Grants: 'mine', 'inbox' (waiting for my decision), 'review' (emergency grants to review), 'station'",
      querystring: Type.Object({
        view: enumOf(['mine', 'inbox', 'review', 'station'] as const, { default: 'mine' }),
        state: Type.Optional(Type.Array(enumOf(GRANT_STATES), { maxItems: 6 })),
      }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({ items: Type.Array(GrantBody) }) }),
    },
  }, async (req) => {
    const items = await gw.grants.list(authOf(req).user.id, req.query.view ?? 'mine', req.query.state);
    return { items: items.map(grantView) };
  });

  app.get('/grants/:id', {
    preHandler: user,
    schema: {
      ...sec, params: IdParams,
      response: withErrors({ 200: Type.Object({
        grant: GrantBody,
        history: Type.Array(Type.Object({ at: IsoDate, actorId: Type.Union([Uuid, Type.Null()]), kind: Type.String(), fromState: Type.Union([Type.String(), Type.Null()]), toState: Type.Union([Type.String(), Type.Null()]), note: Type.Union([Type.String(), Type.Null()]) })),
      }) }),
    },
  }, async (req) => {
    const g = await gw.grants.byId(authOf(req).user.id, req.params.id);
    return { grant: grantView(g), history: await gw.grants.events(g.id) };
  });

  const Decision = Type.Object({
    cameraIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 500 })),
    actions: Type.Optional(Type.Array(GrantAction, { minItems: 1, maxItems: 5 })),
    footage: Type.Optional(Window),
    lifetimeMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 24 * 30 })),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
  }, { additionalProperties: false });

  app.post('/grants/:id/approve', {
    preHandler: user,
    schema: { ...sec, summary: 'Approve, optionally narrowed (fewer cameras, shorter window, fewer actions, shorter lifetime)', params: IdParams, body: Decision, response: withErrors({ 200: OneGrant }) },
  }, async (req) => {
    const b = req.body;
    const g = await gw.grants.decide(authOf(req).user, req.params.id, {
      decision: 'approve',
      narrow: {
        ...(b.cameraIds && { cameraIds: b.cameraIds }),
        ...(b.actions && { actions: b.actions as Action[] }),
        ...(b.footage && { footage: toWindow(b.footage)! }),
        ...(b.lifetimeMinutes && { lifetimeMinutes: b.lifetimeMinutes }),
      },
      reason: b.reason ?? null,
      ...(b.version !== undefined && { version: b.version }),
    });
    return { grant: grantView(g) };
  });

  app.post('/grants/:id/deny', {
    preHandler: user,
    schema: {
      ...sec, params: IdParams,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }), version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      response: withErrors({ 200: OneGrant }),
    },
  }, async (req) => {
    const g = await gw.grants.decide(authOf(req).user, req.params.id, { decision: 'deny', reason: req.body.reason, ...(req.body.version !== undefined && { version: req.body.version }) });
    return { grant: grantView(g) };
  });

  app.post('/grants/:id/revoke', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Revoke (owning station) or withdraw (requester); open sessions close in every gateway process', params: IdParams,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
      response: withErrors({ 200: OneGrant }),
    },
  }, async (req) => ({ grant: grantView(await gw.grants.revoke(authOf(req).user, req.params.id, req.body.reason)) }));

  app.post('/grants/:id/review', {
    preHandler: user,
    schema: {
      ...sec, summary: 'Review an emergency grant of your station', params: IdParams,
      body: Type.Object({ verdict: enumOf(['upheld', 'misuse'] as const), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
      response: withErrors({ 200: OneGrant }),
    },
  }, async (req) => ({ grant: grantView(await gw.grants.review(authOf(req).user, req.params.id, req.body.verdict, req.body.note ?? null)) }));

  app.get('/agreements', {
    preHandler: user,
    schema: { ...sec, tags: ['agreements'], summary: "Agreements covering the user's station (all, for auditors and admins)", response: withErrors({ 200: Type.Object({ items: Type.Array(AgreementBody) }) }) },
  }, async (req) => {
    const s = await gw.access.subject(authOf(req).user.id);
    const which = s ? scope(s).agreements() : null;
    const items: Agreement[] = !which ? [] : 'all' in which ? await gw.repos.agreements.list() : await gw.repos.agreements.forJurisdiction(which.stationId);
    return { items };
  });
}
