// Composition of recorded-footage consumers (playback, export, masks) over one authorize() and one session
// registry. main.ts registers `routes`; tests and benches build the same thing.
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../compose.ts';
import { createAuthorize, ownSessions, type Authorize, type Sessions } from './media-contract.ts';
import { footageRepository } from '../../repositories/footage.repository.ts';
import { localSegmentFiles, recordingRoot, type SegmentFiles } from './segment-files.ts';
import { playbackService } from './playback.service.ts';
import { playbackRoutes } from './routes.ts';
import type { ListingDeps } from './listing.ts';
import { cameraSideRanges, fetchCameraSide, type CameraEndpoint } from './camera-side.ts';
import { locateFfmpeg } from '../../../camera-adapters/ffmpeg/index.ts';
import { exportService, type ExportDeps } from '../export/export.service.ts';
import { gatewayMasks } from '../masks/gateway-masks.ts';
import { maskRoutes } from '../masks/routes.ts';
import { exportRoutes } from '../export/routes.ts';

export interface FootageOptions {
  /** Segment store root; default media-core's `recording.dir` or ./data/recordings. */
  recordingDir?: string;
  exportDir?: string;
  /** media-core's authorize and registry when they exist; else built here over gw.access. */
  authorize?: Authorize;
  sessions?: Sessions;
}

export function startFootage(gw: Gateway, opts: FootageOptions = {}) {
  const repo = footageRepository(gw.db);
  const files: SegmentFiles = localSegmentFiles(opts.recordingDir ?? recordingRoot(gw.config));
  const authorize = opts.authorize ?? createAuthorize(gw.access);
  const own = opts.sessions ? null : ownSessions(gw.access);
  const sessions: Sessions = opts.sessions ?? own!.sessions;
  const offRevocation = own ? own.close : () => undefined;
  const endpoint = async (id: string): Promise<CameraEndpoint | null> => {
    const c = await gw.repos.cameras.byId(id);
    if (!c) return null;
    const creds = gw.cipher.decrypt(c.credentialsEnc);
    return { host: c.onvifHost, port: c.onvifPort, username: creds.username, password: creds.password, clockOffsetMs: c.clockOffsetMs };
  };
  const stationOf = async (id: string) => (await gw.access.camera(id))?.stationId ?? null;
  const listedCameraSide = cameraSideRanges({ log: gw.log, endpoint });
  const cameraSide = {
    async covers(cameraId: string, window: { from: Date; to: Date }) {
      const ranges = await listedCameraSide(cameraId, window);
      return ranges.some((r) => r.from.getTime() <= window.from.getTime() && r.to.getTime() >= window.to.getTime());
    },
    fetch: (cameraId: string, window: { from: Date; to: Date }) =>
      fetchCameraSide({ endpoint, ffmpegPath: locateFfmpeg(gw.config.media.ffmpegPath ?? undefined) }, cameraId, window),
  };
  const playback = playbackService({
    authorize, sessions, repo, files, audit: gw.repos.audit, stationOf, log: gw.log,
    idleMs: gw.config.footage.playbackIdleMs, rangeToleranceMs: gw.config.footage.rangeToleranceMs,
    masksFor: (cameraId, viewerId, grantId) => masks.forViewer(cameraId, viewerId, grantId),
    ffmpegPath: locateFfmpeg(gw.config.media.ffmpegPath ?? undefined),
    cameraSide,
  });
  const listing: ListingDeps = {
    subject: (id) => gw.access.subject(id),
    camera: (id) => gw.access.camera(id),
    usableGrants: (userId, cameraId, now) => gw.repos.grants.usable(userId, cameraId, 'playback', now),
    repo,
    villageCommitteeMayView: gw.config.access.villageCommitteeMayView,
    cameraSide: listedCameraSide,
    cameraName: async (id) => (await gw.repos.cameras.byId(id))?.name ?? null,
  };
  const userName = async (id: string | null) => (id ? ((await gw.repos.users.byId(id))?.username ?? null) : null);
  const masks = gatewayMasks(gw, repo);
  const masksFor = (cameraId: string, viewerId: string, grantId: string | null) => masks.forViewer(cameraId, viewerId, grantId);
  const issueToken: ExportDeps['issueToken'] = async (user, sessionId, r) =>
    (await gw.playTokens.issue(user, sessionId, { cameraId: r.cameraId, action: 'export', footage: r.footage, grantId: r.grantId })).token;
  const exports = exportService({
    authorize, issueToken, sessions, repo, files, audit: gw.repos.audit, events: gw.events, log: gw.log, masksFor,
    ffmpegPath: locateFfmpeg(gw.config.media.ffmpegPath ?? undefined),
    exportDir: opts.exportDir ?? gw.config.footage.exportDir,
    maxExportMs: gw.config.footage.maxExportMinutes * 60_000,
    signingKey: () => gw.access.keyRing.signingKey(),
    cameraSide,
    async camera(id) {
      const c = await gw.repos.cameras.byId(id);
      if (!c) return null;
      const st = await gw.repos.jurisdictions.byId(c.stationId);
      return { id: c.id, name: c.name, ownerClass: c.ownerClass, ownerUserId: c.ownerUserId, station: { id: c.stationId, code: st?.code ?? null, name: st?.name ?? null } };
    },
    async grant(id) {
      const g = await gw.repos.grants.byId(id);
      if (!g) return null;
      return {
        id: g.id, caseNo: g.caseNo,
        requester: { id: g.requesterUserId, name: await userName(g.requesterUserId) },
        approver: g.decidedBy ? { id: g.decidedBy, name: await userName(g.decidedBy) } : null,
      };
    },
  });
  const plugins: Array<(app: FastifyInstance) => Promise<void>> = [
    playbackRoutes(gw, playback, listing),
    exportRoutes(gw, exports, { authorize, issueToken }),
    maskRoutes(gw, masks, repo),
  ];
  return {
    repo,
    files,
    authorize,
    sessions,
    playback,
    listing,
    exports,
    masks,
    routes: async (app: FastifyInstance) => {
      for (const p of plugins) await p(app);
    },
    async close(): Promise<void> {
      offRevocation();
      playback.close();
      await exports.close();
    },
  };
}
export type Footage = ReturnType<typeof startFootage>;
