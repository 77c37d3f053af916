// Deduplication, pure: does a new request fit inside an open one for the same case (join it), overlap a pending one
// the agreement lets us widen (extend it), or neither? The service serialises and writes.
import type { Action, TimeWindow, Uuid } from '../domain/types.ts';
import type { Agreement } from '../repositories/agreements.repository.ts';
import type { Grant } from '../repositories/grants.repository.ts';
import { checkAgainstAgreement, hull, isSubset, overlaps, union, within } from './rules.ts';

export interface DedupRequest {
  cameraIds: Uuid[];
  actions: Action[];
  footage: TimeWindow | null;
}

export type DedupMatch =
  | { kind: 'contained' }
  | { kind: 'extend'; cameraIds: Uuid[]; actions: Action[]; footage: TimeWindow | null; addedCameraIds: Uuid[] }
  | null;

type Candidate = Pick<Grant, 'state' | 'requestedCameraIds' | 'cameraIds' | 'requestedActions' | 'actions' | 'requestedFootageFrom' | 'requestedFootageTo' | 'footageFrom' | 'footageTo' | 'lifetimeMinutes'>;

/** A pending request is compared with what was asked, an approved grant with what was granted. */
export function matchCandidate(c: Candidate, r: DedupRequest, agreement: Agreement | null, now: Date): DedupMatch {
  const pending = c.state === 'pending';
  const cams = pending ? c.requestedCameraIds : c.cameraIds;
  const acts = pending ? c.requestedActions : c.actions;
  const [from, to] = pending ? [c.requestedFootageFrom, c.requestedFootageTo] : [c.footageFrom, c.footageTo];
  const cw = from && to ? { from, to } : null;
  const footageCovered = r.footage === null || (cw !== null && within(r.footage, cw));
  if (isSubset(r.cameraIds, cams) && isSubset(r.actions, acts) && footageCovered) return { kind: 'contained' };
  const shares = r.cameraIds.some((id) => cams.includes(id)) && (r.footage === null || cw === null || overlaps(r.footage, cw));
  if (!pending || !shares) return null;
  // Widen the pending request instead of opening a second approval task, if the agreement still allows it.
  const footage = r.footage && cw ? hull(r.footage, cw) : (r.footage ?? cw);
  const actions = union(acts, r.actions);
  if (agreement && checkAgainstAgreement(agreement, { actions, footage, lifetimeMinutes: c.lifetimeMinutes, emergency: false }, now).problem) return null;
  return { kind: 'extend', cameraIds: union(cams, r.cameraIds), actions, footage, addedCameraIds: r.cameraIds.filter((id) => !cams.includes(id)) };
}
