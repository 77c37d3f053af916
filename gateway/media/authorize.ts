// The one authorisation call of every media consumer (live, snapshot, playback, export, masked live),
// implemented over the access layer's authorizePlay(). Footage requests are clipped to the allowed window here.
import type { AccessRuntime } from '../access/runtime.ts';
import { verifyPlayToken } from '../access/tokens.ts';
import type { TimeWindow, Uuid } from '../domain/types.ts';
import { errors } from '../errors.ts';
import { revocationKeys } from './sessions.ts';
import { intersect } from './playback/window.ts';

export type MediaAction = 'live' | 'snapshot' | 'playback' | 'export';

export interface AuthorizeRequest {
  token: string | undefined;
  cameraId: Uuid;
  action: MediaAction;
  footage?: TimeWindow;
  ip: string;
}

export interface MediaAuthorization {
  userId: Uuid;
  grantId: Uuid | null;
  caseNo: string | null;
  until: Date;
  /** The footage this token may see (token window ∩ grant window); null = no footage limit. */
  footage: TimeWindow | null;
  revocationKeys: string[];
}

export type Authorize = (req: AuthorizeRequest) => Promise<MediaAuthorization>;


export function createAuthorize(access: AccessRuntime): Authorize {
  return async (req) => {
    if (!req.token) throw errors.tokenMissing('a play token is needed');
    const claims = await verifyPlayToken(access.keyRing, req.token, {
      now: new Date(),
      leewaySeconds: access.config.leewayMs / 1000,
      cache: access.tokenCache,
    });
    const grant = claims.gid ? await access.grant(claims.gid) : null;
    let allowed: TimeWindow | null =
      claims.ff !== undefined && claims.ft !== undefined ? { from: new Date(claims.ff * 1000), to: new Date(claims.ft * 1000) } : null;
    if (grant?.footage) allowed = allowed ? intersect(allowed, grant.footage) : grant.footage;
    let footage = req.footage;
    if (footage && allowed && (req.action === 'playback' || req.action === 'export')) {
      const inside = intersect(footage, allowed);
      if (!inside) {
        throw errors.footageOutsideGrant('The footage asked for lies outside what this token may see.', {
          nearest: { from: allowed.from.toISOString(), to: allowed.to.toISOString() },
        });
      }
      footage = inside;
    }
    const a = await access.authorizePlay({ token: req.token, cameraId: req.cameraId, action: req.action, footage: footage ?? null });
    return {
      userId: a.userId,
      grantId: a.grantId,
      caseNo: grant?.caseNo ?? null,
      until: a.until,
      footage: allowed,
      revocationKeys: revocationKeys({ userId: a.userId, grantId: a.grantId, sessionKey: a.sessionKey, cameraId: req.cameraId }),
    };
  };
}
