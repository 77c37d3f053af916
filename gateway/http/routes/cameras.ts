import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate, enumOf, ErrorBody } from '../schemas.ts';
import { authOf, requireRole, requireUser } from '../auth-hook.ts';
import { OWNER_CLASSES, SHARING_MODES, type Role, type Subject } from '../../domain/types.ts';
import { genericStateReason, stateReasonFor } from '../../cameras/state-reason.ts';
import { errors } from '../../errors.ts';
import { subjectOf } from '../../services/subjects.ts';
import { toCameraResource, type Camera } from '../../repositories/cameras.repository.ts';
import { scope } from '../../access/scope.ts';
import { toGrantView } from '../../access/runtime.ts';
import { runBulkEnrolment } from '../../cameras/bulk-enrolment.ts';
import { MAX_CSV_BYTES } from '../../cameras/csv.ts';
import { discover } from '../../../camera-adapters/onvif/index.ts';

// The whitelist of camera fields that leave the gateway: never credentials, never stream URIs.
export const CameraBody = Type.Object({
  id: Uuid,
  deviceId: Type.String(),
  name: Type.String(),
  ownerClass: enumOf(OWNER_CLASSES),
  stationId: Uuid,
  villageId: Type.Union([Uuid, Type.Null()]),
  ownerUserId: Type.Union([Uuid, Type.Null()]),
  ownerName: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
  sharingMode: Type.Union([enumOf(SHARING_MODES), Type.Null()]),
  delegatedToCommittee: Type.Boolean(),
  lat: Type.Number(),
  lon: Type.Number(),
  /** host:port, for those who manage the camera only; null for everyone else. */
  endpoint: Type.Union([Type.String(), Type.Null()]),
  enabled: Type.Boolean(),
  state: Type.String(),
  stateReason: Type.Union([Type.String(), Type.Null()]),
  lastSeenAt: Type.Union([IsoDate, Type.Null()]),
  deviceInfo: Type.Object({ manufacturer: Type.Optional(Type.String()), model: Type.Optional(Type.String()), firmware: Type.Optional(Type.String()) }),
  profiles: Type.Array(Type.Object({ token: Type.String(), name: Type.String(), encoding: Type.String(), width: Type.Number(), height: Type.Number(), fps: Type.Union([Type.Number(), Type.Null()]) })),
  createdAt: IsoDate,
});

/** The camera as this subject may see it: owner data and the device address only where scope() allows. */
function view(s: Subject, c: Camera) {
  const may = scope(s).cameraFields(toCameraResource(c));
  return {
    ...c,
    ownerName: may.owner ? c.ownerName : null,
    address: may.owner ? c.address : null,
    endpoint: may.endpoint ? `${c.onvifHost}:${c.onvifPort}` : null,
    // Operators read the health detail; lower ranks, and partners reading a granted camera, only which part failed.
    stateReason: may.health ? stateReasonFor(s.role, c.stateReason) : genericStateReason(c.stateReason),
  };
}

const EnrolBody = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 80 }),
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ maxLength: 256 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    ownerClass: enumOf(OWNER_CLASSES),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    address: Type.Optional(Type.String({ maxLength: 200 })),
    ownerName: Type.Optional(Type.String({ maxLength: 100 })),
    ownerPhone: Type.Optional(Type.String({ maxLength: 20 })),
    ownerUserId: Type.Optional(Uuid),
    sharingMode: Type.Optional(enumOf(SHARING_MODES)),
    consentDate: Type.Optional(Type.String({ format: 'date' })),
    consentDocumentRef: Type.Optional(Type.String({ maxLength: 200 })),
    delegatedToCommittee: Type.Optional(Type.Boolean()),
    mediaPorts: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 8, description: 'Ports the camera serves video on besides cameras.mediaPorts (default 554, 8554)' })),
  },
  { additionalProperties: false },
);

const ENROLLERS = ['officer', 'duty_officer', 'village_committee', 'system_admin'] as const;

async function actorOf(gw: Gateway, req: FastifyRequest): Promise<Subject & { username: string }> {
  const { user } = authOf(req);
  return { ...(await subjectOf(user, gw.repos.jurisdictions)), username: user.username };
}

/** Is this (not removed) camera in the subject's scope? */
function inScope(s: Subject, cam: Camera | undefined): cam is Camera {
  return Boolean(cam && !cam.removedAt && scope(s).seesCamera(cam));
}

