// The only place footage touches the shared media contract (gateway/media/authorize.ts and sessions.ts), so the
// merge with media-core's versions of those files is fixed here if their exports differ from the contract's.
import type { AccessRuntime } from '../../access/runtime.ts';
import { createAuthorize as contractAuthorize, type Authorize, type MediaAuthorization } from '../authorize.ts';
import { SessionRegistry, closeOnRevocation, type SessionInput } from '../sessions.ts';

export type { Authorize, MediaAuthorization };

/** What footage needs of the session registry: `open` as the contract declares it. */
export interface Sessions {
  open(input: SessionInput): unknown;
}

/** How to unregister a session its owner ended; tolerant of the handle shapes a registry may return. */
export function releaseOf(handle: unknown): () => void {
  if (typeof handle === 'function') return handle as () => void;
  const h = handle as { release?: () => void; unregister?: () => void } | null;
  if (h && typeof h.release === 'function') return () => h.release!();
  if (h && typeof h.unregister === 'function') return () => h.unregister!();
  return () => undefined;
}

export function createAuthorize(access: AccessRuntime): Authorize {
  return contractAuthorize(access);
}

/** A registry of footage's own, fed by the access layer's revocations (until media-core's is passed in). */
export function ownSessions(access: AccessRuntime): { sessions: Sessions; close(): void } {
  const registry = new SessionRegistry();
  const off = closeOnRevocation((fn) => access.onRevocation(fn), registry);
  return { sessions: registry, close: off };
}
