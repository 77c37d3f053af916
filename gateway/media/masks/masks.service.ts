// Privacy masks: the owner's rectangles, versioned and audited; who sees them blurred; lifting them for one grant.
import type { Db } from '../../db/pool.ts';
import { withTx } from '../../db/pool.ts';
import type { CameraResource, Subject, Uuid } from '../../domain/types.ts';
import { decide } from '../../access/policy.ts';
import { errors } from '../../errors.ts';
import { AUDIT } from '../../audit/actions.ts';
import type { AuditRepository } from '../../repositories/audit.repository.ts';
import type { FootageRepository, MaskRow } from '../../repositories/footage.repository.ts';
import type { Grant } from '../../repositories/grants.repository.ts';
import type { MaskRect } from '../../../camera-adapters/ffmpeg/footage-commands.ts';

export interface MaskDecision {
  masks: Array<{ version: number; rects: MaskRect[] }>;
  lifted: { grantId: Uuid; maskVersion: number; liftedBy: Uuid } | null;
}

/** A committed mask change, as the live edge hears it. */
export type MaskChange = { op: 'saved'; cameraId: Uuid; version: number } | { op: 'lifted'; cameraId: Uuid; grantId: Uuid; version: number };

export const MAX_RECTS = 16;
/** Below this a rectangle is a slip of the mouse, not a privacy region (and too small to blur). */
const MIN_SIDE = 0.01;

/** Rounds to 4 decimals and checks each rectangle lies inside the frame. */
export function canonicalRects(rects: readonly MaskRect[]): MaskRect[] {
  if (rects.length > MAX_RECTS) throw errors.validation(`at most ${MAX_RECTS} rectangles`);
  return rects.map((r, i) => {
    const c = { x: +r.x.toFixed(4), y: +r.y.toFixed(4), w: +r.w.toFixed(4), h: +r.h.toFixed(4) };
    if (c.x < 0 || c.y < 0 || c.w < MIN_SIDE || c.h < MIN_SIDE || c.x + c.w > 1.0001 || c.y + c.h > 1.0001) {
      throw errors.validation(`rects[${i}] must lie inside the frame (fractions 0..1) and be at least 1 % wide and high`);
    }
    return c;
  });
}

export function masksService(deps: {
  db: Db;
  repo: FootageRepository;
  audit: AuditRepository;
  subject(id: Uuid): Promise<Subject | null>;
  camera(id: Uuid): Promise<CameraResource | null>;
  grant(id: Uuid): Promise<Grant | undefined>;
  villageCommitteeMayView: boolean;
  /** After a save or lift is committed: open live views re-decide their mask (every process, over the bus). */
  onChange?(change: MaskChange): void;
}) {
  async function manager(user: { id: Uuid }, cameraId: Uuid): Promise<{ subject: Subject; camera: CameraResource }> {
    const [subject, camera] = await Promise.all([deps.subject(user.id), deps.camera(cameraId)]);
    if (!subject) throw errors.unauthenticated('account is disabled');
    if (!camera) throw errors.notFound('no such camera');
    const d = decide(subject, 'manage', camera, { now: new Date(), villageCommitteeMayView: deps.villageCommitteeMayView });
    if (!d.allow) throw errors.accessDenied(d.message, { reason: d.reason });
    return { subject, camera };
  }

  return {
    async current(user: { id: Uuid }, cameraId: Uuid): Promise<MaskRow | null> {
      await manager(user, cameraId);
      return (await deps.repo.currentMask(cameraId)) ?? null;
    },

    /** A new version (an empty list removes the mask from then on); the old versions stay for the manifests. */
    async save(user: { id: Uuid; username: string }, cameraId: Uuid, rects: readonly MaskRect[]): Promise<MaskRow> {
      const { camera } = await manager(user, cameraId);
      const clean = canonicalRects(rects);
      const saved = await withTx(deps.db, async (tx) => {
        const row = await deps.repo.saveMask(cameraId, clean, user.id, tx);
        await deps.audit.append({
          action: AUDIT.cameraMask, outcome: 'allow', actorUserId: user.id, actorName: user.username, cameraId, stationId: camera.stationId,
          reason: 'mask_saved', details: { version: row.version, rects: clean },
        }, tx);
        return row;
      });
      deps.onChange?.({ op: 'saved', cameraId, version: saved.version });
      return saved;
    },

    /** The owner lets one grant's viewers and exports see the original; recorded with the mask version it lifts. */
    async lift(user: { id: Uuid; username: string }, grantId: Uuid, cameraId: Uuid): Promise<{ grantId: Uuid; cameraId: Uuid; maskVersion: number }> {
      const { camera } = await manager(user, cameraId);
      const g = await deps.grant(grantId);
      if (!g || !g.cameraIds.includes(cameraId)) throw errors.notFound('no such grant for this camera');
      const mask = await deps.repo.currentMask(cameraId);
      if (!mask) throw errors.conflict('this camera has no mask to lift');
      await withTx(deps.db, async (tx) => {
        await deps.repo.liftMask(grantId, cameraId, mask.version, user.id, tx);
        await deps.audit.append({
          action: AUDIT.cameraMask, outcome: 'allow', actorUserId: user.id, actorName: user.username, cameraId, grantId, caseNo: g.caseNo,
          stationId: camera.stationId, reason: 'mask_lifted_for_grant', details: { version: mask.version },
        }, tx);
      });
      deps.onChange?.({ op: 'lifted', cameraId, grantId, version: mask.version });
      return { grantId, cameraId, maskVersion: mask.version };
    },

    /** Owners see their own footage unmasked, a grant the owner lifted the mask for too; everyone else gets the mask. */
    async forViewer(cameraId: Uuid, viewerId: Uuid, grantId: Uuid | null): Promise<MaskDecision> {
      const [cam, mask] = await Promise.all([deps.camera(cameraId), deps.repo.currentMask(cameraId)]);
      if (!mask || mask.rects.length === 0 || cam?.ownerUserId === viewerId) return { masks: [], lifted: null };
      const lift = grantId ? await deps.repo.maskLift(grantId, cameraId) : undefined;
      if (lift && grantId) return { masks: [], lifted: { grantId, maskVersion: lift.maskVersion, liftedBy: lift.liftedBy } };
      return { masks: [{ version: mask.version, rects: mask.rects }], lifted: null };
    },
  };
}
export type MasksService = ReturnType<typeof masksService>;
