// The authorising edge: every viewer byte passes an authorisation first; one upstream per
// (camera, stream) fans out to all viewers; sessions close at `until`, on closeWhere, or when slow.
// A viewer who gets the owner's privacy mask is served from one shared masked transcode (masks/masked-live.ts).
import { randomUUID } from 'node:crypto';
import { AppError, errors } from '../../errors.ts';
import { runToCompletion, snapshotArgs } from '../../../camera-adapters/ffmpeg/index.ts';
import { Channel, type ChannelViewer } from './channel.ts';
import { redact, type Pull, type PullManager, type StreamKind } from '../sources/pulls.ts';
import type { WorkerPool } from '../sources/worker-supervisor.ts';
import type { Authorization, CameraSource, EdgeDeps, LiveMaskDecision, ViewerSessionInfo, ViewerSink } from '../edge-types.ts';
import { revocationKeysFor } from '../authorize.ts';
import { fetchSnapshot } from '../snapshot/fetch-snapshot.ts';
import { SessionRegistry, type SessionHandle, type SessionInfo } from '../sessions.ts';
import { MaskedLive, maskUnavailable } from '../masks/masked-live.ts';

export interface LiveEdgeConfig {
  ffmpegPath: string;
  /** Per-viewer buffered-bytes cap; default two GOPs of the stream (min 512 KB). */
  viewerBufferBytes?: number;
  /** How long a first viewer waits for the first keyframe of a cold pull. */
  readyTimeoutMs?: number;
  /** No upstream data this long with viewers attached → they are closed with `source_lost`. */
  stallTimeoutMs?: number;
  snapshotCacheMs?: number;
  snapshotTimeoutMs?: number;
  /** Batch fan-out writes every this many ms once a channel has `batchFromViewers` viewers (default 40 ms from 200). */
  batchMs?: number;
  batchFromViewers?: number;
  /** Camera URL (with credentials) → the single-use loopback proxy URL ffmpeg gets. */
  viaProxy?: (sourceUrl: string) => string;
  /** A masked transcode is kept this long after its last viewer left (default 10 s). */
  maskGraceMs?: number;
  /** How long a masked viewer waits for the transcode's first keyframe (default 15 s). */
  maskReadyTimeoutMs?: number;
}

export interface PreparedLive {
  readonly auth: Authorization;
  readonly cameraId: string;
  readonly stream: StreamKind;
  readonly ip: string;
  /** The privacy-mask version this viewer will see blurred (null: the original picture). */
  readonly maskVersion: number | null;
  /** The caller gave up (client went away) before attach. */
  cancel(): void;
}

interface PreparedInternal extends PreparedLive {
  mask: LiveMaskDecision;
  /** The camera's channel, or the masked transcode's. */
  channel: Channel | null;
  /** Lets go of what the view holds (the camera's pull, or its share of the masked transcode). */
  releaseSource: () => void;
  done: boolean;
  /** Set when closeWhere matched while the viewer was still waiting for video. */
  cancelledWith: string | null;
  /** Registered while waiting, so a revocation reaches it before it gets any video. */
  waiting: SessionHandle | null;
}

interface Session extends ViewerSessionInfo {
  viewer: ChannelViewer;
  channel: Channel;
  close(reason: string): void;
}
/** Buffer cap of an internal consumer (recorder): ~30 s of a 2 Mbit/s stream, against a viewer's two GOPs. */
const INTERNAL_CAP_BYTES = 8 * 1024 * 1024;
/** A viewer waiting for a cold pull sees a 503 after this many failed relay starts in a row. */
const GIVE_UP_FAILURES = 3;
const NO_MASK: LiveMaskDecision = { mask: null, liftedVersion: null };
const isLiveKind = (k: string): boolean => k === 'live' || k === 'masked-live';

export const unavailable = (message: string, details: Record<string, unknown>): AppError =>
  new AppError('camera_unavailable', 503, message, details);

