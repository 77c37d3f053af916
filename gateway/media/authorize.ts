// The one media authorisation interface: live, snapshot, playback, export and masked live all ask it,
// and it asks gateway/access (authorizePlay) — no consumer checks rights by hand.
import { errors } from '../errors.ts';
import type { AccessRuntime } from '../access/runtime.ts';
import { verifyPlayToken } from '../access/tokens.ts';

export type MediaAction = 'live' | 'snapshot' | 'playback' | 'export';

export interface MediaAuthorizeInput {
  token: string | undefined;
  cameraId: string;
  action: MediaAction;
  /** Required for playback/export when the token carries a footage window. */
  footage?: { from: Date; to: Date };
  ip: string;
}

export interface MediaAuthorization {
  userId: string;
  grantId: string | null;
  caseNo: string | null;
  /** Access must end by this time (token expiry, grant end, live window end). */
  until: Date;
  /** The footage window the caller may see (clip every byte to it); null: not limited by a grant. */
  footage: { from: Date; to: Date } | null;
  /** Register the session under these keys: grant:<id>, user:<id>, login:<sid>, camera:<id>. */
  revocationKeys: string[];
  /** Login session or token id (kept for consumers that group by it). */
  sessionKey: string;
}

/** Throws a coded AppError (token_missing, token_invalid, token_expired, access_denied, grant_revoked…) to refuse. */
export type Authorize = (input: MediaAuthorizeInput) => Promise<MediaAuthorization>;

/** Canonical revocation keys: ids lower-cased so `camera:ABC…` and `camera:abc…` are the same session key. */
export function revocationKeysFor(a: { userId: string; grantId: string | null; sessionKey: string; cameraId: string }): string[] {
  const keys = [`user:${a.userId.toLowerCase()}`, `login:${a.sessionKey}`, `camera:${a.cameraId.toLowerCase()}`];
  if (a.grantId !== null) keys.push(`grant:${a.grantId.toLowerCase()}`);
  return keys;
}

export function intersect(a: { from: Date; to: Date }, b: { from: Date; to: Date } | null): { from: Date; to: Date } | null {
  if (!b) return a;
  const from = a.from > b.from ? a.from : b.from;
  const to = a.to < b.to ? a.to : b.to;
  return from < to ? { from, to } : null;
}

type AccessForMedia = Pick<AccessRuntime, 'authorizePlay' | 'keyRing' | 'config' | 'tokenCache' | 'grant'>;

/**
 * The gateway's implementation, over the access runtime's play-token check. A footage request is first clipped to
 * what the token may see (token window ∩ grant window); one wholly outside gets footage_outside_grant with the
 * nearest allowed range instead of a bare refusal.
 */
export function authorizeOver(access: AccessForMedia): Authorize {
  return async (input) => {
    if (!input.token) throw errors.tokenMissing('a play token is needed');
    let footage = input.footage ?? null;
    let allowed: { from: Date; to: Date } | null = null;
    if (footage && (input.action === 'playback' || input.action === 'export')) {
      const claims = await verifyPlayToken(access.keyRing, input.token, {
        now: new Date(), leewaySeconds: access.config.leewayMs / 1000, cache: access.tokenCache,
      });
      const grant = claims.gid ? await access.grant(claims.gid) : null;
      allowed = claims.ff !== undefined && claims.ft !== undefined ? { from: new Date(claims.ff * 1000), to: new Date(claims.ft * 1000) } : null;
      if (grant?.footage) allowed = allowed ? intersect(allowed, grant.footage) : grant.footage;
      if (allowed) {
        const inside = intersect(footage, allowed);
        if (!inside) {
          throw errors.footageOutsideGrant('The footage asked for lies outside what this token may see.', {
            nearest: { from: allowed.from.toISOString(), to: allowed.to.toISOString() },
          });
        }
        footage = inside;
      }
    }
    const a = await access.authorizePlay({ token: input.token, cameraId: input.cameraId, action: input.action, footage });
    if (a.until.getTime() <= Date.now()) throw errors.tokenExpired('Access has already ended.');
    return {
      userId: a.userId,
      grantId: a.grantId,
      caseNo: a.caseNo ?? null,
      until: a.until,
      footage: allowed ?? a.footage ?? null,
      revocationKeys: revocationKeysFor({ ...a, cameraId: input.cameraId }),
      sessionKey: a.sessionKey,
    };
  };
}
