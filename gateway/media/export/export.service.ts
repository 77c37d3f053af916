// Evidence export: authorise (action export, through the one authorize()), clip the window's segments with the
// MPEG-TS filter, remux (or transcode for watermark/masks) to MP4 with ffmpeg, hash, audit, sign the manifest.
// A running export is a session in the registry: revoking the grant stops it.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { CryptoKey } from 'jose';
import type { TimeWindow, Uuid } from '../../domain/types.ts';
import { errors, isAppError } from '../../errors.ts';
import { AUDIT } from '../../audit/actions.ts';
import type { AuditRepository } from '../../repositories/audit.repository.ts';
import type { ExportRow, FootageRepository, SegmentRow, Stream } from '../../repositories/footage.repository.ts';
import type { EventPublisher } from '../../events/types.ts';
import { spawnManaged } from '../../../camera-adapters/ffmpeg/index.ts';
import { evidenceClipArgs } from '../../../camera-adapters/ffmpeg/footage-commands.ts';
import { intersect } from '../playback/window.ts';
import { releaseOf, type Authorize, type MediaAuthorization, type Sessions } from '../playback/media-contract.ts';
import type { SegmentFiles } from '../playback/segment-files.ts';
import { clipSegment } from '../playback/playback.service.ts';
import { merkleRoot, signManifest, type EvidenceManifest } from './manifest.ts';
import type { MaskDecision } from '../masks/masks.service.ts';

const FONTS = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
];

export interface ExportRequest {
  cameraId: Uuid;
  stream: Stream;
  window: TimeWindow;
  watermark: boolean;
  grantId: Uuid | null;
}

export interface CameraFacts {
  id: Uuid;
  name: string;
  ownerClass: string;
  ownerUserId: Uuid | null;
  station: { id: Uuid; code: string | null; name: string | null };
}

export interface ExportDeps {
  authorize: Authorize;
  /** A play token for this user, camera, action and window: the export goes through the same decision as playback. */
  issueToken(user: { id: Uuid; username: string }, sessionId: string, req: { cameraId: Uuid; footage: TimeWindow; grantId: Uuid | null }): Promise<string>;
  sessions: Sessions;
  repo: FootageRepository;
  files: SegmentFiles;
  audit: AuditRepository;
  events: EventPublisher;
  camera(id: Uuid): Promise<CameraFacts | null>;
  grant(id: Uuid): Promise<{ id: Uuid; caseNo: string; requester: { id: Uuid; name: string | null }; approver: { id: Uuid; name: string | null } | null } | null>;
  masksFor(cameraId: Uuid, viewerId: Uuid, grantId: Uuid | null): Promise<MaskDecision>;
  signingKey(): { kid: string; key: CryptoKey };
  /** Camera-side footage (ONVIF Profile G): does the camera hold the whole window, and fetch it as MPEG-TS. */
  cameraSide?: {
    covers(cameraId: Uuid, window: TimeWindow): Promise<boolean>;
    fetch(cameraId: Uuid, window: TimeWindow): Promise<{ ts: Buffer; recordingToken: string; range: string }>;
  };
  ffmpegPath: string;
  exportDir: string;
  maxExportMs: number;
  log: Logger;
}

