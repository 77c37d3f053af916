import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { withErrors, Uuid, enumOf } from '../schemas.ts';
import { authOf, requireRole } from '../auth-hook.ts';
import { ROLES } from '../../domain/types.ts';
import { errors } from '../../errors.ts';
import { hashPassword } from '../../auth/passwords.ts';
import { subjectOf } from '../../services/subjects.ts';
import { UserBody } from './auth.ts';

const UserAdminBody = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: enumOf(ROLES),
  jurisdictionId: Uuid,
  disabled: Type.Boolean(),
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
        schema: { ...sec, summary: disabled ? 'Disable a user: sessions end, open video closes at once, on every gateway process' : 'Enable a user', params: Type.Object({ id: Uuid }), response: withErrors({ 200: UserAdminBody }) },
      },
      async (req) => {
        const actor = authOf(req).user;
        if (req.params.id === actor.id) throw errors.badRequest('you cannot disable yourself');
        if (!(await gw.repos.users.setDisabled(req.params.id, disabled))) throw errors.notFound('no such user');
        if (disabled) await gw.repos.sessions.revokeAllFor(req.params.id);
        await gw.bus.publish('user', { op: disabled ? 'disabled' : 'enabled', userId: req.params.id, at: new Date().toISOString() });
        await gw.repos.audit.append({ action: disabled ? 'user.disable' : 'user.enable', outcome: 'ok', actorUserId: actor.id, actorName: actor.username, details: { userId: req.params.id } });
        return (await gw.repos.users.byId(req.params.id))!;
      },
    );
  }

  app.put(
    '/users/:id/password',
    {
      preHandler: requireRole(gw, ['system_admin', 'village_committee']),
      config: { rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: {
        ...sec,
        summary: "Set a user's password; a village committee activates its household owners' accounts this way",
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ password: Type.String({ minLength: 10, maxLength: 256 }) }, { additionalProperties: false }),
        response: withErrors({ 200: UserBody }),
      },
    },
    async (req) => {
      const actor = authOf(req).user;
      const target = await gw.repos.users.byId(req.params.id);
      if (!target) throw errors.notFound('no such user');
      if (actor.role === 'village_committee') {
        const me = await subjectOf(actor, gw.repos.jurisdictions);
        if (target.role !== 'household_owner' || target.jurisdictionId !== me.villageId) {
          throw errors.forbidden("a village committee may only set passwords of its own village's household owners");
        }
      }
      await gw.repos.users.setPasswordHash(target.id, await hashPassword(req.body.password));
      await gw.repos.sessions.revokeAllFor(target.id);
      await gw.repos.audit.append({ action: 'user.password', outcome: 'ok', actorUserId: actor.id, actorName: actor.username, details: { userId: target.id } });
      return target;
    },
  );
}