export class LiveEdge {
  private readonly channels = new Map<Pull, Channel>();
  private readonly live = new Map<string, Session>();
  private readonly snapCache = new Map<string, { at: number; jpeg: Promise<Buffer> }>();
  private readonly watchdog: NodeJS.Timeout;
  /** Bumped on every mask change of a camera: a decision taken across a change is taken again. */
  private readonly maskEpochs = new Map<string, number>();
  /** One masked transcode per (camera, stream, mask version), shared by its masked viewers. */
  readonly masked: MaskedLive;

  constructor(
    private readonly cfg: LiveEdgeConfig,
    private readonly deps: EdgeDeps,
    private readonly pulls: PullManager,
    private readonly pool: WorkerPool,
    private readonly secret: string,
    /** The media session registry shared with every other consumer. */
    readonly registry: SessionRegistry = new SessionRegistry(),
  ) {
    pulls.on('started', (p: Pull) => this.openChannel(p));
    pulls.on('stopped', (p: Pull) => {
      this.channels.get(p)?.close();
      this.channels.delete(p);
    });
    pool.on('down', (w: { index: number }) => {
      for (const [p, ch] of this.channels) if (p.worker === w.index) ch.lost('worker_restart');
    });
    const stall = cfg.stallTimeoutMs ?? 8000;
    let lastTick = Date.now();
    this.watchdog = setInterval(() => {
      const now = Date.now();
      const late = now - lastTick > Math.max(2000, stall / 2);
      lastTick = now;
      // our own event loop stalled (CPU starvation, a long GC): every upstream's data is waiting unread, so frames
      // look late on all channels at once; judge on the next tick, after it is read, instead of restarting them all
      if (late) return;
      for (const [p, ch] of this.channels) {
        // no frames for `stall` ms while someone holds the source: drop the stale GOP and restart the relay
        if (p.holders > 0 && ch.ready && now - ch.lastDataAt > stall) {
          ch.lost('source_lost');
          p.restart(`no frames for ${Math.round(stall / 1000)} s`);
        }
      }
    }, 500);
    this.watchdog.unref();
    this.masked = new MaskedLive({
      ffmpegPath: cfg.ffmpegPath,
      source: this,
      viewerBufferBytes: cfg.viewerBufferBytes,
      batchMs: cfg.batchMs,
      batchFromViewers: cfg.batchFromViewers,
      ...(cfg.maskGraceMs !== undefined ? { graceMs: cfg.maskGraceMs } : {}),
      ...(cfg.maskReadyTimeoutMs !== undefined ? { readyTimeoutMs: cfg.maskReadyTimeoutMs } : {}),
    });
  }

