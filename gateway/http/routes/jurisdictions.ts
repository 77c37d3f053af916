import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, enumOf } from '../schemas.ts';
import { authOf, requireRole, requireUser } from '../auth-hook.ts';
import { JURISDICTION_KINDS } from '../../domain/types.ts';
import { errors } from '../../errors.ts';
import { toGeoJson } from '../../geo/geojson.ts';

const Kind = enumOf(JURISDICTION_KINDS);
const JurisdictionBody = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  kind: Kind,
  parentId: Type.Union([Uuid, Type.Null()]),
  centreLat: Type.Union([Type.Number(), Type.Null()]),
  centreLon: Type.Union([Type.Number(), Type.Null()]),
});
const GeoJson = Type.Object({ type: Type.String(), coordinates: Type.Array(Type.Unknown()) });

export default async function jurisdictionRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const sec = { security: [{ bearer: [] }], tags: ['jurisdictions'] };

  app.get(
    '/jurisdictions',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec,
        querystring: Type.Object({ kind: Type.Optional(Kind), parentId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(JurisdictionBody) }) }),
      },
    },
    async (req) => ({ items: await gw.repos.jurisdictions.list(req.query) }),
  );

  app.get(
    '/jurisdictions/lookup',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec,
        summary: 'Which station, village and county contain a point',
        querystring: Type.Object(
          { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            station: Type.Union([JurisdictionBody, Type.Null()]),
            village: Type.Union([JurisdictionBody, Type.Null()]),
            county: Type.Union([JurisdictionBody, Type.Null()]),
          }),
        }),
      },
    },
    async (req) => gw.jurisdictions.lookup(req.query.lat, req.query.lon),
  );

  app.get(
    '/jurisdictions/:id',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec,
        params: Type.Object({ id: Uuid }),
        response: withErrors({ 200: Type.Object({ jurisdiction: JurisdictionBody, boundary: Type.Union([GeoJson, Type.Null()]) }) }),
      },
    },
    async (req) => {
      const j = await gw.repos.jurisdictions.byId(req.params.id);
      if (!j) throw errors.notFound('no such jurisdiction');
      const parts = await gw.repos.jurisdictions.boundary(j.id);
      return { jurisdiction: j, boundary: parts.length ? toGeoJson(parts) : null };
    },
  );

  app.put(
    '/jurisdictions/:code',
    {
      preHandler: requireRole(gw, ['system_admin']),
      schema: {
        ...sec,
        summary: 'Create or update a jurisdiction with its boundary (GeoJSON Polygon/MultiPolygon, [lon, lat])',
        params: Type.Object({ code: Type.String({ pattern: '^[0-9]{2,12}$' }) }),
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            kind: Kind,
            parentCode: Type.Union([Type.String({ pattern: '^[0-9]{2,12}$' }), Type.Null()]),
            boundary: Type.Optional(Type.Union([GeoJson, Type.Null()])),
            centre: Type.Optional(Type.Union([Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: false }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: JurisdictionBody }),
      },
    },
    async (req) => {
      const j = await gw.jurisdictions.save({ code: req.params.code, ...req.body, centre: req.body.centre ?? null });
      await gw.repos.audit.append({
        action: 'jurisdiction.save', outcome: 'ok', actorUserId: authOf(req).user.id, actorName: authOf(req).user.username,
        details: { code: j.code, name: j.name, kind: j.kind, boundary: req.body.boundary ? 'set' : 'unchanged' },
      });
      return j;
    },
  );
}
