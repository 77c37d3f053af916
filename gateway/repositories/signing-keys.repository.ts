import type { Queryable } from '../db/pool.ts';

export interface SigningKeyRow {
  kid: string;
  publicJwk: Record<string, unknown>;
  privateJwk: string | null;
  active: boolean;
}

export const signingKeysRepository = (db: Queryable) => ({
  async all(q: Queryable = db): Promise<SigningKeyRow[]> {
    const { rows } = await q.query(
      `SELECT kid, public_jwk AS "publicJwk", private_jwk AS "privateJwk", active FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at`,
    );
    return rows as never;
  },
  async insertActive(k: { kid: string; publicJwk: unknown; privateJwk: string }, tx: Queryable): Promise<void> {
    // The previous active key drops its private half: it only verifies from now on.
    await tx.query(`UPDATE signing_keys SET active = false, private_jwk = NULL WHERE active`);
    await tx.query(`INSERT INTO signing_keys (kid, public_jwk, private_jwk, active) VALUES ($1, $2, $3, true)`, [
      k.kid, JSON.stringify(k.publicJwk), k.privateJwk,
    ]);
  },
  async retire(kid: string): Promise<boolean> {
    const r = await db.query(`UPDATE signing_keys SET retired_at = now() WHERE kid = $1 AND NOT active AND retired_at IS NULL`, [kid]);
    return (r.rowCount ?? 0) > 0;
  },
});