  /**
   * Authorise, decide the privacy mask, resolve the camera, hold its pull (or join its masked transcode) and wait
   * for a keyframe. Throws AppError to refuse.
   */
  async prepareLive(input: { token: string | undefined; cameraId: string; stream: StreamKind; ip: string }): Promise<PreparedLive> {
    const { cameraId, stream, ip } = input;
    let auth: Authorization;
    let mask: LiveMaskDecision = NO_MASK;
    try {
      auth = await this.deps.authorize({ token: input.token, cameraId, action: 'live', ip });
      if (auth.until.getTime() <= Date.now()) throw errors.tokenExpired('Access has already ended.');
      // a mask saved while we decided: decide again, so nobody is registered under a stale decision
      for (let attempt = 0; ; attempt++) {
        const epoch = this.maskEpoch(cameraId);
        mask = await this.liveMask(cameraId, auth);
        if (epoch === this.maskEpoch(cameraId)) break;
        if (attempt === 2) throw maskUnavailable('The privacy mask of this camera is changing; try again.');
      }
    } catch (e) {
      this.refused(cameraId, e, ip);
      throw e;
    }
    const maskVersion = mask.mask?.version ?? null;
    const prepared: PreparedInternal = {
      auth,
      cameraId,
      stream,
      ip,
      maskVersion,
      mask,
      channel: null,
      releaseSource: () => {},
      done: false,
      cancelledWith: null,
      waiting: null,
      cancel: () => {
        prepared.waiting?.release();
        prepared.waiting = null;
        if (prepared.done) return;
        prepared.done = true;
        prepared.releaseSource();
      },
    };
    // registered at once (no await since the mask decision), so a revocation or a mask change reaches it while it waits
    prepared.waiting = this.registry.open({
      kind: maskVersion === null ? 'live' : 'masked-live',
      userId: auth.userId,
      cameraId,
      grantId: auth.grantId,
      revocationKeys: keysOf(auth, cameraId),
      until: auth.until,
      close: (reason) => {
        prepared.waiting = null;
        prepared.cancelledWith ??= reason;
      },
      info: { pending: true, stream, ip, transport: 'http-flv', sessionKey: auth.sessionKey, maskVersion },
    });
    try {
      const cam = await this.camera(cameraId, stream);
      if (mask.mask) {
        // fail closed: a masked viewer gets the transcode or an error, never the camera's own channel
        const lease = await this.masked.acquire(cameraId, stream, mask.mask);
        if (prepared.done) {
          lease.release();
          throw unavailable('The viewer went away.', {});
        }
        prepared.channel = lease.channel;
        prepared.releaseSource = () => lease.release();
      } else {
        const pull = this.pulls.acquire(cameraId, stream, cam.rtspUrl);
        const channel = this.channels.get(pull);
        if (!channel) {
          pull.release();
          throw errors.unavailable('Live channel is not available.');
        }
        prepared.channel = channel;
        prepared.releaseSource = () => pull.release();
        if (!channel.ready) {
          if (pull.state === 'retrying' && pull.failures >= GIVE_UP_FAILURES) {
            throw unavailable('The camera is not delivering video; retrying.', { state: 'retrying', reason: pull.lastError });
          }
          await this.waitLive(pull, channel);
        }
      }
    } catch (e) {
      prepared.cancel();
      throw e;
    }
    if (prepared.cancelledWith) {
      const reason = prepared.cancelledWith;
      prepared.cancel();
      this.deps.audit({ type: 'live.refused', userId: auth.userId, cameraId, grantId: auth.grantId, code: reason, reason });
      throw new AppError(reason, 403, 'Access was withdrawn while the stream was starting.');
    }
    return prepared;
  }

  /** Starts sending to a viewer; the session ends at auth.until at the latest. */
  attach(prepared: PreparedLive, sink: ViewerSink, transport: ViewerSessionInfo['transport']): ViewerSessionInfo {
    const p = prepared as PreparedInternal;
    if (p.done || !p.channel) throw new Error('prepared live view already used');
    const channel = p.channel;
    const maskVersion = p.maskVersion;
    p.waiting?.release();
    p.waiting = null;
    p.done = true;
    const { auth } = p;
    let closed = false;
    const viewer: ChannelViewer = {
      sink,
      bytes: 0,
      skipping: false,
      maxBuffered: 0,
      kick: (reason) => session.close(reason),
    };
    const session: Session = {
      id: randomUUID(),
      userId: auth.userId,
      cameraId: p.cameraId,
      stream: p.stream,
      grantId: auth.grantId,
      sessionKey: auth.sessionKey,
      ip: p.ip,
      transport,
      openedAt: new Date(),
      until: auth.until,
      get bytes() {
        return viewer.bytes;
      },
      maskVersion,
      viewer,
      channel,
      close: (reason) => handle.close(reason),
    };
    const handle = this.registry.open({
      kind: maskVersion === null ? 'live' : 'masked-live',
      userId: auth.userId,
      cameraId: p.cameraId,
      grantId: auth.grantId,
      revocationKeys: keysOf(auth, p.cameraId),
      until: auth.until,
      info: { id: session.id, stream: p.stream, ip: p.ip, transport, sessionKey: auth.sessionKey, maskVersion },
      close: (reason) => {
        if (closed) return;
        closed = true;
        channel.remove(viewer);
        this.live.delete(session.id);
        sink.close(reason);
        p.releaseSource();
        this.deps.audit({
          type: 'live.close',
          userId: auth.userId,
          cameraId: p.cameraId,
          grantId: auth.grantId,
          bytes: viewer.bytes,
          durationMs: Date.now() - session.openedAt.getTime(),
          reason,
          maskVersion,
        });
      },
    });
    this.live.set(session.id, session);
    this.deps.audit({
      type: 'live.open', userId: auth.userId, cameraId: p.cameraId, grantId: auth.grantId, maskVersion, maskLifted: p.mask.liftedVersion,
    });
    sink.onClose(() => session.close('client_closed'));
    if (p.cancelledWith) session.close(p.cancelledWith);
    if (!closed) channel.add(viewer);
    return this.info(session);
  }

