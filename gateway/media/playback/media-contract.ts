// Footage's view of the shared media contract (gateway/media/authorize.ts and sessions.ts): the one authorize()
// and the one session registry, or a registry of its own when the gateway runs without the media runtime.
import type { AccessRuntime } from '../../access/runtime.ts';
import { authorizeOver, type Authorize, type MediaAuthorization } from '../authorize.ts';
import { SessionRegistry, closeOnRevocation, type SessionHandle } from '../sessions.ts';

export type { Authorize, MediaAuthorization };

/** What footage needs of the one session registry (gateway/media/sessions.ts): `open`. */
export type Sessions = Pick<SessionRegistry, 'open'>;

/** Unregisters a session its owner ended (viewer left, export finished) without calling its close(). */
export function releaseOf(handle: SessionHandle): () => void {
  return () => handle.release();
}

export function createAuthorize(access: AccessRuntime): Authorize {
  return authorizeOver(access);
}

/** A registry of footage's own, fed by the access layer's revocations (until media-core's is passed in). */
export function ownSessions(access: AccessRuntime): { sessions: Sessions; close(): void } {
  const registry = new SessionRegistry();
  const off = closeOnRevocation((fn) => access.onRevocation(fn), registry);
  return { sessions: registry, close: off };
}
