// Account changes that end a user's access: disable, enable, password set or reset. Each runs in one
// transaction (sessions ended, a durable revocation row, an audit row), then tells every process.
import type { Db } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import type { Subject, Uuid } from '../domain/types.ts';
import { errors } from '../errors.ts';
import { AUDIT } from '../audit/actions.ts';
import type { PgBus } from '../events/pg-bus.ts';
import type { EventPublisher } from '../events/types.ts';
import { usersRepository, type User, type UsersRepository } from '../repositories/users.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { revocationsRepository } from '../repositories/revocations.repository.ts';
import { loginAttemptsRepository } from '../repositories/login-attempts.repository.ts';
import { noticesRepository } from '../repositories/notices.repository.ts';
import type { AuditRepository } from '../repositories/audit.repository.ts';
import { hashPassword } from './passwords.ts';

export type Actor = Pick<User, 'id' | 'username' | 'role'>;

/**
 * Who may set whose password, pure. A committee only activates its own village's owners who never had a
 * password; resetting anyone's existing password is a system admin's job.
 */
export function passwordRule(
  actor: Pick<Subject, 'role' | 'villageId'>,
  target: Pick<User, 'role' | 'jurisdictionId' | 'activated'>,
): { allow: true; kind: 'activate' | 'reset' } | { allow: false; reason: string; message: string } {
  if (actor.role === 'system_admin') return { allow: true, kind: target.activated ? 'reset' : 'activate' };
  if (actor.role !== 'village_committee') return { allow: false, reason: 'role_cannot', message: 'only a system admin or a village committee sets passwords' };
  if (target.role !== 'household_owner' || target.jurisdictionId !== actor.villageId) {
    return { allow: false, reason: 'not_own_village_owner', message: "a village committee may only set passwords of its own village's household owners" };
  }
  if (target.activated) {
    return { allow: false, reason: 'account_already_active', message: 'this owner has already activated the account; only a system admin may reset its password' };
  }
  return { allow: true, kind: 'activate' };
}

export function accountsService(deps: { db: Db; users: UsersRepository; audit: AuditRepository; bus: PgBus; events: EventPublisher }) {
  const { db, users, audit, bus } = deps;

  return {
    /** Housekeeping: old login attempts and revocations no token can still be affected by. */
    async prune(now = new Date()): Promise<number> {
      const day = 86_400_000;
      return (await loginAttemptsRepository(db).prune(new Date(now.getTime() - day))) + (await revocationsRepository(db).prune(new Date(now.getTime() - 7 * day)));
    },

    async setDisabled(actor: Actor, userId: Uuid, disabled: boolean): Promise<User> {
      if (userId === actor.id) throw errors.badRequest('you cannot disable yourself');
      const at = await withTx(db, async (tx) => {
        if (!(await usersRepository(tx).setDisabled(userId, disabled, tx))) throw errors.notFound('no such user');
        let at = new Date();
        if (disabled) {
          await sessionsRepository(tx).revokeAllFor(userId, tx);
          at = (await revocationsRepository(tx).add({ kind: 'user', key: userId, reason: 'user_disabled' }, tx)).at;
        }
        await audit.append({ action: disabled ? AUDIT.userDisable : AUDIT.userEnable, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, details: { userId } }, tx);
        return at;
      });
      await bus.publish('user', { op: disabled ? 'disabled' : 'enabled', userId, at: at.toISOString() });
      return (await users.byId(userId))!;
    },

    /** Activates a never-used account or resets a password; either way the user's sessions and play tokens end. */
    async setPassword(actor: Actor & { subject: Pick<Subject, 'role' | 'villageId'> }, userId: Uuid, password: string): Promise<User> {
      const target = await users.byId(userId);
      if (!target) throw errors.notFound('no such user');
      const rule = passwordRule(actor.subject, target);
      if (!rule.allow) {
        await audit.append({ action: AUDIT.userPassword, outcome: 'deny', actorUserId: actor.id, actorName: actor.username, reason: rule.reason, details: { userId } });
        throw rule.reason === 'account_already_active' ? errors.notActivatable(rule.message, { reason: rule.reason }) : errors.forbidden(rule.message, { reason: rule.reason });
      }
      const hash = await hashPassword(password);
      const at = await withTx(db, async (tx) => {
        const repo = usersRepository(tx);
        if (rule.kind === 'activate' && actor.subject.role !== 'system_admin') {
          // Conditional: a committee racing the owner's own activation (or another committee member) cannot overwrite it.
          if (!(await repo.activate(userId, hash, tx))) {
            throw errors.notActivatable('this owner has already activated the account; only a system admin may reset its password', { reason: 'account_already_active' });
          }
        } else {
          await repo.setPasswordHash(userId, hash, tx);
        }
        await sessionsRepository(tx).revokeAllFor(userId, tx);
        const r = await revocationsRepository(tx).add({ kind: 'user', key: userId, reason: 'credentials_reset' }, tx);
        await audit.append({
          action: rule.kind === 'activate' ? AUDIT.userActivate : AUDIT.userPassword, outcome: 'ok', actorUserId: actor.id, actorName: actor.username,
          reason: rule.kind === 'activate' ? 'first_password' : 'password_reset', details: { userId, username: target.username },
        }, tx);
        if (rule.kind === 'reset' && target.id !== actor.id) {
          await noticesRepository(tx).add({ userId, kind: 'password_reset', actorUserId: actor.id, message: `Your password was reset by ${actor.username} (system admin). If you did not ask for this, tell your station.` }, tx);
        }
        return r.at;
      });
      await bus.publish('user', { op: 'credentials_reset', userId, at: at.toISOString() });
      if (rule.kind === 'reset') {
        deps.events.publish({ type: 'user.password_reset', userIds: [userId], payload: { userId, by: actor.username, at: at.toISOString() } });
      }
      return (await users.byId(userId))!;
    },
  };
}
export type AccountsService = ReturnType<typeof accountsService>;
