// When the first requester withdraws, the requests that joined theirs live on: pure planning of who leads.
import type { Grant, GrantPatch } from '../repositories/grants.repository.ts';
import { isSubset, within } from './rules.ts';

type Req = Pick<Grant, 'id' | 'state' | 'requestedCameraIds' | 'requestedActions' | 'requestedFootageFrom' | 'requestedFootageTo'>;

const asked = (g: Req) => (g.requestedFootageFrom && g.requestedFootageTo ? { from: g.requestedFootageFrom, to: g.requestedFootageTo } : null);

/** Does `lead`'s own request cover everything `m` asked for? */
export function covers(lead: Req, m: Req): boolean {
  const a = asked(m);
  const b = asked(lead);
  return isSubset(m.requestedCameraIds, lead.requestedCameraIds) && isSubset(m.requestedActions, lead.requestedActions) && (a === null || (b !== null && within(a, b)));
}

/**
 * The first open member leads (no parent). A later pending member joins the leader when the leader's request
 * covers it, else stands alone; decided members follow the leader (they were already decided).
 */
export function planHandOver(lead: Req | null, m: Req): { parentId: string | null; kind: 'promoted' | 'rejoined' | 'detached' } {
  if (lead === null) return { parentId: null, kind: 'promoted' };
  if (m.state !== 'pending' || (lead.state === 'pending' && covers(lead, m))) return { parentId: lead.id, kind: 'rejoined' };
  return { parentId: null, kind: 'detached' };
}

/** A pending request standing alone asks for exactly what its requester asked for. */
export function ownRequest(m: Req): GrantPatch {
  return {
    cameraIds: m.requestedCameraIds,
    actions: m.requestedActions,
    footageFrom: m.requestedFootageFrom,
    footageTo: m.requestedFootageTo,
  };
}
