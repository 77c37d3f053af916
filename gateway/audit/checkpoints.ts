// Signed checkpoints of the audit chain: head id, head hash, row count, time, signed with the gateway's
// EdDSA key. A partner keeps one; deleting newest rows or re-chaining after a deleted row no longer matches it.
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, calculateJwkThumbprint, type CryptoKey, type JWK } from 'jose';
import type { Logger } from 'pino';
import type { KeyRing } from '../access/tokens.ts';
import type { AuditCheckpointsRepository, CheckpointRow } from '../repositories/audit-checkpoints.repository.ts';
import { errors } from '../errors.ts';

export const CHECKPOINT_TYP = 'shouwang-audit-checkpoint+jws';

/** What is signed. `headHash` is hex; `rows` counts rows with id ≤ headId. */
export interface CheckpointClaims {
  iss: 'shouwang';
  headId: number;
  headHash: string;
  rows: number;
  at: string;
}

/** The file a partner keeps: the JWS, the claims in clear, and the public key that verifies it. */
export interface ExportedCheckpoint {
  id: number | null;
  checkpoint: CheckpointClaims;
  jws: string;
  jwk: JWK;
}

export async function signCheckpoint(ring: KeyRing, c: Omit<CheckpointClaims, 'iss'>): Promise<{ jws: string; kid: string; claims: CheckpointClaims }> {
  const claims: CheckpointClaims = { iss: 'shouwang', headId: c.headId, headHash: c.headHash, rows: c.rows, at: c.at };
  const { kid, key } = ring.signingKey();
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: CHECKPOINT_TYP })
    .sign(key);
  return { jws, kid, claims };
}

function claimsOf(v: unknown): CheckpointClaims {
  const c = v as Partial<CheckpointClaims>;
  const ok =
    c && c.iss === 'shouwang' && Number.isSafeInteger(c.headId) && c.headId! >= 0 && Number.isSafeInteger(c.rows) && c.rows! >= 0 &&
    typeof c.headHash === 'string' && /^([0-9a-f]{64})?$/.test(c.headHash) && typeof c.at === 'string' && Number.isFinite(Date.parse(c.at));
  if (!ok) throw errors.validation('checkpoint: the signed claims are malformed');
  return c as CheckpointClaims;
}

/** Public keys by kid; a supplied JWK is accepted only when its thumbprint is its kid. */
export class CheckpointKeys {
  private readonly keys = new Map<string, { key: CryptoKey; jwk: JWK }>();

  static async from(jwks: ReadonlyArray<{ kid: string; publicJwk: Record<string, unknown> }>): Promise<CheckpointKeys> {
    const k = new CheckpointKeys();
    for (const j of jwks) await k.add(j.publicJwk as JWK, j.kid);
    return k;
  }

  async add(jwk: JWK, kid?: string): Promise<string> {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw errors.validation('checkpoint key: not an Ed25519 JWK');
    const pub: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
    const id = kid ?? (await calculateJwkThumbprint(pub));
    if (!this.keys.has(id)) this.keys.set(id, { key: (await importJWK(pub, 'EdDSA')) as CryptoKey, jwk: { ...pub, kid: id } });
    return id;
  }

  jwk(kid: string): JWK | undefined {
    return this.keys.get(kid)?.jwk;
  }

  async verify(jws: string): Promise<{ kid: string; claims: CheckpointClaims }> {
    let kid: string;
    try {
      const h = decodeProtectedHeader(jws);
      if (h.typ !== CHECKPOINT_TYP || h.alg !== 'EdDSA' || typeof h.kid !== 'string') throw new Error('header');
      kid = h.kid;
    } catch {
      throw errors.validation('checkpoint: not a Shouwang audit checkpoint JWS');
    }
    const k = this.keys.get(kid);
    if (!k) throw errors.validation(`checkpoint: signed by unknown key ${kid}`);
    try {
      const { payload } = await compactVerify(jws, k.key, { algorithms: ['EdDSA'] });
      return { kid, claims: claimsOf(JSON.parse(new TextDecoder().decode(payload))) };
    } catch (e) {
      if ((e as { code?: string }).code === 'validation_failed') throw e;
      throw errors.validation('checkpoint: signature does not verify');
    }
  }
}

/** Accepts an exported checkpoint object or a bare JWS; adds the embedded key (self-certifying by thumbprint). */
export async function readSuppliedCheckpoint(input: unknown, keys: CheckpointKeys): Promise<{ kid: string; claims: CheckpointClaims }> {
  if (typeof input === 'string') return keys.verify(input.trim());
  const e = input as Partial<ExportedCheckpoint>;
  if (!e || typeof e.jws !== 'string') throw errors.validation('checkpoint: expected a JWS or an exported checkpoint {jws, jwk}');
  if (e.jwk && typeof e.jwk === 'object') {
    const h = (() => {
      try {
        return decodeProtectedHeader(e.jws);
      } catch {
        return {};
      }
    })();
    const thumb = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: String(e.jwk.x) });
    if (h.kid === thumb && !keys.jwk(thumb)) await keys.add(e.jwk);
  }
  return keys.verify(e.jws);
}

export function exportCheckpoint(row: CheckpointRow, keys: CheckpointKeys): ExportedCheckpoint {
  const claims = JSON.parse(Buffer.from(row.jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as CheckpointClaims;
  return { id: row.id, checkpoint: claims, jws: row.jws, jwk: keys.jwk(row.kid) ?? {} };
}

/** Writes a checkpoint of the current head unless the newest checkpoint already has it. */
export async function writeCheckpoint(deps: { repo: AuditCheckpointsRepository; ring: () => KeyRing; now?: () => Date }): Promise<CheckpointRow | null> {
  const head = await deps.repo.head();
  if (!head.headHash) return null;
  const last = await deps.repo.latest();
  if (last && last.headId === head.headId && last.rowCount === head.rowCount) return null;
  const at = (deps.now?.() ?? new Date()).toISOString();
  const { jws, kid, claims } = await signCheckpoint(deps.ring(), { headId: head.headId, headHash: head.headHash.toString('hex'), rows: head.rowCount, at });
  return deps.repo.insert({ at: new Date(claims.at), headId: claims.headId, headHash: head.headHash, rowCount: claims.rows, kid, jws });
}

/**
 * Checkpoints every interval and once at stop. A checkpoint is not itself an audit row: auditing it would move the
 * head it just signed, so no checkpoint would ever describe the current chain; its own table is its record.
 */
export function startCheckpointer(deps: { repo: AuditCheckpointsRepository; ring: () => KeyRing; intervalMs: number; log: Logger }) {
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = running
      .then(() => writeCheckpoint(deps))
      .catch((err: unknown) => deps.log.warn({ err }, 'audit checkpoint failed'));
    return running;
  };
  const timer = deps.intervalMs > 0 ? setInterval(tick, deps.intervalMs) : null;
  timer?.unref();
  return {
    now: tick,
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await tick();
    },
  };
}