  /**
   * An internal consumer (the recorder, a mask transcoder) holds the camera's source without a viewer
   * session: one upstream stays shared with live viewers, who then start warm. `wallMs` is the wall
   * clock of the sink's timestamp 0. The sink is closed with a reason when the source is lost.
   */
  async holdSource(cameraId: string, stream: StreamKind, sink: ViewerSink): Promise<{ wallMs: number; release(reason: string): void }> {
    const cam = await this.camera(cameraId, stream);
    const pull = this.pulls.acquire(cameraId, stream, cam.rtspUrl);
    const channel = this.channels.get(pull);
    if (!channel) {
      pull.release();
      throw errors.unavailable('Source is not available.');
    }
    try {
      if (!channel.ready) await this.waitLive(pull, channel);
    } catch (e) {
      pull.release();
      throw e;
    }
    let held = true;
    const release = (reason: string): void => {
      if (!held) return;
      held = false;
      channel.remove(viewer);
      pull.release();
      sink.close(reason);
    };
    // a recorder starved of CPU for a few seconds buffers here rather than skip footage or restart with a gap
    const viewer: ChannelViewer = { sink, bytes: 0, skipping: false, maxBuffered: 0, kick: (reason) => release(reason), capBytes: INTERNAL_CAP_BYTES };
    const wallMs = channel.joinWallMs();
    channel.add(viewer);
    return { wallMs, release };
  }

  /** Closes every open live session (waiting ones included) the predicate selects; returns how many. */
  closeWhere(pred: (s: ViewerSessionInfo) => boolean, reason: string): number {
    return this.registry.closeWhere((r) => {
      if (!isLiveKind(r.kind)) return false;
      const i = r.info as { id?: string; stream: StreamKind; ip: string; transport: ViewerSessionInfo['transport']; sessionKey: string; maskVersion?: number | null };
      const s = i.id ? this.live.get(i.id) : undefined;
      const info: ViewerSessionInfo = s
        ? this.info(s)
        : { id: 'pending', userId: r.userId, cameraId: r.cameraId, stream: i.stream, grantId: r.grantId, sessionKey: i.sessionKey,
            ip: i.ip, transport: i.transport, openedAt: r.openedAt, until: r.until, bytes: 0, maskVersion: i.maskVersion ?? null };
      return pred(info);
    }, reason);
  }

  /**
   * A camera's mask was saved or lifted (in any process): every open or waiting live view of it whose mask
   * decision changed is closed with `mask_changed` (the viewer reconnects and gets the new decision), so nobody
   * keeps the original once a mask applies to them, nor an old mask. Returns how many were closed.
   */
  async masksChanged(cameraId: string): Promise<number> {
    const id = cameraId.toLowerCase();
    this.maskEpochs.set(id, (this.maskEpochs.get(id) ?? 0) + 1);
    const open = this.registry.list().filter((r) => isLiveKind(r.kind) && r.cameraId.toLowerCase() === id);
    const decisions = new Map<string, Promise<number | null | 'unknown'>>();
    const stale: SessionInfo[] = [];
    for (const r of open) {
      const k = `${r.userId}\n${r.grantId}`;
      let d = decisions.get(k);
      if (!d) {
        d = this.liveMask(r.cameraId, { userId: r.userId, grantId: r.grantId }).then((m) => m.mask?.version ?? null, () => 'unknown' as const);
        decisions.set(k, d);
      }
      const want = await d;
      // undecidable (database down): close rather than risk the original reaching someone who needs the mask
      if (want === 'unknown' || want !== ((r.info.maskVersion as number | null | undefined) ?? null)) stale.push(r);
    }
    const ids = new Set(stale.map((r) => r.id));
    return ids.size ? this.registry.closeWhere((r) => ids.has(r.id), 'mask_changed') : 0;
  }

