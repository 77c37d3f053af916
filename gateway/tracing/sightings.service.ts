// Sightings: a camera and a time on a case's route, with a note, a confidence and optionally a still taken
// through the media edge (the play token that fetched it is checked here). Every edit is kept as history.
import { createHash } from 'node:crypto';
import type { Db } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import type { Uuid } from '../domain/types.ts';
import { errors, isAppError } from '../errors.ts';
import { AUDIT } from '../audit/actions.ts';
import type { AccessRuntime } from '../access/runtime.ts';
import type { AuditRepository } from '../repositories/audit.repository.ts';
import type { GrantsRepository } from '../repositories/grants.repository.ts';
import { sightingsRepository, type Sighting, type SightingsRepository } from '../repositories/sightings.repository.ts';
import { casesRepository } from '../repositories/cases.repository.ts';
import type { CameraPositionsRepository } from '../repositories/camera-positions.repository.ts';
import type { Actor, CasesService } from './cases.service.ts';
import { accessStatus, grantsByCamera } from './access-status.ts';

export const SNAPSHOT_MAX_BYTES = 512 * 1024;
/** The footage window a sighting needs to be viewable: a minute either side. */
const AROUND_MS = 60_000;

export interface SightingInput {
  cameraId: Uuid;
  seenAt: Date;
  note?: string;
  confidence: number;
  snapshot?: { playToken: string; jpeg: Buffer } | null;
}

const view = (s: Sighting) => ({ cameraId: s.cameraId, seenAt: s.seenAt.toISOString(), note: s.note, confidence: s.confidence, snapshotSha256: s.snapshotSha256 });