const iso = (d: Date | number): string => new Date(d).toISOString();

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function exportService(deps: ExportDeps) {
  const { repo, files, audit, log } = deps;
  const running = new Map<Uuid, Promise<void>>();
  const dirOf = (id: Uuid): string => path.join(deps.exportDir, id);

  async function run(row: ExportRow, user: { id: Uuid; username: string }, auth: MediaAuthorization, req: ExportRequest, window: TimeWindow, segs: SegmentRow[], source: 'gateway' | 'camera'): Promise<void> {
    let cancelled: string | null = null;
    let proc: ReturnType<typeof spawnManaged> | null = null;
    const release = releaseOf(deps.sessions.open({
      kind: 'export', userId: auth.userId, cameraId: req.cameraId, grantId: auth.grantId, revocationKeys: auth.revocationKeys,
      // An export may outlive its play token; revocation still stops it, expiry of the token does not.
      until: new Date(Date.now() + 6 * 3600_000),
      close: (reason) => {
        cancelled = reason;
        void proc?.stop(500);
      },
    }));
    const dir = dirOf(row.id);
    const clipFile = path.join(dir, 'clip.mp4');
    let lastEvent = 0;
    const progress = (p: number, state: 'running' | 'done' | 'failed', extra: Record<string, unknown> = {}): void => {
      const now = Date.now();
      if (state === 'running' && now - lastEvent < 250) return;
      lastEvent = now;
      if (state === 'running') void repo.exportProgress(row.id, p).catch(() => undefined);
      deps.events.publish({ type: 'export.progress', userIds: [user.id], payload: { exportId: row.id, cameraId: req.cameraId, progress: p, state, ...extra } });
    };
    try {
      await mkdir(dir, { recursive: true });
      const camera = (await deps.camera(req.cameraId))!;
      const masks = await deps.masksFor(req.cameraId, user.id, auth.grantId);
      const rects = masks.masks.flatMap((m) => m.rects);
      let watermark: { fontFile: string; textFile: string; firstFrameEpochSeconds: number } | undefined;
      let watermarkText: string | null = null;
      const font = FONTS.find((f) => existsSync(f));
      if (req.watermark) {
        if (!font) throw errors.unavailable('no font for the watermark is installed');
        watermarkText = `${user.username} | grant ${auth.grantId ?? 'own station'} | case ${auth.caseNo ?? '-'}`;
        const textFile = path.join(dir, 'watermark.txt');
        await writeFile(textFile, watermarkText, 'utf8');
        // The clock is drawn from the first kept frame's wall time, known once the first segment is clipped.
        watermark = { fontFile: font, textFile, firstFrameEpochSeconds: 0 };
      }

      // Camera-side: the camera replays the window over RTSP; it is then one segment, hashed as received.
      const fetched = new Map<string, Buffer>();
      let replay: { recordingToken: string; range: string } | null = null;
      if (source === 'camera') {
        const r = await deps.cameraSide!.fetch(req.cameraId, window);
        const hash = createHash('sha256').update(r.ts).digest('hex');
        segs = [{ id: `camera:${r.recordingToken}`, cameraId: req.cameraId, stream: req.stream, startAt: window.from, endAt: window.to, bytes: r.ts.length, path: '', sha256: hash, firstPts90k: null }];
        fetched.set(segs[0]!.id, r.ts);
        replay = { recordingToken: r.recordingToken, range: r.range };
      }
      // Clip every segment first (cheap, in memory one at a time) only to learn the first frame for the watermark.
      const gaps = (await repo.gaps(req.cameraId, req.stream, window.from, window.to)).map((g) => ({ from: iso(g.from), to: iso(g.to), reason: g.reason }));
      const used: EvidenceManifest['segments'] = [];
      let first: number | null = null;
      let last: number | null = null;
      const total = segs.reduce((n, s) => n + s.bytes, 0) || 1;
      let done = 0;
      let args: string[] | null = null;
      let lastRaw: { seg: SegmentRow; raw: Buffer } | null = null;
      for (const s of segs) {
        if (cancelled) break;
        const raw = fetched.get(s.id) ?? (await files.read(s.path).catch(() => null));
        const hash = raw ? createHash('sha256').update(raw).digest('hex') : null;
        if (!raw || hash !== s.sha256) {
          // A missing or altered segment never reaches evidence: it is a gap, named as such.
          gaps.push({ from: iso(s.startAt), to: iso(s.endAt), reason: raw ? 'corrupt' : 'missing' });
          done += s.bytes;
          continue;
        }
        // Only the ends of the window need cutting; a segment wholly inside goes to ffmpeg as recorded.
        const inside = first !== null && s !== segs[segs.length - 1] && s.startAt >= window.from && s.endAt <= window.to;
        let bytes = raw;
        if (inside) {
          lastRaw = { seg: s, raw };
        } else {
          const c = clipSegment(s, raw, window);
          if (c.firstFrameMs === null || c.lastFrameMs === null) {
            done += s.bytes;
            continue;
          }
          first ??= c.firstFrameMs;
          last = c.lastFrameMs;
          lastRaw = null;
          bytes = c.bytes;
        }
        used.push({ id: s.id, start: iso(s.startAt), end: iso(s.endAt), bytes: s.bytes, sha256: s.sha256 });
        if (!proc) {
          if (watermark) watermark.firstFrameEpochSeconds = first! / 1000;
          args = evidenceClipArgs({ output: clipFile, ...(watermark && { watermark }), ...(rects.length && { masks: rects }) });
          proc = spawnManaged(deps.ffmpegPath, args, { stdin: 'pipe' });
        }
        const stdin = proc.child.stdin!;
        if (!stdin.write(bytes)) {
          await new Promise<void>((resolve) => {
            const fin = () => {
              stdin.off('drain', fin);
              proc!.child.off('exit', fin);
              resolve();
            };
            stdin.once('drain', fin);
            proc!.child.once('exit', fin);
          });
        }
        done += s.bytes;
        progress(Math.min(0.95, done / total), 'running');
      }
      if (cancelled) throw errors.grantRevoked(`export stopped: ${String(cancelled)}`, { reason: cancelled });
      // The footage ended with an uncut segment (the window's last one was lost): its last frame is the clip's.
      if (lastRaw) last = clipSegment(lastRaw.seg, lastRaw.raw, window).lastFrameMs ?? last;
      if (!proc || first === null || last === null || !args) throw errors.footageNotRecorded('No playable footage in this window.');
      proc.child.stdin!.end();
      const exit = await proc.exited;
      if (cancelled) throw errors.grantRevoked(`export stopped: ${String(cancelled)}`, { reason: cancelled });
      if (exit.code !== 0) throw new Error(`ffmpeg exited ${String(exit.code)}: ${proc.stderrTail().slice(-500)}`);

      const clipSha = await sha256File(clipFile);
      const clipBytes = (await stat(clipFile)).size;
      const root = merkleRoot(used.map((u) => u.sha256));
      const grant = auth.grantId ? await deps.grant(auth.grantId) : null;
      const [auditId] = await audit.append({
        action: AUDIT.exportCreate,
        outcome: 'allow',
        actorUserId: user.id,
        actorName: user.username,
        cameraId: req.cameraId,
        grantId: auth.grantId,
        caseNo: auth.caseNo,
        stationId: camera.station.id,
        windowFrom: new Date(first),
        windowTo: new Date(last),
        reason: 'export',
        details: { exportId: row.id, clipSha256: clipSha, merkleRoot: root, segments: used.length, watermark: req.watermark, source, masks: masks.masks.map((m) => m.version) },
      });
      const shownArgs = args.map((a) =>
        a.replaceAll(clipFile, 'clip.mp4').replaceAll(path.join(dir, 'watermark.txt'), 'watermark.txt').replaceAll(font ?? '\u0000', path.basename(font ?? '')),
      );
      const manifest: EvidenceManifest = {
        type: 'shouwang-evidence-manifest/1',
        exportId: row.id,
        camera: { id: camera.id, name: camera.name, ownerClass: camera.ownerClass, ownerStation: camera.station },
        stream: req.stream,
        source,
        requested: { from: iso(req.window.from), to: iso(req.window.to) },
        allowed: auth.footage ? { from: iso(auth.footage.from), to: iso(auth.footage.to) } : null,
        actual: { firstFrame: iso(first), lastFrame: iso(last) },
        gaps: gaps.sort((a, b) => a.from.localeCompare(b.from)),
        segments: used,
        merkleRoot: root,
        clip: { file: 'clip.mp4', format: 'mp4', bytes: clipBytes, sha256: clipSha },
        transform: {
          cut: 'MPEG-TS packet filter: first keyframe at or after the window start to the last frame before its end',
          replay,
          ffmpeg: { args: shownArgs },
          watermark: watermarkText ? { text: watermarkText } : null,
          masks: masks.masks,
          maskLifted: masks.lifted,
        },
        grant: grant ? { id: grant.id, caseNo: grant.caseNo, requester: grant.requester, approver: grant.approver } : null,
        requester: { id: user.id, name: user.username },
        caseNo: auth.caseNo,
        exportedAt: new Date().toISOString(),
        auditId: auditId ?? null,
      };
      const signed = await signManifest(manifest, deps.signingKey());
      const text = `${JSON.stringify(signed, null, 2)}\n`;
      await writeFile(path.join(dir, 'manifest.json'), text, 'utf8');
      await repo.finishExport(row.id, { clipSha256: clipSha, clipBytes, manifest: text, auditId: auditId ?? null });
      progress(1, 'done', { clipSha256: clipSha });
    } catch (e) {
      // What the requester reads back (GET /exports/:id): a coded error's own words, never ffmpeg's or a device's
      // (server paths, camera addresses); the log keeps the detail.
      const msg = isAppError(e) ? `${e.code}: ${e.message}` : 'export_failed: internal error (see the gateway log)';
      if (!cancelled) log.warn({ err: e, exportId: row.id }, 'export failed');
      await proc?.stop(500);
      await repo.failExport(row.id, cancelled ? `stopped: ${String(cancelled)}` : msg).catch(() => undefined);
      await rm(clipFile, { force: true }).catch(() => undefined);
      await audit
        .append({ action: AUDIT.exportRefused, outcome: 'deny', actorUserId: user.id, cameraId: req.cameraId, grantId: auth.grantId, reason: cancelled ?? 'export_failed', details: { exportId: row.id } })
        .catch(() => undefined);
      progress(0, 'failed', { reason: cancelled ?? 'export_failed' });
    } finally {
      release();
    }
  }

  return {
    /** Authorises and starts an export; `done` settles when the clip and manifest are written (or it failed). */
    async create(user: { id: Uuid; username: string }, sessionId: string, req: ExportRequest, ip: string): Promise<{ row: ExportRow; done: Promise<void> }> {
      if (!(req.window.from < req.window.to)) throw errors.validation("'from' must be before 'to'");
      if (req.window.to.getTime() - req.window.from.getTime() > deps.maxExportMs) {
        throw errors.validation(`one export covers at most ${Math.round(deps.maxExportMs / 60_000)} minutes`);
      }
      const refused = async (e: unknown): Promise<never> => {
        const code = (e as { code?: string }).code ?? 'error';
        await audit.append({ action: AUDIT.exportRefused, outcome: 'deny', actorUserId: user.id, cameraId: req.cameraId, grantId: req.grantId, windowFrom: req.window.from, windowTo: req.window.to, reason: code, details: { ip } }).catch(() => undefined);
        throw e;
      };
      let auth: MediaAuthorization;
      try {
        const token = await deps.issueToken(user, sessionId, { cameraId: req.cameraId, footage: req.window, grantId: req.grantId });
        auth = await deps.authorize({ token, cameraId: req.cameraId, action: 'export', footage: req.window, ip });
      } catch (e) {
        return refused(e);
      }
      const window = intersect(req.window, auth.footage);
      if (!window) return refused(errors.footageOutsideGrant('The window lies outside what you may export.'));
      const segs = await repo.segments(req.cameraId, req.stream, window.from, window.to);
      // Nothing recorded by the gateway: the camera's own card may hold it (every byte still inside the window).
      const source = segs.length === 0 && (await deps.cameraSide?.covers(req.cameraId, window)) ? 'camera' : 'gateway';
      if (segs.length === 0 && source === 'gateway') {
        const near = await repo.nearestSegment(req.cameraId, req.stream, window.from, window.to);
        const shown = near ? intersect(near, auth.footage) : null;
        return refused(errors.footageNotRecorded('No footage is recorded in this window.', { nearest: shown ? { from: iso(shown.from), to: iso(shown.to) } : null }));
      }
      const row = await repo.insertExport({
        cameraId: req.cameraId, stream: req.stream, requesterId: user.id, grantId: auth.grantId, caseNo: auth.caseNo,
        from: window.from, to: window.to, watermark: req.watermark, source,
      });
      const done = run(row, user, auth, req, window, segs, source);
      running.set(row.id, done);
      void done.finally(() => running.delete(row.id));
      return { row, done };
    },

    /** Path of a finished export's file; only its requester may fetch it (the caller re-authorises). */
    fileOf(row: ExportRow, name: 'clip.mp4' | 'manifest.json'): string {
      if (row.state !== 'done') throw errors.exportNotReady(`export is ${row.state}`, { state: row.state });
      return path.join(dirOf(row.id), name);
    },

    repoRow: (id: Uuid) => repo.exportById(id),
    ofCase: (caseNo: string) => repo.exportsOfCase(caseNo),
    ofRequester: (userId: Uuid) => repo.exportsOfRequester(userId),

    async close(): Promise<void> {
      await Promise.allSettled([...running.values()]);
    },
  };
}
export type ExportService = ReturnType<typeof exportService>;
