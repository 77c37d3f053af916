// What footage a user may find for a camera: recorded ranges (merged in SQL), gaps and camera-side ranges,
// clipped to what decide() lets them see — everything for their own cameras, a grant's footage window otherwise.
import type { CameraResource, Subject, TimeWindow, Uuid } from '../../domain/types.ts';
import { decide } from '../../access/policy.ts';
import { toGrantView } from '../../access/runtime.ts';
import type { Grant } from '../../repositories/grants.repository.ts';
import type { FootageRepository, Stream } from '../../repositories/footage.repository.ts';
import { errors } from '../../errors.ts';
import { intersect } from './window.ts';

export interface ListingDeps {
  subject(userId: Uuid): Promise<Subject | null>;
  camera(id: Uuid): Promise<CameraResource | null>;
  usableGrants(userId: Uuid, cameraId: Uuid, now: Date): Promise<Grant[]>;
  repo: FootageRepository;
  villageCommitteeMayView: boolean;
  /** The camera's display name, told only to someone the listing has authorised (file names, page titles). */
  cameraName?(id: Uuid): Promise<string | null>;
  /** Camera-side (ONVIF Profile G) ranges, when the camera has a recording service. */
  cameraSide?(cameraId: Uuid, window: TimeWindow): Promise<TimeWindow[]>;
}

export interface Listing {
  cameraId: Uuid;
  cameraName: string | null;
  stream: Stream;
  from: Date;
  to: Date;
  /** 'own': the caller's own rights show everything; 'grant': only the listed grants' footage windows. */
  scope: 'own' | 'grant';
  visible: Array<{ from: Date; to: Date; grantId: Uuid | null }>;
  ranges: Array<{ from: Date; to: Date; source: 'gateway' | 'camera' }>;
  gaps: Array<{ from: Date; to: Date; reason: string }>;
}

const MAX_SPAN_MS = 400 * 24 * 3600_000;

export async function listRecordings(
  deps: ListingDeps,
  req: { userId: Uuid; cameraId: Uuid; stream: Stream; window: TimeWindow; now?: Date },
): Promise<Listing> {
  const { window } = req;
  if (!(window.from < window.to)) throw errors.validation("'from' must be before 'to'");
  if (window.to.getTime() - window.from.getTime() > MAX_SPAN_MS) throw errors.validation('list at most 400 days at a time');
  const now = req.now ?? new Date();
  const [subject, camera] = await Promise.all([deps.subject(req.userId), deps.camera(req.cameraId)]);
  if (!subject) throw errors.unauthenticated('account is disabled');
  if (!camera) throw errors.notFound('no such camera');
  const ctx = { now, footage: window, villageCommitteeMayView: deps.villageCommitteeMayView, leewayMs: 0 };

  let scope: Listing['scope'] = 'own';
  let visible: Listing['visible'] = [];
  const own = decide(subject, 'playback', camera, { ...ctx, grant: null });
  if (own.allow) {
    visible = [{ ...window, grantId: null }];
  } else {
    scope = 'grant';
    let refusal = own;
    for (const g of await deps.usableGrants(req.userId, req.cameraId, now)) {
      const view = toGrantView(g);
      const inside = view.footage ? intersect(window, view.footage) : null;
      if (!inside) continue;
      const d = decide(subject, 'playback', camera, { ...ctx, footage: inside, grant: view });
      if (d.allow) visible.push({ ...inside, grantId: view.id });
      else refusal = d;
    }
    if (visible.length === 0) throw errors.accessDenied(refusal.message, { reason: refusal.reason });
  }

  const ranges: Listing['ranges'] = [];
  const gaps: Listing['gaps'] = [];
  for (const v of mergeWindows(visible)) {
    for (const r of await deps.repo.ranges(req.cameraId, req.stream, v.from, v.to)) ranges.push({ ...r, source: 'gateway' });
    for (const g of await deps.repo.gaps(req.cameraId, req.stream, v.from, v.to)) gaps.push(g);
    if (deps.cameraSide) for (const r of await deps.cameraSide(req.cameraId, v)) ranges.push({ ...r, source: 'camera' });
  }
  ranges.sort((a, b) => a.from.getTime() - b.from.getTime());
  const cameraName = deps.cameraName ? await deps.cameraName(req.cameraId) : null;
  return { cameraId: req.cameraId, cameraName, stream: req.stream, from: window.from, to: window.to, scope, visible, ranges, gaps };
}

/** Overlapping grant windows listed once. */
function mergeWindows(ws: TimeWindow[]): TimeWindow[] {
  const sorted = [...ws].sort((a, b) => a.from.getTime() - b.from.getTime());
  const out: TimeWindow[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && w.from <= last.to) last.to = w.to > last.to ? w.to : last.to;
    else out.push({ from: w.from, to: w.to });
  }
  return out;
}
