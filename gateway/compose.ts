import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import type { Db } from './db/pool.ts';
import { jurisdictionsRepository } from './repositories/jurisdictions.repository.ts';
import { usersRepository } from './repositories/users.repository.ts';
import { sessionsRepository } from './repositories/sessions.repository.ts';
import { auditRepository } from './repositories/audit.repository.ts';
import { authService } from './auth/auth.service.ts';
import { jurisdictionService } from './services/jurisdiction.service.ts';

/** Builds every component from config and a database pool; the only place that wires them. */
export async function composeGateway(opts: { config: Config; db: Db; log: Logger }) {
  const { config, db, log } = opts;
  const repos = {
    jurisdictions: jurisdictionsRepository(db),
    users: usersRepository(db),
    sessions: sessionsRepository(db),
    audit: auditRepository(db),
  };
  const closers: Array<() => Promise<void>> = [];
  const auth = authService({ users: repos.users, sessions: repos.sessions, audit: repos.audit, config: config.auth });
  const jurisdictions = jurisdictionService({ repo: repos.jurisdictions, db });

  return {
    config,
    db,
    log,
    repos,
    auth,
    jurisdictions,
    async close(): Promise<void> {
      for (const c of closers.reverse()) await c().catch((e) => log.warn({ err: e }, 'close failed'));
    },
  };
}
export type Gateway = Awaited<ReturnType<typeof composeGateway>>;
