// Composition of recorded-footage consumers (playback, export, masks) over one authorize() and one session
// registry. main.ts registers `routes`; tests and benches build the same thing.
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../compose.ts';
import { createAuthorize, type Authorize } from '../authorize.ts';
import { SessionRegistry, closeOnRevocation } from '../sessions.ts';
import { footageRepository } from '../../repositories/footage.repository.ts';
import { localSegmentFiles, recordingRoot, type SegmentFiles } from './segment-files.ts';
import { playbackService } from './playback.service.ts';
import { playbackRoutes } from './routes.ts';
import type { ListingDeps } from './listing.ts';

export interface FootageOptions {
  /** Segment store root; default media-core's `recording.dir` or ./data/recordings. */
  recordingDir?: string;
  exportDir?: string;
  /** media-core's authorize and registry when they exist; else built here over gw.access. */
  authorize?: Authorize;
  sessions?: SessionRegistry;
}

export function startFootage(gw: Gateway, opts: FootageOptions = {}) {
  const repo = footageRepository(gw.db);
  const files: SegmentFiles = localSegmentFiles(opts.recordingDir ?? recordingRoot(gw.config));
  const authorize = opts.authorize ?? createAuthorize(gw.access);
  const ownRegistry = !opts.sessions;
  const sessions = opts.sessions ?? new SessionRegistry();
  const offRevocation = ownRegistry ? closeOnRevocation(sessions, (fn) => gw.access.onRevocation(fn)) : () => undefined;
  const stationOf = async (id: string) => (await gw.access.camera(id))?.stationId ?? null;
  const playback = playbackService({
    authorize, sessions, repo, files, audit: gw.repos.audit, stationOf, log: gw.log,
    idleMs: gw.config.footage.playbackIdleMs, rangeToleranceMs: gw.config.footage.rangeToleranceMs,
  });
  const listing: ListingDeps = {
    subject: (id) => gw.access.subject(id),
    camera: (id) => gw.access.camera(id),
    usableGrants: (userId, cameraId, now) => gw.repos.grants.usable(userId, cameraId, 'playback', now),
    repo,
    villageCommitteeMayView: gw.config.access.villageCommitteeMayView,
    rangeToleranceMs: gw.config.footage.rangeToleranceMs,
  };
  const plugins: Array<(app: FastifyInstance) => Promise<void>> = [playbackRoutes(gw, playback, listing)];
  return {
    repo,
    files,
    authorize,
    sessions,
    playback,
    listing,
    routes: async (app: FastifyInstance) => {
      for (const p of plugins) await p(app);
    },
    async close(): Promise<void> {
      offRevocation();
      playback.close();
    },
  };
}
export type Footage = ReturnType<typeof startFootage>;
