// Playback of recorded footage as HLS (VOD playlist + MPEG-TS segments): every playlist and segment request is
// authorised for the footage it carries, every segment is clipped to the allowed window, and each playback is one
// session in the registry (revocation or token expiry closes it and destroys its open responses).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TimeWindow, Uuid } from '../../domain/types.ts';
import { errors, isAppError } from '../../errors.ts';
import { AUDIT } from '../../audit/actions.ts';
import type { AuditRepository } from '../../repositories/audit.repository.ts';
import type { FootageRepository, SegmentRow, Stream } from '../../repositories/footage.repository.ts';
import { intersect } from './window.ts';
import { releaseOf, type Authorize, type MediaAuthorization, type Sessions } from './media-contract.ts';
import type { SegmentFiles } from './segment-files.ts';
import { clipTs } from './ts-clip.ts';
import type { MaskDecision } from '../masks/masks.service.ts';
import { runToCompletion } from '../../../camera-adapters/ffmpeg/index.ts';
import { maskedSegmentArgs, type MaskRect } from '../../../camera-adapters/ffmpeg/footage-commands.ts';

export interface PlaybackDeps {
  authorize: Authorize;
  sessions: Sessions;
  repo: FootageRepository;
  files: SegmentFiles;
  audit: AuditRepository;
  stationOf(cameraId: Uuid): Promise<Uuid | null>;
  log: Logger;
  idleMs: number;
  rangeToleranceMs: number;
  /** Privacy masks this viewer gets (none for the owner or under a lift). */
  masksFor(cameraId: Uuid, viewerId: Uuid, grantId: Uuid | null): Promise<MaskDecision>;
  ffmpegPath: string;
  /** Camera-side footage (ONVIF Profile G) for windows the gateway did not record. */
  cameraSide?: {
    covers(cameraId: Uuid, window: TimeWindow): Promise<boolean>;
    fetch(cameraId: Uuid, window: TimeWindow): Promise<{ ts: Buffer; recordingToken: string; range: string }>;
  };
}

/** Camera-side playback is fetched in chunks of this length (replay runs in real time), a window of 10 minutes at most. */
const CAMERA_CHUNK_MS = 6_000;
const MAX_CAMERA_WINDOW_MS = 10 * 60_000;

/** Pseudo-segments `c<fromMs>-<toMs>` covering a camera-side window. */
function cameraChunks(cameraId: Uuid, stream: Stream, w: TimeWindow): SegmentRow[] {
  const out: SegmentRow[] = [];
  for (let t = w.from.getTime(); t < w.to.getTime(); t += CAMERA_CHUNK_MS) {
    const end = Math.min(t + CAMERA_CHUNK_MS, w.to.getTime());
    out.push({ id: `c${t}-${end}`, cameraId, stream, startAt: new Date(t), endAt: new Date(end), bytes: 0, path: '', sha256: '', firstPts90k: null });
  }
  return out;
}

function parseChunk(id: string): TimeWindow | null {
  const m = /^c(\d{1,15})-(\d{1,15})$/.exec(id);
  if (!m) return null;
  const from = Number(m[1]);
  const to = Number(m[2]);
  return to > from && to - from <= CAMERA_CHUNK_MS ? { from: new Date(from), to: new Date(to) } : null;
}

export interface PlaylistRequest {
  token: string | undefined;
  cameraId: Uuid;
  stream: Stream;
  window: TimeWindow;
  ip: string;
}

interface Closable {
  destroy(): void;
}

interface Playback {
  id: string;
  userId: Uuid;
  grantId: Uuid | null;
  cameraId: Uuid;
  stream: Stream;
  window: TimeWindow;
  closed: string | null;
  open: Set<Closable>;
  bytes: number;
  segments: number;
  idle: NodeJS.Timeout | null;
  /** Rectangles blurred for this viewer (empty: the original). */
  masks: MaskRect[];
  /** Who serves the footage: the gateway's recording or the camera's own card. */
  source: 'gateway' | 'camera';
  release(): void;
}