  /** After a lost bus connection (mask notices may have been missed): re-decide every open live view. */
  async masksChangedEverywhere(): Promise<number> {
    const cams = new Set(this.registry.list().filter((r) => isLiveKind(r.kind)).map((r) => r.cameraId.toLowerCase()));
    let n = 0;
    for (const c of cams) n += await this.masksChanged(c);
    return n;
  }

  sessions(): ViewerSessionInfo[] {
    return [...this.live.values()].map((s) => this.info(s));
  }

  /** Internals for tests and benchmarks: per-session peak buffered bytes, upstream connects. */
  stats(): {
    channels: number;
    upstreamConnects: number;
    viewers: number;
    maxBufferedBySession: Record<string, number>;
    capBySession: Record<string, number>;
  } {
    const maxBufferedBySession: Record<string, number> = {};
    const capBySession: Record<string, number> = {};
    for (const s of this.live.values()) {
      maxBufferedBySession[s.id] = s.viewer.maxBuffered;
      capBySession[s.id] = s.channel.cap();
    }
    let upstreamConnects = 0;
    for (const ch of this.channels.values()) upstreamConnects += ch.upstreamConnects;
    return { channels: this.channels.size, upstreamConnects, viewers: this.live.size, maxBufferedBySession, capBySession };
  }

  /** One JPEG: from the running pull when there is one, else the camera's snapshot URL, else an RTSP grab. */
  async snapshot(input: { token: string | undefined; cameraId: string; stream: StreamKind; ip: string }): Promise<Buffer> {
    const { cameraId, stream, ip } = input;
    let auth: Authorization;
    try {
      auth = await this.deps.authorize({ token: input.token, cameraId, action: 'snapshot', ip });
    } catch (e) {
      this.refused(cameraId, e, ip);
      throw e;
    }
    const cam = await this.camera(cameraId, stream);
    const key = `${cameraId}\n${stream}`;
    const ttl = this.cfg.snapshotCacheMs ?? 3000;
    let entry = this.snapCache.get(key);
    if (!entry || Date.now() - entry.at > ttl) {
      entry = { at: Date.now(), jpeg: this.grab(cameraId, stream, cam) };
      this.snapCache.set(key, entry);
      entry.jpeg.catch(() => this.snapCache.delete(key));
      for (const [k, v] of this.snapCache) if (Date.now() - v.at > ttl) this.snapCache.delete(k);
    }
    const jpeg = await entry.jpeg;
    this.deps.audit({ type: 'snapshot', userId: auth.userId, cameraId, grantId: auth.grantId, bytes: jpeg.length });
    return jpeg;
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    this.closeWhere(() => true, 'shutdown');
    await this.masked.close('shutdown');
    for (const ch of this.channels.values()) ch.close();
    this.channels.clear();
  }

  private info(s: Session): ViewerSessionInfo {
    return {
      id: s.id,
      userId: s.userId,
      cameraId: s.cameraId,
      stream: s.stream,
      grantId: s.grantId,
      sessionKey: s.sessionKey,
      ip: s.ip,
      transport: s.transport,
      openedAt: s.openedAt,
      until: s.until,
      bytes: s.viewer.bytes,
      maskVersion: s.maskVersion ?? null,
    };
  }

  private refused(cameraId: string, e: unknown, ip: string): void {
    const code = e instanceof AppError ? e.code : 'internal';
    this.deps.audit({ type: 'live.refused', cameraId, code, reason: e instanceof Error ? e.message : String(e), ip });
  }