export function sightingsService(deps: { db: Db; sightings: SightingsRepository; positions: CameraPositionsRepository; grants: GrantsRepository; audit: AuditRepository; access: AccessRuntime; cases: CasesService }) {
  const { db, access, audit } = deps;

  /** Re-checked inside the write's transaction: a case closed meanwhile takes no more sightings. */
  async function stillOpen(caseId: Uuid, tx: Parameters<typeof sightingsRepository>[0]): Promise<void> {
    if ((await casesRepository(tx).statusForShare(caseId, tx)) !== 'open') throw errors.caseClosed('the case is closed', { reason: 'case_closed' });
  }

  /** Refuses a camera the actor may not view around that time, naming the grant that would be needed. */
  async function requireViewable(actorId: Uuid, cameraId: Uuid, at: Date, now: Date): Promise<Uuid | null> {
    const subject = await access.subject(actorId);
    if (!subject) throw errors.unauthenticated('account is disabled');
    const camera = await access.camera(cameraId);
    if (!camera) throw errors.notFound('no such camera');
    const footage = { from: new Date(at.getTime() - AROUND_MS), to: new Date(at.getTime() + AROUND_MS) };
    const st = accessStatus(subject, camera, footage, grantsByCamera(await deps.grants.usable(actorId, cameraId, 'playback', now)), {
      now, villageCommitteeMayView: access.config.villageCommitteeMayView, isRevoked: (id) => access.revocations.isGrantRevoked(id),
    });
    if (!st.canView) {
      throw errors.accessDenied('you may not view this camera at that time; request a grant first', {
        reason: st.reason,
        needs: { cameraId, ownerStationId: camera.stationId, actions: ['playback'], footage: { from: footage.from.toISOString(), to: footage.to.toISOString() } },
      });
    }
    return st.grantId;
  }

  /** The still must have come through the media edge: a play token of this user for this camera and time. */
  async function checkSnapshot(actorId: Uuid, cameraId: Uuid, at: Date, snap: { playToken: string; jpeg: Buffer }): Promise<{ sha256: string; grantId: Uuid | null }> {
    if (snap.jpeg.length === 0 || snap.jpeg.length > SNAPSHOT_MAX_BYTES) throw errors.validation(`the snapshot must be 1 byte to ${SNAPSHOT_MAX_BYTES} bytes`, { reason: 'snapshot_size' });
    if (snap.jpeg[0] !== 0xff || snap.jpeg[1] !== 0xd8 || snap.jpeg[2] !== 0xff) throw errors.validation('the snapshot is not a JPEG', { reason: 'snapshot_not_jpeg' });
    let auth;
    try {
      auth = await access.authorizePlay({ token: snap.playToken, cameraId, action: 'playback', footage: { from: at, to: at } });
    } catch (e) {
      if (!isAppError(e) || e.code !== 'access_denied') throw e;
      // A live still: the token was issued for a snapshot of this camera.
      auth = await access.authorizePlay({ token: snap.playToken, cameraId, action: 'snapshot' });
    }
    if (auth.userId !== actorId) throw errors.accessDenied('the play token was issued to someone else', { reason: 'token_not_for_user' });
    return { sha256: createHash('sha256').update(snap.jpeg).digest('hex'), grantId: auth.grantId };
  }

  return {
    requireViewable,

    async add(actor: Actor, caseId: Uuid, input: SightingInput, now = new Date()): Promise<Sighting> {
      const { c } = await deps.cases.workable(actor.id, caseId);
      deps.cases.checkTime(c, input.seenAt, "the sighting's time", now);
      const accessGrantId = await requireViewable(actor.id, input.cameraId, input.seenAt, now);
      const snap = input.snapshot ? await checkSnapshot(actor.id, input.cameraId, input.seenAt, input.snapshot) : null;
      return withTx(db, async (tx) => {
        await stillOpen(caseId, tx);
        const repo = sightingsRepository(tx);
        const s = await repo.insert({
          caseId, cameraId: input.cameraId, seenAt: input.seenAt, note: (input.note ?? '').normalize('NFC').trim(), confidence: input.confidence,
          snapshot: input.snapshot?.jpeg ?? null, snapshotSha256: snap?.sha256 ?? null, snapshotGrantId: snap?.grantId ?? null, accessGrantId, createdBy: actor.id,
        }, tx);
        await repo.addHistory({ sightingId: s.id, version: s.version, kind: 'created', changedBy: actor.id, before: null, after: view(s) }, tx);
        await audit.append({ action: AUDIT.sightingSave, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, cameraId: s.cameraId, grantId: accessGrantId, caseNo: c.caseNo, details: { caseId, sightingId: s.id, op: 'create', seenAt: s.seenAt.toISOString(), snapshotSha256: s.snapshotSha256 } }, tx);
        return s;
      });
    },

    async edit(actor: Actor, caseId: Uuid, sightingId: Uuid, patch: { cameraId?: Uuid; seenAt?: Date; note?: string; confidence?: number; version?: number }, now = new Date()): Promise<Sighting> {
      const { c } = await deps.cases.workable(actor.id, caseId);
      if (patch.seenAt) deps.cases.checkTime(c, patch.seenAt, "the sighting's time", now);
      return withTx(db, async (tx) => {
        await stillOpen(caseId, tx);
        const repo = sightingsRepository(tx);
        const before = await repo.lock(sightingId, tx);
        if (!before || before.caseId !== caseId) throw errors.notFound('no such sighting');
        if (patch.version !== undefined && patch.version !== before.version) throw errors.staleVersion('the sighting changed since you loaded it', { reason: 'stale_version', version: before.version });
        let accessGrantId: Uuid | null | undefined;
        if (patch.cameraId || patch.seenAt) accessGrantId = await requireViewable(actor.id, patch.cameraId ?? before.cameraId, patch.seenAt ?? before.seenAt, now);
        const s = await repo.update(sightingId, { ...patch, ...(patch.note !== undefined && { note: patch.note.normalize('NFC').trim() }), ...(accessGrantId !== undefined && { accessGrantId }) }, tx);
        await repo.addHistory({ sightingId, version: s.version, kind: 'edited', changedBy: actor.id, before: view(before), after: view(s) }, tx);
        await audit.append({ action: AUDIT.sightingSave, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, cameraId: s.cameraId, caseNo: c.caseNo, details: { caseId, sightingId, op: 'edit', version: s.version } }, tx);
        return s;
      });
    },

    async remove(actor: Actor, caseId: Uuid, sightingId: Uuid): Promise<void> {
      const { c } = await deps.cases.workable(actor.id, caseId);
      await withTx(db, async (tx) => {
        await stillOpen(caseId, tx);
        const repo = sightingsRepository(tx);
        const before = await repo.lock(sightingId, tx);
        if (!before || before.caseId !== caseId) throw errors.notFound('no such sighting');
        await repo.markDeleted(sightingId, tx);
        await repo.addHistory({ sightingId, version: before.version + 1, kind: 'deleted', changedBy: actor.id, before: view(before), after: null }, tx);
        await audit.append({ action: AUDIT.sightingSave, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, cameraId: before.cameraId, caseNo: c.caseNo, details: { caseId, sightingId, op: 'delete' } }, tx);
      });
    },

    /** The route: sightings in time order. */
    async route(userId: Uuid, caseId: Uuid): Promise<Sighting[]> {
      await deps.cases.readable(userId, caseId);
      return deps.sightings.forCase(caseId);
    },

    /**
     * The route with where each sighting's camera is (name, place, owning station), so a member can draw it even
     * for partner cameras outside their scope: metadata crosses borders, video does not (as in reachable answers).
     */
    async routeWithCameras(userId: Uuid, caseId: Uuid) {
      await deps.cases.readable(userId, caseId);
      const items = await deps.sightings.forCase(caseId);
      const cams = await deps.positions.byIds([...new Set(items.map((s) => s.cameraId))]);
      return {
        items,
        cameras: cams.map((c) => ({ id: c.id, name: c.name, lat: c.lat, lon: c.lon, ownerClass: c.ownerClass, stationId: c.stationId, removed: c.removed })),
      };
    },

    async history(userId: Uuid, caseId: Uuid, sightingId: Uuid) {
      await deps.cases.readable(userId, caseId);
      const s = await deps.sightings.byId(sightingId);
      if (!s || s.caseId !== caseId) throw errors.notFound('no such sighting');
      return deps.sightings.history(sightingId);
    },

    /** The stored still: a still is video, so the reader must be allowed to view that camera at that time too. */
    async snapshot(userId: Uuid, caseId: Uuid, sightingId: Uuid, now = new Date()): Promise<Buffer> {
      await deps.cases.readable(userId, caseId);
      const s = await deps.sightings.byId(sightingId);
      if (!s || s.caseId !== caseId) throw errors.notFound('no such sighting');
      await requireViewable(userId, s.cameraId, s.seenAt, now);
      const jpeg = await deps.sightings.snapshot(sightingId);
      if (!jpeg) throw errors.notFound('this sighting has no snapshot');
      return jpeg;
    },
  };
}
export type SightingsService = ReturnType<typeof sightingsService>;
