// Pure planning of a grant request: where each camera's request goes (station or owner) or why it is left out,
// and the footage window that will actually be asked for. No I/O: the service loads the facts.
import type { Action, CameraResource, DecisionContext, Subject, TimeWindow, Uuid } from '../domain/types.ts';
import { decide } from '../access/policy.ts';
import { errors } from '../errors.ts';
import { WATCH_ACTIONS } from './rules.ts';

export interface CameraFacts {
  resource: CameraResource;
  /** The home camera's owner has an activated, enabled account. */
  ownerActive: boolean;
  /** The owner's latest consent lets emergency grants bypass their choice. */
  emergencyBypass: boolean;
}

export interface RoutingInput {
  actor: Subject;
  actions: readonly Action[];
  emergency: boolean;
  context: Pick<DecisionContext, 'now' | 'villageCommitteeMayView'>;
}

export type CameraRoute =
  | { to: 'station' | 'owner' }
  | { excluded: ExclusionReason; message: string; /** An explicitly named camera that can never be requested refuses the request. */ refuse: boolean };

export type ExclusionReason = 'not_needed' | 'camera_disabled' | 'never_live' | 'no_approver' | 'owner_not_asked';

export const EXCLUSION_MESSAGES: Record<ExclusionReason, string> = {
  not_needed: 'You may already view this camera.',
  camera_disabled: 'The camera is disabled.',
  never_live: 'The owner never shares live video or stills from this camera, not even under a grant or in an emergency.',
  no_approver: 'This home camera’s owner has no activated account and delegated no committee: nobody could approve a request.',
  owner_not_asked:
    'The owner shares this home camera only with their own station or on request, and did not allow emergency grants to bypass that: send a normal request.',
};

const out = (reason: ExclusionReason, refuse: boolean): CameraRoute => ({ excluded: reason, message: EXCLUSION_MESSAGES[reason], refuse });

/**
 * Police and village cameras go to the owning station; home cameras to their owner (or delegated committee).
 * An emergency goes to the station for review, and covers a home camera only if its owner allowed that.
 */
export function routeCamera(cam: CameraFacts, r: RoutingInput): CameraRoute {
  const res = cam.resource;
  if (r.actions.every((a) => decide(r.actor, a, res, r.context).allow)) return out('not_needed', false);
  if (!res.enabled) return out('camera_disabled', true);
  const household = res.ownerClass === 'household';
  if (household && res.sharingMode === 'never_live' && r.actions.some((a) => WATCH_ACTIONS.has(a))) return out('never_live', !r.emergency);
  if (!household) return { to: 'station' };
  if (r.emergency) return cam.emergencyBypass ? { to: 'station' } : out('owner_not_asked', false);
  if (!cam.ownerActive && !res.delegatedToCommittee) return out('no_approver', false);
  return { to: 'owner' };
}

/** Who decides a request for a home camera: its owner, and the village committee when the owner delegated to it. */
export function ownerApprover(cam: { ownerUserId: Uuid | null; villageId: Uuid | null; delegatedToCommittee: boolean }): { approverUserId: Uuid | null; approverVillageId: Uuid | null } {
  return { approverUserId: cam.ownerUserId, approverVillageId: cam.delegatedToCommittee ? cam.villageId : null };
}

/** Footage asked for, clamped to now; a window that starts in the future is refused. Says what it changed. */
export function effectiveFootage(footage: TimeWindow | null, now: Date): { footage: TimeWindow | null; note: { code: 'footage_clamped_to_now'; message: string; requestedTo: Date } | null } {
  if (!footage) return { footage: null, note: null };
  if (footage.from.getTime() >= now.getTime()) {
    throw errors.validation('the footage window starts in the future: there is no footage yet', { reason: 'footage_in_future' });
  }
  if (footage.to.getTime() <= now.getTime()) return { footage, note: null };
  return {
    footage: { from: footage.from, to: now },
    note: { code: 'footage_clamped_to_now', message: `the footage window ended in the future; it was clamped to ${now.toISOString()}`, requestedTo: footage.to },
  };
}
