import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, IsoDate, enumOf } from '../schemas.ts';
import { authOf, requireRole, requireUser } from '../auth-hook.ts';
import { ROLES } from '../../domain/types.ts';
import { subjectOf } from '../../services/subjects.ts';
import { UserBody } from './auth.ts';

const UserAdminBody = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: enumOf(ROLES),
  jurisdictionId: Uuid,
  disabled: Type.Boolean(),
  /** False until a first password was set (owners enrolled from a CSV start without one). */
  activated: Type.Boolean(),
});

export default async function userRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  const sec = { security: [{ bearer: [] }], tags: ['users'] };

  app.get(
    '/users',
    {
      preHandler: requireRole(gw, ['system_admin']),
      schema: { ...sec, querystring: Type.Object({ role: Type.Optional(enumOf(ROLES)), jurisdictionId: Type.Optional(Uuid) }, { additionalProperties: false }), response: withErrors({ 200: Type.Object({ items: Type.Array(UserAdminBody) }) }) },
    },
    async (req) => ({ items: await gw.repos.users.list(req.query) }),
  );

  for (const [path, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(
      `/users/:id/${path}`,
      {
        preHandler: requireRole(gw, ['system_admin']),
        schema: { ...sec, summary: disabled ? 'Disable a user: sessions end, open video closes at once, on every gateway process' : 'Enable a user (play tokens issued before the disable stay dead)', params: Type.Object({ id: Uuid }), response: withErrors({ 200: UserAdminBody }) },
      },
      async (req) => gw.accounts.setDisabled(authOf(req).user, req.params.id, disabled),
    );
  }

  app.put(
    '/users/:id/password',
    {
      preHandler: requireRole(gw, ['system_admin', 'village_committee']),
      config: { rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: {
        ...sec,
        summary: "Set a user's password. A village committee activates its household owners' never-used accounts; resetting an active account is a system admin's job, and the owner is told",
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ password: Type.String({ minLength: 10, maxLength: 256 }) }, { additionalProperties: false }),
        response: withErrors({ 200: UserBody }),
      },
    },
    async (req) => {
      const actor = authOf(req).user;
      const subject = await subjectOf(actor, gw.repos.jurisdictions);
      return gw.accounts.setPassword({ ...actor, subject }, req.params.id, req.body.password);
    },
  );

  app.get(
    '/me/notices',
    {
      preHandler: requireUser(gw),
      schema: {
        ...sec,
        summary: 'Things you must know: your password was reset, your camera changed owner',
        response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.Integer(), kind: Type.String(), message: Type.String(), at: IsoDate })) }) }),
      },
    },
    async (req) => ({ items: await gw.repos.notices.forUser(authOf(req).user.id) }),
  );
}