/** Longest window one playlist covers (a day of 10 s segments is 8,640 entries). */
const MAX_PLAYLIST_MS = 24 * 3600_000;

export function clipSegment(seg: SegmentRow, bytes: Buffer, window: TimeWindow): ReturnType<typeof clipTs> {
  return clipTs(bytes, { startMs: seg.startAt.getTime(), firstPts90k: seg.firstPts90k }, { fromMs: window.from.getTime(), toMs: window.to.getTime() });
}

const segWindow = (s: SegmentRow): TimeWindow => ({ from: s.startAt, to: s.endAt });
const iso = (d: Date): string => d.toISOString();

export function playbackService(deps: PlaybackDeps) {
  const { repo, files, audit, sessions, log } = deps;

  async function maskSegment(ts: Buffer, rects: MaskRect[]): Promise<Buffer> {
    const r = await runToCompletion(deps.ffmpegPath, maskedSegmentArgs({ masks: rects }), { timeoutMs: 60_000, stdin: ts, maxStdout: 256 * 1024 * 1024 });
    if (r.exit.code !== 0 || r.timedOut) throw new Error(`masking a segment failed: ${r.stderr.slice(-300)}`);
    return r.stdout;
  }
  const open = new Map<string, Playback>();

  async function refuse(e: unknown, req: { cameraId: Uuid; window?: TimeWindow | null; ip: string }, where: string): Promise<never> {
    if (isAppError(e) && e.status < 500) {
      await audit
        .append({
          action: AUDIT.playbackRefused,
          outcome: 'deny',
          cameraId: req.cameraId,
          stationId: await deps.stationOf(req.cameraId).catch(() => null),
          windowFrom: req.window?.from ?? null,
          windowTo: req.window?.to ?? null,
          reason: e.code,
          details: { ip: req.ip, where, ...(e.details?.['reason'] ? { why: e.details['reason'] } : {}) },
        })
        .catch((err: unknown) => log.warn({ err }, 'auditing a playback refusal failed'));
    }
    throw e;
  }

  function touch(p: Playback): void {
    if (p.idle) clearTimeout(p.idle);
    p.idle = setTimeout(() => close(p, 'idle'), deps.idleMs);
    p.idle.unref();
  }

  function close(p: Playback, reason: string): void {
    if (p.closed) return;
    p.closed = reason;
    if (p.idle) clearTimeout(p.idle);
    for (const c of p.open) if (typeof c.destroy === 'function') c.destroy();
    p.open.clear();
    p.release();
    // Kept a while so a late segment request is told why, then forgotten.
    setTimeout(() => open.delete(p.id), 10 * 60_000).unref();
    void audit
      .append({
        action: AUDIT.playbackClose,
        outcome: 'allow',
        actorUserId: p.userId,
        cameraId: p.cameraId,
        grantId: p.grantId,
        windowFrom: p.window.from,
        windowTo: p.window.to,
        reason,
        details: { playbackId: p.id, bytes: p.bytes, segments: p.segments },
      })
      .catch((err: unknown) => log.warn({ err }, 'auditing a playback close failed'));
  }

  /** Clips the first segments until one keeps a frame: the playlist starts at the first keyframe inside the window. */
  async function firstFrame(segs: SegmentRow[], window: TimeWindow): Promise<{ skip: number; at: Date } | null> {
    for (let i = 0; i < Math.min(segs.length, 3); i++) {
      const s = segs[i]!;
      if (s.startAt >= window.from) return { skip: i, at: s.startAt };
      const r = clipSegment(s, await files.read(s.path), window);
      if (r.firstFrameMs !== null) return { skip: i, at: new Date(r.firstFrameMs) };
    }
    return null;
  }

  return {
    /** Authorises, opens a playback session and returns its VOD playlist. */
    async playlist(req: PlaylistRequest): Promise<{ playbackId: string; body: string; window: TimeWindow; auth: MediaAuthorization }> {
      if (!(req.window.from < req.window.to)) await refuse(errors.validation("'from' must be before 'to'"), req, 'playlist');
      if (req.window.to.getTime() - req.window.from.getTime() > MAX_PLAYLIST_MS) {
        await refuse(errors.validation('one playlist covers at most 24 hours; ask for a shorter window'), req, 'playlist');
      }
      let auth: MediaAuthorization;
      try {
        auth = await deps.authorize({ token: req.token, cameraId: req.cameraId, action: 'playback', footage: req.window, ip: req.ip });
      } catch (e) {
        return refuse(e, req, 'playlist');
      }
      const window = intersect(req.window, auth.footage)!;
      const segs = await repo.segments(req.cameraId, req.stream, window.from, window.to, 20_000);
      let first = segs.length ? await firstFrame(segs, window) : null;
      let source: Playback['source'] = 'gateway';
      let list: SegmentRow[] = segs;
      if (!first && deps.cameraSide && window.to.getTime() - window.from.getTime() <= MAX_CAMERA_WINDOW_MS && (await deps.cameraSide.covers(req.cameraId, window))) {
        source = 'camera';
        list = cameraChunks(req.cameraId, req.stream, window);
        first = { skip: 0, at: window.from };
      }
      if (!first) {
        const near = await repo.nearestSegment(req.cameraId, req.stream, window.from, window.to);
        const shown = near ? intersect(near, auth.footage) : null;
        return refuse(
          errors.footageNotRecorded('No footage is recorded in this window.', {
            nearest: shown ? { from: iso(shown.from), to: iso(shown.to) } : null,
          }),
          { ...req, window },
          'playlist',
        );
      }
      list = list.slice(first.skip);
      const masks = await deps.masksFor(req.cameraId, auth.userId, auth.grantId);

      const id = randomUUID();
      const p: Playback = {
        id, userId: auth.userId, grantId: auth.grantId, cameraId: req.cameraId, stream: req.stream, window,
        closed: null, open: new Set(), bytes: 0, segments: 0, idle: null, release: () => undefined,
        masks: masks.masks.flatMap((m) => m.rects), source,
      };
      const handle = sessions.open({
        kind: 'playback', userId: auth.userId, cameraId: req.cameraId, grantId: auth.grantId,
        revocationKeys: auth.revocationKeys, until: auth.until, close: (reason) => close(p, reason),
      });
      p.release = releaseOf(handle);
      open.set(id, p);
      touch(p);
      await audit.append({
        action: AUDIT.playbackOpen,
        outcome: 'allow',
        actorUserId: auth.userId,
        cameraId: req.cameraId,
        grantId: auth.grantId,
        caseNo: auth.caseNo,
        stationId: await deps.stationOf(req.cameraId),
        windowFrom: window.from,
        windowTo: window.to,
        reason: 'playback',
        details: {
          playbackId: id, stream: req.stream, source, masks: masks.masks.map((m) => m.version), maskLifted: masks.lifted?.maskVersion ?? null,
          requested: { from: iso(req.window.from), to: iso(req.window.to) }, ip: req.ip },
      });

      const q = `token=${encodeURIComponent(req.token ?? '')}&pb=${id}`;
      const lines: string[] = [];
      let maxDur = 1;
      let prevEnd: Date | null = null;
      list.forEach((s, i) => {
        const start = i === 0 ? first.at : s.startAt < window.from ? window.from : s.startAt;
        const end = s.endAt > window.to ? window.to : s.endAt;
        const dur = Math.max(0.001, (end.getTime() - start.getTime()) / 1000);
        maxDur = Math.max(maxDur, Math.ceil(dur));
        if (prevEnd && s.startAt.getTime() - prevEnd.getTime() > deps.rangeToleranceMs) lines.push('#EXT-X-DISCONTINUITY');
        lines.push(`#EXT-X-PROGRAM-DATE-TIME:${iso(start)}`, `#EXTINF:${dur.toFixed(3)},`, `seg/${s.id}.ts?${q}`);
        prevEnd = s.endAt;
      });
      const body = [
        '#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${maxDur}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD',
        ...lines, '#EXT-X-ENDLIST', '',
      ].join('\n');
      return { playbackId: id, body, window, auth };
    },

    /** One segment of an open playback, clipped to the window; `track` registers the response for closing. */
    async segment(req: { token: string | undefined; cameraId: Uuid; segmentId: string; playbackId: string; ip: string }): Promise<{
      bytes: Buffer;
      track(c: Closable & { once(ev: 'close', fn: () => void): unknown }): void;
    }> {
      const p = open.get(req.playbackId);
      if (!p || p.closed || p.cameraId !== req.cameraId) {
        return refuse(
          errors.playbackClosed('This playback has ended; load the playlist again.', { reason: p?.closed ?? 'unknown_playback' }),
          req, 'segment',
        );
      }
      const chunk = p.source === 'camera' ? parseChunk(req.segmentId) : null;
      const seg = chunk ? cameraChunks(req.cameraId, p.stream, chunk)[0] : p.source === 'gateway' ? await repo.segment(req.segmentId) : undefined;
      if (!seg || seg.cameraId !== req.cameraId || seg.stream !== p.stream) return refuse(errors.notFound('no such segment'), req, 'segment');
      const segWin = intersect(segWindow(seg), p.window);
      if (!segWin) {
        return refuse(
          errors.footageOutsideGrant('This segment lies outside the playback window.', { nearest: { from: iso(p.window.from), to: iso(p.window.to) } }),
          req, 'segment',
        );
      }
      let auth: MediaAuthorization;
      try {
        auth = await deps.authorize({ token: req.token, cameraId: req.cameraId, action: 'playback', footage: segWin, ip: req.ip });
        if (auth.userId !== p.userId) throw errors.playbackClosed('This playback belongs to another user.', { reason: 'other_user' });
      } catch (e) {
        return refuse(e, { ...req, window: segWin }, 'segment');
      }
      const window = intersect(segWin, auth.footage)!;
      let bytes: Buffer;
      if (chunk) {
        // The camera replays exactly this span; its first frame is the span's start, then cut like any segment.
        const r = await deps.cameraSide!.fetch(req.cameraId, window);
        bytes = clipSegment({ ...seg, startAt: window.from }, r.ts, window).bytes;
      } else {
        const raw = await files.read(seg.path);
        // Whole segment inside the window: served as recorded; else cut at the first keyframe / last frame inside.
        bytes = seg.startAt >= window.from && seg.endAt <= window.to ? raw : clipSegment(seg, raw, window).bytes;
      }
      // Masked for this viewer: the recording keeps the original; the viewer gets the blurred transcode.
      if (p.masks.length > 0 && bytes.length > 0) bytes = await maskSegment(bytes, p.masks);
      if (p.closed) return refuse(errors.playbackClosed('This playback has ended.', { reason: p.closed }), req, 'segment');
      touch(p);
      p.bytes += bytes.length;
      p.segments++;
      return {
        bytes,
        track(c) {
          if (p.closed) return void (typeof c.destroy === 'function' && c.destroy());
          p.open.add(c);
          c.once('close', () => p.open.delete(c));
        },
      };
    },

    isOpen(playbackId: string): boolean {
      const p = open.get(playbackId);
      return p !== undefined && p.closed === null;
    },

    openCount(): number {
      let n = 0;
      for (const p of open.values()) if (!p.closed) n++;
      return n;
    },

    close(): void {
      for (const p of open.values()) close(p, 'shutdown');
    },
  };
}
export type PlaybackService = ReturnType<typeof playbackService>;
