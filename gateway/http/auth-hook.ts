import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Gateway } from '../compose.ts';
import type { AuthContext } from '../auth/auth.service.ts';
import { errors } from '../errors.ts';
import type { Role } from '../domain/types.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h && /^Bearer\s+/i.test(h)) return h.replace(/^Bearer\s+/i, '').trim();
  return undefined;
}

export function registerAuth(app: FastifyInstance): void {
  app.decorateRequest('auth', null);
}

/** preHandler: any logged-in user. */
export function requireUser(gw: Gateway) {
  return async (req: FastifyRequest): Promise<void> => {
    req.auth = await gw.auth.authenticate(bearer(req));
  };
}

/** preHandler: a logged-in user with one of these roles (coarse gate; per-resource rights are decide()'s job). */
export function requireRole(gw: Gateway, roles: Role[]) {
  return async (req: FastifyRequest): Promise<void> => {
    req.auth = await gw.auth.authenticate(bearer(req));
    if (!roles.includes(req.auth.user.role)) {
      throw errors.forbidden(`this needs one of the roles: ${roles.join(', ')}`);
    }
  };
}

export function authOf(req: FastifyRequest): AuthContext {
  if (!req.auth) throw errors.unauthenticated('log in first');
  return req.auth;
}
