import { createHash, randomBytes } from 'node:crypto';
import { errors } from '../errors.ts';
import type { Db } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import { loginAttemptsRepository } from '../repositories/login-attempts.repository.ts';
import { revocationsRepository } from '../repositories/revocations.repository.ts';
import type { UsersRepository, User } from '../repositories/users.repository.ts';
import type { SessionsRepository } from '../repositories/sessions.repository.ts';
import type { AuditRepository } from '../repositories/audit.repository.ts';
import { dummyHash, verifyPassword } from './passwords.ts';

export interface AuthConfig {
  sessionTtlMinutes: number;
  lockoutAttempts: number;
  lockoutWindowMinutes: number;
  /** Attempts per account per minute, counted in the database (every process, every address). */
  loginRatePerAccountPerMinute: number;
}

export interface AuthContext {
  user: User;
  sessionId: string;
}

export const tokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();

export function authService(deps: {
  db: Db;
  users: UsersRepository;
  sessions: SessionsRepository;
  audit: AuditRepository;
  config: AuthConfig;
  onLogout?: (ctx: { userId: string; sessionId: string }) => void;
}) {
  const { users, sessions, audit, config } = deps;

  /**
   * Counts the attempt before the slow hash, under a per-username lock: twenty concurrent guesses
   * are serialised here, and only the first `lockoutAttempts` ever reach the hash.
   */
  async function countAttempt(username: string, ip: string | null, now = new Date()): Promise<{ id: number; refused: null } | { id: null; refused: 'locked' | 'rate' }> {
    return withTx(deps.db, async (tx) => {
      const repo = loginAttemptsRepository(tx);
      await repo.lock(username, tx);
      const c = await repo.counts(username, new Date(now.getTime() - config.lockoutWindowMinutes * 60_000), new Date(now.getTime() - 60_000), tx);
      if (c.failures >= config.lockoutAttempts) return { id: null, refused: 'locked' as const };
      if (c.recent >= config.loginRatePerAccountPerMinute) return { id: null, refused: 'rate' as const };
      return { id: await repo.begin(username, ip, tx), refused: null };
    });
  }

  return {
    async login(username: string, password: string, ip: string | null): Promise<{ token: string; expiresAt: Date; user: User }> {
      const attempt = await countAttempt(username, ip);
      if (attempt.refused === 'locked') {
        await audit.append({ action: 'auth.login', outcome: 'deny', actorName: username, reason: 'account_locked', details: { ip } });
        throw errors.accountLocked(
          `too many failed logins; try again in up to ${config.lockoutWindowMinutes} minutes`,
        );
      }
      if (attempt.refused !== null) {
        await audit.append({ action: 'auth.login', outcome: 'deny', actorName: username, reason: 'account_rate_limited', details: { ip } });
        throw errors.rateLimited('too many login attempts for this account; wait a minute', { reason: 'account_rate_limited' });
      }
      const attemptId = attempt.id;
      const attempts = loginAttemptsRepository(deps.db);
      const u = await users.byUsernameWithHash(username);
      const ok = u ? await verifyPassword(u.passwordHash, password) : (await verifyPassword(await dummyHash(), password), false);
      if (!u || !ok || u.disabled) {
        await attempts.failed(attemptId);
        const reason = !u ? 'unknown_user' : u.disabled ? 'user_disabled' : 'wrong_password';
        await audit.append({ action: 'auth.login', outcome: 'fail', actorUserId: u?.id ?? null, actorName: username, reason, details: { ip } });
        throw errors.invalidCredentials('username or password is wrong, or the account is disabled');
      }
      await attempts.succeeded(attemptId, username);
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(Date.now() + config.sessionTtlMinutes * 60_000);
      const s = await sessions.create({ tokenHash: tokenHash(token), userId: u.id, expiresAt, ip });
      await audit.append({ action: 'auth.login', outcome: 'ok', actorUserId: u.id, actorName: u.username, details: { ip, sessionId: s.id } });
      const { passwordHash: _drop, ...user } = u;
      return { token, expiresAt, user };
    },

    /** Bearer token → user; throws unauthenticated for unknown, expired, revoked or disabled. */
    async authenticate(token: string | undefined): Promise<AuthContext> {
      if (!token) throw errors.unauthenticated('log in first: send Authorization: Bearer <token>');
      if (token.length > 200) throw errors.unauthenticated('session token is not valid');
      const s = await sessions.byTokenHash(tokenHash(token));
      if (!s || s.revokedAt) throw errors.unauthenticated('session is not valid or was logged out');
      if (s.expiresAt.getTime() <= Date.now()) throw errors.unauthenticated('session expired; log in again');
      const user = await users.byId(s.userId);
      if (!user || user.disabled) throw errors.unauthenticated('account is disabled');
      return { user, sessionId: s.id };
    },

    async logout(ctx: AuthContext): Promise<void> {
      // Durable: a restarted gateway must still refuse this session's play tokens.
      await withTx(deps.db, async (tx) => {
        await sessions.revoke(ctx.sessionId, tx);
        await revocationsRepository(tx).add({ kind: 'session', key: ctx.sessionId, reason: 'session_logged_out' }, tx);
      });
      await audit.append({ action: 'auth.logout', outcome: 'ok', actorUserId: ctx.user.id, actorName: ctx.user.username, details: { sessionId: ctx.sessionId } });
      deps.onLogout?.({ userId: ctx.user.id, sessionId: ctx.sessionId });
    },
  };
}
export type AuthService = ReturnType<typeof authService>;
