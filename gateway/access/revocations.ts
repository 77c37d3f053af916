// In-memory revocation registry consulted on every play check. Pure data: fed by the database
// (LISTEN/NOTIFY) elsewhere. Entries are forgotten once every token they could affect has expired.
import { MAX_PLAY_TOKEN_TTL_SECONDS, type PlayClaims } from './tokens.ts';

export type RevocationReason = 'grant_revoked' | 'token_revoked' | 'user_disabled' | 'credentials_reset' | 'session_logged_out';

export interface RevocationHit {
  reason: RevocationReason;
  /** When the revocation took effect (ms since epoch). */
  at: number;
}

/** The claims the registry looks at. */
export type RevocableClaims = Pick<PlayClaims, 'sub' | 'gid' | 'jti' | 'iat'> & { sid?: string | undefined };

export interface RevocationRegistryOptions {
  /** Keep entries this long after they took effect; at least the longest token lifetime plus leeway. */
  retentionMs?: number;
}

/**
 * Grants and token ids: revoked for good, whatever the token's iat.
 * Users and sessions: tokens issued at or before the revocation are dead; a re-enabled user's new tokens are not.
 */
export class RevocationRegistry {
  private readonly grants = new Map<string, number>();
  private readonly tokens = new Map<string, number>();
  private readonly users = new Map<string, number>();
  private readonly resets = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  readonly retentionMs: number;

  constructor(opts: RevocationRegistryOptions = {}) {
    this.retentionMs = opts.retentionMs ?? (MAX_PLAY_TOKEN_TTL_SECONDS + 60) * 1000;
  }

  revokeGrant(grantId: string, at: Date): void {
    record(this.grants, grantId, at.getTime());
    this.pruneOnWrite(at.getTime());
  }
  revokeToken(jti: string, at: Date): void {
    record(this.tokens, jti, at.getTime());
    this.pruneOnWrite(at.getTime());
  }
  disableUser(userId: string, at: Date): void {
    record(this.users, userId, at.getTime());
    this.pruneOnWrite(at.getTime());
  }
  /**
   * Re-enabling changes nothing here: tokens issued before the disable stay dead (they compare by iat),
   * tokens issued after it were never affected.
   */
  enableUser(_userId: string): void {}
  /** A password reset: every token the user held until now is dead, like a disable that needs no enable. */
  resetCredentials(userId: string, at: Date): void {
    record(this.resets, userId, at.getTime());
    this.pruneOnWrite(at.getTime());
  }
  logoutSession(sessionId: string, at: Date): void {
    record(this.sessions, sessionId, at.getTime());
    this.pruneOnWrite(at.getTime());
  }

  isRevoked(claims: RevocableClaims): RevocationHit | null {
    if (claims.gid !== null) {
      const at = this.grants.get(claims.gid);
      if (at !== undefined) return { reason: 'grant_revoked', at };
    }
    const tokenAt = this.tokens.get(claims.jti);
    if (tokenAt !== undefined) return { reason: 'token_revoked', at: tokenAt };
    // iat has second resolution: a token issued in the same second as the revocation counts as before it.
    const issuedMs = claims.iat * 1000;
    const userAt = this.users.get(claims.sub);
    if (userAt !== undefined && issuedMs <= userAt) return { reason: 'user_disabled', at: userAt };
    const resetAt = this.resets.get(claims.sub);
    if (resetAt !== undefined && issuedMs <= resetAt) return { reason: 'credentials_reset', at: resetAt };
    if (claims.sid !== undefined) {
      const sessionAt = this.sessions.get(claims.sid);
      if (sessionAt !== undefined && issuedMs <= sessionAt) return { reason: 'session_logged_out', at: sessionAt };
    }
    return null;
  }

  private latest = 0;
  /** Writes prune too, so memory stays bounded even if nobody calls prune(). */
  private pruneOnWrite(at: number): void {
    if (at > this.latest) this.latest = at;
    this.prune(new Date(this.latest));
  }

  isGrantRevoked(grantId: string): boolean {
    return this.grants.has(grantId);
  }

  /** Forget entries older than the retention. Cheap: stops at the first entry still needed. */
  prune(now: Date): number {
    const cutoff = now.getTime() - this.retentionMs;
    return prune(this.grants, cutoff) + prune(this.tokens, cutoff) + prune(this.users, cutoff) + prune(this.resets, cutoff) + prune(this.sessions, cutoff);
  }

  /** Replays stored revocations (oldest first), e.g. at start or after the bus reconnects. */
  load(stored: Iterable<{ kind: 'user' | 'session' | 'token'; key: string; reason: string; at: Date }>): void {
    for (const r of stored) {
      if (r.kind === 'session') this.logoutSession(r.key, r.at);
      else if (r.kind === 'token') this.revokeToken(r.key, r.at);
      else if (r.reason === 'credentials_reset') this.resetCredentials(r.key, r.at);
      else this.disableUser(r.key, r.at);
    }
  }

  size(): { grants: number; tokens: number; users: number; sessions: number } {
    return { grants: this.grants.size, tokens: this.tokens.size, users: this.users.size + this.resets.size, sessions: this.sessions.size };
  }
}

/** Keep the latest time (it revokes more) and move the key to the end so the map stays roughly time-ordered. */
function record(map: Map<string, number>, key: string, at: number): void {
  const prev = map.get(key);
  if (prev !== undefined) map.delete(key);
  map.set(key, prev !== undefined && prev > at ? prev : at);
}

/**
 * Entries arrive roughly in time order, so pruning walks from the oldest and stops at the first one
 * still needed. A late, older entry may outstay its retention a little: that only ever over-revokes.
 */
function prune(map: Map<string, number>, cutoff: number): number {
  let removed = 0;
  for (const [key, at] of map) {
    if (at >= cutoff) break;
    map.delete(key);
    removed++;
  }
  return removed;
}
