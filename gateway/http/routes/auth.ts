import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate, ErrorBody, enumOf } from '../schemas.ts';
import { authOf, requireUser } from '../auth-hook.ts';
import { ROLES } from '../../domain/types.ts';

export const UserBody = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: enumOf(ROLES),
  jurisdictionId: Uuid,
});

export default async function authRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  app.post(
    '/auth/login',
    {
      config: { rateLimit: { max: gw.config.auth.loginRatePerAddressPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns a bearer session token',
        body: Type.Object(
          { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ token: Type.String(), expiresAt: IsoDate, user: UserBody }),
          400: ErrorBody,
          401: ErrorBody,
          423: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (req) => {
      const r = await gw.auth.login(req.body.username, req.body.password, req.ip);
      return { token: r.token, expiresAt: r.expiresAt, user: r.user };
    },
  );

  app.post(
    '/auth/logout',
    { preHandler: requireUser(gw), schema: { tags: ['auth'], security: [{ bearer: [] }], response: withErrors({ 204: Type.Null() }) } },
    async (req, reply) => {
      await gw.auth.logout(authOf(req));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      preHandler: requireUser(gw),
      schema: {
        tags: ['auth'],
        security: [{ bearer: [] }],
        response: withErrors({
          200: Type.Object({
            user: UserBody,
            jurisdiction: Type.Object({ id: Uuid, code: Type.String(), name: Type.String(), kind: Type.String() }),
            stationId: Type.Union([Uuid, Type.Null()]),
          }),
        }),
      },
    },
    async (req) => {
      const { user } = authOf(req);
      const j = (await gw.repos.jurisdictions.byId(user.jurisdictionId))!;
      const station = await gw.jurisdictions.stationOf(j.id);
      return { user, jurisdiction: j, stationId: station?.id ?? null };
    },
  );
}