export default async function cameraRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const sec = { security: [{ bearer: [] }], tags: ['cameras'] };

  app.addContentTypeParser(['text/csv', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: MAX_CSV_BYTES }, (_req, body, done) => done(null, body));

  app.get(
    '/cameras',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec,
        summary: 'Cameras this user may see listed (own station, village, or own cameras)',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }), afterId: Type.Optional(Uuid), stationId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(CameraBody) }) }),
      },
    },
    async (req) => {
      const actor = await actorOf(gw, req);
      const filter = scope(actor).cameras;
      if (!filter) return { items: [] };
      if (req.query.stationId && filter.stationId && req.query.stationId !== filter.stationId) return { items: [] };
      const items = await gw.repos.cameras.list({ ...filter, ...(req.query.stationId && !filter.stationId ? { stationId: req.query.stationId } : {}), limit: req.query.limit, afterId: req.query.afterId });
      return { items: items.map((c) => view(actor, c)) };
    },
  );

  app.get(
    '/cameras/:id',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec,
        summary: 'One camera in your scope, or one an approved grant of yours names (then without owner data, device address or health detail)',
        params: Type.Object({ id: Uuid }), response: withErrors({ 200: CameraBody }),
      },
    },
    async (req) => {
      const actor = await actorOf(gw, req);
      const cam = await gw.repos.cameras.byId(req.params.id);
      if (!cam || cam.removedAt) throw errors.notFound('no such camera');
      const sc = scope(actor);
      if (sc.seesCamera(cam)) return view(actor, cam);
      // a grantee's partner camera: its name and basic facts for the grant's cards and tiles
      const now = new Date();
      const grants = (await gw.repos.grants.approvedFor(actor.userId, cam.id, now)).map(toGrantView);
      if (sc.seesGrantedCamera(toCameraResource(cam), grants, now)) return view(actor, cam);
      throw errors.notFound('no such camera');
    },
  );

  app.post(
    '/cameras',
    {
      preHandler: requireRole(gw, [...ENROLLERS]),
      schema: { ...sec, summary: 'Enrol one camera: probe it over ONVIF, assign its jurisdiction from its location, store it', body: EnrolBody, response: withErrors({ 201: CameraBody, 422: ErrorBody }) },
    },
    async (req, reply) => {
      const actor = await actorOf(gw, req);
      const cam = await gw.enrolment.enrol(actor, { ...req.body });
      return reply.status(201).send(view(actor, cam));
    },
  );

  app.post(
    '/cameras/bulk',
    {
      preHandler: requireRole(gw, [...ENROLLERS]),
      bodyLimit: MAX_CSV_BYTES,
      schema: {
        ...sec,
        summary: 'Bulk enrolment from CSV (UTF-8 or GBK). dryRun=true validates and probes without storing. Accept: application/x-ndjson streams progress lines then the result.',
        querystring: Type.Object({ dryRun: Type.Boolean({ default: true }), fileName: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
        response: withErrors({
          200: Type.Object({
            batchId: Uuid, dryRun: Type.Boolean(), encoding: Type.String(), total: Type.Integer(), done: Type.Integer(),
            counts: Type.Record(Type.String(), Type.Integer()),
            rows: Type.Array(Type.Object({
              row: Type.Integer(), status: Type.String(), host: Type.String(), port: Type.Union([Type.Integer(), Type.Null()]), cameraId: Type.Optional(Uuid), code: Type.Optional(Type.String()), reason: Type.Optional(Type.String()),
              changes: Type.Optional(Type.Array(Type.String())),
              ownerChange: Type.Optional(Type.Object({ from: Type.Union([Type.String(), Type.Null()]), to: Type.String() })),
            })),
          }),
          413: ErrorBody,
        }),
      },
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw errors.validation('send the CSV file as the request body with Content-Type: text/csv');
      const actor = await actorOf(gw, req);
      const stream = /application\/x-ndjson/.test(req.headers.accept ?? '');
      const deps = { enrolment: gw.enrolment, cameras: gw.repos.cameras, db: gw.db };
      const opts = { dryRun: req.query.dryRun, fileName: req.query.fileName ?? null, concurrency: gw.config.cameras.bulkConcurrency };
      const push = (p: { done: number; total: number; counts: Record<string, number> }) =>
        gw.events.publish({ type: 'enrolment.progress', userIds: [actor.userId], payload: { ...p, dryRun: opts.dryRun } });
      if (!stream) return runBulkEnrolment(deps, actor, req.body, { ...opts, onProgress: push });
      // NDJSON: one progress line per update, then the full result; the CLI draws its progress bar from these.
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
      try {
        const result = await runBulkEnrolment(deps, actor, req.body, {
          ...opts,
          onProgress: (p) => {
            push(p);
            reply.raw.write(JSON.stringify({ type: 'progress', ...p }) + '\n');
          },
        });
        reply.raw.end(JSON.stringify({ type: 'result', ...result }) + '\n');
      } catch (e) {
        const err = e as { code?: string; message?: string; status?: number };
        reply.raw.end(JSON.stringify({ type: 'error', error: { code: err.status ? err.code : 'internal', message: err.status ? err.message : 'Internal Server Error' } }) + '\n');
      }
    },
  );

  for (const [path, enabled] of [['disable', false], ['enable', true]] as const) {
    app.post(
      `/cameras/:id/${path}`,
      { preHandler: requireUser(gw), schema: { ...sec, params: Type.Object({ id: Uuid }), response: withErrors({ 200: CameraBody }) } },
      async (req) => {
        const actor = await actorOf(gw, req);
        return view(actor, await gw.enrolment.setEnabled(actor, req.params.id, enabled));
      },
    );
  }

  app.post(
    '/cameras/:id/reprobe',
    { preHandler: requireUser(gw), schema: { ...sec, params: Type.Object({ id: Uuid }), response: withErrors({ 200: CameraBody, 422: ErrorBody }) } },
    async (req) => {
      const actor = await actorOf(gw, req);
      return view(actor, await gw.enrolment.reprobe(actor, req.params.id));
    },
  );

  app.put(
    '/cameras/:id/media-ports',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec, summary: 'Set the ports this camera serves video on (besides cameras.mediaPorts); stored once a probe passes with them',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ mediaPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 8 }) }, { additionalProperties: false }),
        response: withErrors({ 200: CameraBody, 422: ErrorBody }),
      },
    },
    async (req) => {
      const actor = await actorOf(gw, req);
      return view(actor, await gw.enrolment.reprobe(actor, req.params.id, { mediaPorts: req.body.mediaPorts }));
    },
  );

  app.delete(
    '/cameras/:id',
    { preHandler: requireUser(gw), schema: { ...sec, summary: 'Remove a camera (its audit history stays)', params: Type.Object({ id: Uuid }), response: withErrors({ 204: Type.Null() }) } },
    async (req, reply) => {
      await gw.enrolment.remove(await actorOf(gw, req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/cameras/:id/sharing',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec,
        summary: "Record the owner's sharing choice and consent",
        params: Type.Object({ id: Uuid }),
        body: Type.Object({
          sharingMode: enumOf(SHARING_MODES), consentDate: Type.String({ format: 'date' }), documentRef: Type.Optional(Type.String({ maxLength: 200 })), delegatedToCommittee: Type.Optional(Type.Boolean()),
          emergencyBypass: Type.Optional(Type.Boolean({ description: 'May an emergency grant cover this camera without asking the owner? Default no; never_live stays live-proof either way.' })),
        }, { additionalProperties: false }),
        response: withErrors({ 200: CameraBody }),
      },
    },
    async (req) => {
      const actor = await actorOf(gw, req);
      return view(actor, await gw.enrolment.setSharing(actor, req.params.id, req.body));
    },
  );

  app.put(
    '/cameras/:id/jurisdiction',
    {
      preHandler: requireRole(gw, ['system_admin']),
      schema: {
        ...sec,
        summary: "Override a camera's station (system admin, with a reason)",
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ stationCode: Type.String({ pattern: '^[0-9]{2,12}$' }), reason: Type.String({ minLength: 5, maxLength: 500 }) }, { additionalProperties: false }),
        response: withErrors({ 200: CameraBody }),
      },
    },
    async (req) => {
      const actor = await actorOf(gw, req);
      return view(actor, await gw.enrolment.overrideJurisdiction(actor, req.params.id, req.body.stationCode, req.body.reason));
    },
  );

  app.get(
    '/cameras/:id/consents',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec,
        params: Type.Object({ id: Uuid }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Object({ sharingMode: Type.String(), consentDate: Type.String(), recordedBy: Type.Union([Uuid, Type.Null()]), documentRef: Type.Union([Type.String(), Type.Null()]), emergencyBypass: Type.Boolean(), recordedAt: IsoDate })) }) }),
      },
    },
    async (req) => {
      const cam = await gw.repos.cameras.byId(req.params.id);
      if (!inScope(await actorOf(gw, req), cam)) throw errors.notFound('no such camera');
      return { items: await gw.repos.cameras.consents(cam.id) };
    },
  );

  app.get(
    '/cameras/discover',
    {
      preHandler: requireRole(gw, ['duty_officer', 'system_admin', 'village_committee']),
      config: { rateLimit: { max: 10, timeWindow: 60_000 } },
      schema: {
        ...sec,
        summary: 'WS-Discovery on the named interface address; results are listed for a person to enrol, never connected to',
        querystring: Type.Object({ interfaceAddress: Type.String({ format: 'ipv4' }), timeoutMs: Type.Integer({ minimum: 200, maximum: 10_000, default: 2000 }) }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Object({ endpointRef: Type.String(), xaddrs: Type.Array(Type.String()), scopes: Type.Array(Type.String()), from: Type.String() })) }) }),
      },
    },
    async (req) => {
      const found = await discover({ interfaceAddress: req.query.interfaceAddress, timeoutMs: req.query.timeoutMs, maxResults: 500 });
      return { items: found.map((d) => ({ endpointRef: d.endpointRef, xaddrs: d.xaddrs, scopes: d.scopes, from: d.from })) };
    },
  );
}
