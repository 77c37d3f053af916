// Builds the gateway's recorder from config and wires it: the live edge as its source, the recordings
// repository, audited holds for approved grants' footage windows, recording state published as an event.
import path from 'node:path';
import type { Gateway } from '../../compose.ts';
import { AUDIT } from '../../audit/actions.ts';
import { locateFfmpeg } from '../../../camera-adapters/ffmpeg/index.ts';
import { recordingsRepository } from '../../repositories/recordings.repository.ts';
import type { LiveEdge } from '../live/live-edge.ts';
import { Recorder } from './recorder.ts';
import { LocalSegmentStore } from './segment-store.ts';
import type { RecordingConfig } from './policy.ts';

export function recordingConfigOf(gw: Gateway): RecordingConfig {
  const r = gw.config.recording;
  return {
    enabled: r.enabled,
    dir: r.dir,
    segmentSeconds: r.segmentSeconds,
    minFreeBytes: r.minFreeBytes,
    classes: {
      police: { record: true, retentionDays: r.retentionDays.police, quotaBytes: r.quotaBytes.police },
      village: { record: true, retentionDays: r.retentionDays.village, quotaBytes: r.quotaBytes.village },
      household: { record: false, retentionDays: r.retentionDays.household, quotaBytes: r.quotaBytes.household },
    },
  };
}

type HoldableGrant = Parameters<Recorder['holdForGrant']>[0];

/** Holds the footage window of every approved grant that has one; returns how many holds were created. */
export async function holdApprovedGrants(approved: () => Promise<HoldableGrant[]>, recorder: Pick<Recorder, 'holdForGrant'>): Promise<number> {
  let created = 0;
  for (const g of await approved()) {
    if (g.footageFrom && g.footageTo) created += (await recorder.holdForGrant(g)).length;
  }
  return created;
}

/** Starts recording when `recording.enabled`; returns null otherwise. */
export async function startRecorder(gw: Gateway, edge: LiveEdge, opts: { dir?: string } = {}): Promise<{ recorder: Recorder; close(): Promise<void> } | null> {
  const config = recordingConfigOf(gw);
  if (!config.enabled) return null;
  const store = new LocalSegmentStore(opts.dir ?? path.resolve(config.dir));
  const repo = recordingsRepository(gw.db);
  const recorder = new Recorder({
    repo,
    store,
    config,
    ffmpegPath: locateFfmpeg(gw.config.media.ffmpegPath ?? undefined),
    source: edge,
    onState(cameraId, state, reason) {
      void gw.repos.cameras.byId(cameraId).then((cam) => {
        if (!cam) return;
        // the owning station's users see it like camera.state; no address or device detail in it
        gw.events.publish({ type: 'camera.recording', stationIds: [cam.stationId], payload: { cameraId, state, reason } });
      }, () => undefined);
      if (state === 'disk_full') gw.log.warn({ cameraId }, 'recording stopped: store full');
    },
    async auditHold({ op, hold, userId, reason }) {
      await gw.repos.audit.append({
        action: op === 'create' ? AUDIT.holdCreate : AUDIT.holdRelease,
        outcome: 'info',
        actorUserId: userId,
        cameraId: hold.cameraId,
        grantId: hold.grantId,
        caseNo: hold.caseNo,
        reason,
        details: { holdId: hold.id, from: hold.startAt.toISOString(), to: hold.endAt.toISOString() },
      });
    },
    log: (level, msg, detail) => gw.log[level](detail ?? {}, msg),
  });
  // an approved grant's footage window is held from retention (every process hears it; the insert is idempotent)
  let reconcileTimer: NodeJS.Timeout | null = null;
  const off = gw.bus.on((m) => {
    if (m.kind === 'camera') {
      // consent, settings or enrolment changed: re-read the policy (debounced: bulk edits send many)
      reconcileTimer ??= setTimeout(() => {
        reconcileTimer = null;
        void recorder.reconcile().catch((err: unknown) => gw.log.error({ err }, 'recording policy reload failed'));
      }, 1000);
      return;
    }
    if (m.kind !== 'event') return;
    const e = m.data as { type?: string; payload?: { id?: string; decision?: string } };
    if (e.type !== 'grant.decided' || e.payload?.decision !== 'approved' || typeof e.payload.id !== 'string') return;
    void gw.repos.grants.byId(e.payload.id).then(
      (g) => (g && g.state === 'approved' ? recorder.holdForGrant(g) : undefined),
      () => undefined,
    ).catch((err: unknown) => gw.log.error({ err }, 'creating footage holds failed'));
  });
  await recorder.start();
  // Grants approved while no gateway process was recording are held too (idempotent per grant and camera).
  await holdApprovedGrants(() => gw.repos.grants.list({ states: ['approved'], limit: 1000 }), recorder).catch((err: unknown) =>
    gw.log.error({ err }, 'holding approved grants at start failed'));
  return {
    recorder,
    async close() {
      off();
      if (reconcileTimer) clearTimeout(reconcileTimer);
      await recorder.close();
    },
  };
}