  private maskEpoch(cameraId: string): number {
    return this.maskEpochs.get(cameraId.toLowerCase()) ?? 0;
  }

  /** The mask decision for this viewer; an undecidable one refuses the view (fail closed). */
  private async liveMask(cameraId: string, who: { userId: string; grantId: string | null }): Promise<LiveMaskDecision> {
    if (!this.deps.liveMask) return NO_MASK;
    try {
      return await this.deps.liveMask(cameraId, who.userId, who.grantId);
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw maskUnavailable('The privacy mask of this camera could not be read.');
    }
  }

  private async camera(cameraId: string, stream: StreamKind): Promise<CameraSource> {
    const cam = await this.deps.resolveCamera(cameraId, stream);
    if (!cam) throw errors.notFound('Camera not found.', { cameraId });
    if (cam.state === 'offline') throw errors.cameraOffline('The camera is offline.', { state: cam.state });
    return cam;
  }

  private openChannel(p: Pull): void {
    const ch = new Channel({
      httpPort: () => this.pool.get(p.worker).httpPort,
      streamPath: p.streamPath,
      secret: this.secret,
      viewerBufferBytes: this.cfg.viewerBufferBytes,
      onLive: () => p.markLive(),
      batchMs: this.cfg.batchMs ?? 40,
      batchFromViewers: this.cfg.batchFromViewers ?? 200,
      onUpstreamLost: () => {},
    });
    this.channels.set(p, ch);
    ch.connect();
  }

  private waitLive(pull: Pull, channel: Channel): Promise<void> {
    const timeout = this.cfg.readyTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const onState = (s: string): void => {
        if (s === 'stopped' || (s === 'retrying' && pull.failures >= GIVE_UP_FAILURES)) {
          cleanup();
          reject(unavailable('The camera did not deliver video.', { state: s, reason: pull.lastError }));
        }
      };
      const cleanup = (): void => {
        pull.off('state', onState);
      };
      pull.on('state', onState);
      channel.whenReady(timeout).then(
        () => {
          cleanup();
          resolve();
        },
        () => {
          cleanup();
          reject(unavailable('No video from the camera yet.', { state: pull.state, reason: pull.lastError }));
        },
      );
    });
  }

  private async grab(cameraId: string, stream: StreamKind, cam: CameraSource): Promise<Buffer> {
    const timeoutMs = this.cfg.snapshotTimeoutMs ?? 8000;
    const pull = this.pulls.get(cameraId, stream);
    const still = pull ? this.channels.get(pull)?.stillFrame() : null;
    if (still) return this.decode('-', still, timeoutMs);
    if (cam.snapshotUrl) {
      try {
        return await fetchSnapshot({ snapshotUrl: cam.snapshotUrl, ...(cam.username !== undefined ? { username: cam.username, password: cam.password ?? '' } : {}) }, { timeoutMs });
      } catch {
        /* fall through to a frame grab */
      }
    }
    return this.decode(this.cfg.viaProxy ? this.cfg.viaProxy(cam.rtspUrl) : cam.rtspUrl, undefined, timeoutMs);
  }

  private async decode(input: string, stdin: Buffer | undefined, timeoutMs: number): Promise<Buffer> {
    const r = await runToCompletion(this.cfg.ffmpegPath, snapshotArgs({ input }), { timeoutMs, stdin });
    if (r.exit.code !== 0 || r.stdout.length < 4 || r.stdout[0] !== 0xff || r.stdout[1] !== 0xd8) {
      throw unavailable('Could not take a snapshot from the camera.', {
        reason: r.timedOut ? 'timeout' : redact(r.stderr).trim().split('\n').slice(-1)[0] ?? 'ffmpeg failed',
      });
    }
    return r.stdout;
  }
}

function keysOf(auth: Authorization, cameraId: string): string[] {
  return auth.revocationKeys ?? revocationKeysFor({ ...auth, cameraId });
}
