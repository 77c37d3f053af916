// The runtime pool logs in directly as `shouwang_app` (no UPDATE/DELETE on the audit log, not a superuser, member of
// nothing), so no query it runs can `SET ROLE` back to the owner. Only migrations use the owner's login.
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from './pool.ts';
import { withTx } from './pool.ts';
import { scramVerifier, withLogin } from './secrets.ts';

export const APP_ROLE = 'shouwang_app';
const ROLE_LOCK = 7366290006;

export type RuntimeLogin =
  | { kind: 'login'; url: string }
  /** The owner may not give the role a login (an external database without CREATEROLE): SET ROLE at connect. */
  | { kind: 'set_role'; role: string }
  | { kind: 'owner' };

/**
 * Gives `shouwang_app` LOGIN and `password` (sent as a SCRAM verifier: the plaintext never reaches the server),
 * and returns how the runtime pool should connect. Run after migrations (migration 001 creates the role).
 */
export async function ensureRuntimeLogin(
  owner: Db, ownerUrl: string, password: string, log?: Logger,
  /** false (a shared external database): never replace a login other gateway processes may be using. */
  opts: { takeOver?: boolean } = {},
): Promise<RuntimeLogin> {
  const url = withLogin(ownerUrl, APP_ROLE, password);
  const { rows } = await owner.query<{ exists: boolean; member: boolean; superuser: boolean; canlogin: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists,
            EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin) AS canlogin,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER') AS member`,
    [APP_ROLE],
  );
  const r = rows[0]!;
  if (!r.exists) {
    log?.warn('role shouwang_app does not exist (the migrating user may not create roles); the runtime pool uses the owner login');
    return { kind: 'owner' };
  }
  const shared = async (): Promise<RuntimeLogin> => {
    if (await canLogIn(url)) return { kind: 'login', url };
    log?.warn('shouwang_app already has a login with another password (another gateway process set it); ' +
      'give every process the same database.appUrl (DATABASE_APP_URL); until then the runtime pool uses SET ROLE');
    return r.member ? { kind: 'set_role', role: APP_ROLE } : { kind: 'owner' };
  };
  if (opts.takeOver === false && r.canlogin) return shared();
  // Attributes a superuser may reset; ALTER ROLE takes no bind parameters, and the verifier is base64, '$' and ':'.
  const attrs = r.superuser ? 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS' : 'LOGIN';
  let altered = false;
  try {
    // Serialised: two gateways starting together would otherwise fail with "tuple concurrently updated", or
    // (external) both set a password and lock each other out.
    altered = await withTx(owner, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ROLE_LOCK]);
      if (opts.takeOver === false) {
        const now = await tx.query('SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin', [APP_ROLE]);
        if (now.rowCount) return false;
      }
      await tx.query(`ALTER ROLE ${APP_ROLE} WITH ${attrs} PASSWORD '${scramVerifier(password)}'`);
      return true;
    });
  } catch (e) {
    if ((e as { code?: string }).code !== '42501') throw e;
    log?.warn('the migrating user may not give shouwang_app a login; set database.appUrl (DATABASE_APP_URL) to connect as it directly');
    return r.member ? { kind: 'set_role', role: APP_ROLE } : { kind: 'owner' };
  }
  if (!altered) return shared();
  return { kind: 'login', url };
}

async function canLogIn(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}
