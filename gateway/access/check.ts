// The media edge's hot path: play token → revocations → grant → decide(). One call per request.
import type { Action, CameraResource, Decision, GrantView, Subject, TimeWindow, Uuid } from '../domain/types.ts';
import { isAppError } from '../errors.ts';
import { decide } from './policy.ts';
import type { RevocableClaims, RevocationHit } from './revocations.ts';
import { verifyPlayToken, type PlayClaims, type VerificationKeys, type VerifiedTokenCache } from './tokens.ts';

/** Reason codes check adds on top of the policy's. Stable. */
export const CHECK_REASONS = {
  token_invalid: 'The play token is invalid.',
  token_expired: 'The play token has expired.',
  token_not_for_camera: 'The play token does not cover this camera.',
  token_action_not_allowed: 'The play token does not allow this action.',
  footage_outside_token: 'The footage asked for lies outside the play token’s window.',
  live_window_closed: 'Outside the play token’s live-viewing window.',
  footage_required: 'Say which footage window you want.',
  grant_revoked: 'The grant was revoked.',
  token_revoked: 'The play token was revoked.',
  user_disabled: 'The user account is disabled.',
  credentials_reset: 'The user’s password was reset after this play token was issued.',
  session_logged_out: 'The session that issued this play token has logged out.',
  unknown_user: 'The token’s user does not exist.',
  unknown_camera: 'No such camera.',
  grant_not_found: 'The token’s grant does not exist.',
} as const;
export type CheckReason = keyof typeof CHECK_REASONS;

export interface PlayRequest {
  token: string;
  cameraId: Uuid;
  action: Action;
  footage?: TimeWindow | null;
  now: Date;
}

export interface CheckConfig {
  villageCommitteeMayView: boolean;
  /** Clock leeway for token expiry and grant windows. */
  leewayMs: number;
}

export interface CheckDeps {
  keyRing: VerificationKeys;
  revocations: { isRevoked(claims: RevocableClaims): RevocationHit | null };
  cameraLookup(id: Uuid): CameraResource | undefined;
  subjectLookup(userId: Uuid): Subject | undefined;
  grantLookup(id: Uuid): GrantView | undefined;
  config: CheckConfig;
  /** Verified-token cache: the signature is checked once per token string per process. */
  tokenCache?: VerifiedTokenCache;
}

/** The decision plus the verified claims (null when the token failed), for the audit record. */
export type PlayCheck = Decision & { claims: PlayClaims | null };

const FROZEN_NONE = Object.freeze({});
const refused = {} as Record<CheckReason, Decision>;
for (const code of Object.keys(CHECK_REASONS) as CheckReason[]) {
  refused[code] = Object.freeze({ allow: false, reason: code, message: CHECK_REASONS[code], constraints: FROZEN_NONE });
}

export async function checkPlay(req: PlayRequest, deps: CheckDeps): Promise<PlayCheck> {
  let claims: PlayClaims;
  try {
    claims = await verifyPlayToken(deps.keyRing, req.token, {
      now: req.now,
      leewaySeconds: deps.config.leewayMs / 1000,
      ...(deps.tokenCache && { cache: deps.tokenCache }),
    });
  } catch (e) {
    if (isAppError(e) && (e.code === 'token_expired' || e.code === 'token_invalid')) {
      return { ...refused[e.code], claims: null };
    }
    throw e;
  }
  const d = decideClaims(claims, req, deps);
  return { allow: d.allow, reason: d.reason, message: d.message, constraints: d.constraints, claims };
}

/** Everything after signature verification: synchronous. */
export function decideClaims(claims: PlayClaims, req: PlayRequest, deps: CheckDeps): Decision {
  if (!claims.cams.includes(req.cameraId)) return refused.token_not_for_camera;
  if (!claims.act.includes(req.action)) return refused.token_action_not_allowed;

  const leeway = deps.config.leewayMs;
  const action = req.action;
  if (action === 'playback' || action === 'export') {
    if (claims.ff !== undefined && claims.ft !== undefined) {
      const f = req.footage;
      if (f === undefined || f === null) return refused.footage_required;
      if (f.from.getTime() < claims.ff * 1000 - leeway || f.to.getTime() > claims.ft * 1000 + leeway) {
        return refused.footage_outside_token;
      }
    }
  } else if (claims.lf !== undefined && claims.lt !== undefined) {
    const now = req.now.getTime();
    if (now < claims.lf * 1000 - leeway || now > claims.lt * 1000 + leeway) return refused.live_window_closed;
  }

  const hit = deps.revocations.isRevoked(claims);
  if (hit !== null) return refused[hit.reason];

  const subject = deps.subjectLookup(claims.sub);
  if (subject === undefined) return refused.unknown_user;
  const camera = deps.cameraLookup(req.cameraId);
  if (camera === undefined) return refused.unknown_camera;
  let grant: GrantView | null = null;
  if (claims.gid !== null) {
    const found = deps.grantLookup(claims.gid);
    if (found === undefined) return refused.grant_not_found;
    grant = found;
  }
  return decide(subject, action, camera, {
    now: req.now,
    grant,
    footage: req.footage ?? null,
    villageCommitteeMayView: deps.config.villageCommitteeMayView,
    leewayMs: leeway,
  });
}
