// The one media authorisation interface: live, snapshot, playback, export and masked live all ask it,
// and it asks gateway/access (authorizePlay) — no consumer checks rights by hand.
import { errors } from '../errors.ts';
import type { AccessRuntime } from '../access/runtime.ts';

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

/** The gateway's implementation, over the access runtime's play-token check. */
export function authorizeOver(access: Pick<AccessRuntime, 'authorizePlay'>): Authorize {
  return async (input) => {
    const a = await access.authorizePlay({
      token: input.token,
      cameraId: input.cameraId,
      action: input.action,
      footage: input.footage ?? null,
    });
    if (a.until.getTime() <= Date.now()) throw errors.tokenExpired('Access has already ended.');
    return {
      userId: a.userId,
      grantId: a.grantId,
      caseNo: a.caseNo ?? null,
      until: a.until,
      footage: a.footage ?? null,
      revocationKeys: revocationKeysFor({ ...a, cameraId: input.cameraId }),
      sessionKey: a.sessionKey,
    };
  };
}
