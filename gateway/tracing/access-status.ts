// Whether an investigator may already see a camera's footage for a window: decide() on their own rights,
// then on each of their approved grants. The answer is shown, never used to send video.
import { decide } from '../access/policy.ts';
import { toGrantView } from '../access/runtime.ts';
import type { CameraResource, GrantView, Subject, TimeWindow, Uuid } from '../domain/types.ts';
import type { Grant } from '../repositories/grants.repository.ts';

export interface AccessStatus {
  canView: boolean;
  reason: string;
  grantId: Uuid | null;
}

/** Approved grants of one user, by camera, as decide() sees them. */
export function grantsByCamera(grants: Grant[]): Map<Uuid, GrantView[]> {
  const out = new Map<Uuid, GrantView[]>();
  for (const g of grants) {
    if (g.state !== 'approved') continue;
    const view = toGrantView(g);
    for (const cam of g.cameraIds) {
      const list = out.get(cam);
      if (list) list.push(view);
      else out.set(cam, [view]);
    }
  }
  return out;
}

export function accessStatus(
  subject: Subject,
  camera: CameraResource,
  footage: TimeWindow,
  grants: Map<Uuid, GrantView[]>,
  ctx: { now: Date; villageCommitteeMayView: boolean; isRevoked?: (grantId: Uuid) => boolean },
): AccessStatus {
  const base = { now: ctx.now, footage, villageCommitteeMayView: ctx.villageCommitteeMayView };
  const own = decide(subject, 'playback', camera, base);
  if (own.allow) return { canView: true, reason: own.reason, grantId: null };
  let refusal: string = own.reason;
  for (const g of grants.get(camera.id) ?? []) {
    if (ctx.isRevoked?.(g.id)) continue;
    const d = decide(subject, 'playback', camera, { ...base, grant: g });
    if (d.allow) return { canView: true, reason: d.reason, grantId: g.id };
    refusal = d.reason;
  }
  return { canView: false, reason: refusal, grantId: null };
}
