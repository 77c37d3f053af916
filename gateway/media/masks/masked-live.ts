// Masked live view: ONE blurring transcode per (camera, stream, mask version), fed from the camera's held source
// and fanned out to every masked viewer through a Channel. The first masked viewer starts it, it stops a grace
// period after the last one leaves; a transcode that fails or stalls closes its viewers — never a fallback to the
// original picture.
import { AppError, errors } from '../../errors.ts';
import { spawnManaged, type ManagedProcess } from '../../../camera-adapters/ffmpeg/index.ts';
import { maskedLiveArgs, type MaskRect } from '../../../camera-adapters/ffmpeg/footage-commands.ts';
import { Channel } from '../live/channel.ts';
import type { StreamKind } from '../sources/pulls.ts';
import type { ViewerSink } from '../edge-types.ts';
import type { SourceHolder } from '../recorder/camera-recorder.ts';

/** The mask a viewer gets: the owner's rectangles at one saved version. */
export interface LiveMask {
  version: number;
  rects: MaskRect[];
}

export interface MaskedLiveOptions {
  ffmpegPath: string;
  source: SourceHolder;
  /** Keep a transcode this long after its last viewer left, so a reconnect or a second tile starts warm. */
  graceMs?: number;
  /** How long a viewer waits for the transcode's first keyframe. */
  readyTimeoutMs?: number;
  /** No transcoded output this long while running → its viewers are closed with `mask_transcode_stalled`. */
  stallTimeoutMs?: number;
  keyframeSeconds?: number;
  viewerBufferBytes?: number;
  batchMs?: number;
  batchFromViewers?: number;
}

/** What a masked viewer holds: the transcode's channel, released when the viewer leaves. */
export interface MaskedLease {
  readonly channel: Channel;
  readonly version: number;
  release(): void;
}

interface Transcode {
  key: string;
  cameraId: string;
  stream: StreamKind;
  mask: LiveMask;
  channel: Channel;
  proc: ManagedProcess | null;
  hold: { release(reason: string): void } | null;
  /** Resolves once ffmpeg runs and the source is held; rejects when that fails. */
  started: Promise<void>;
  holders: number;
  idleTimer: NodeJS.Timeout | null;
  /** Set once it is stopped or failed: no new viewer joins it. */
  ended: string | null;
  /** Why the source let go of the transcode (source lost, too slow): the reason its viewers hear. */
  sourceClosed: string | null;
  lastError: string | null;
}

/** The transcode could not give this viewer a masked picture; the original is never served instead. */
export const maskUnavailable = errors.maskUnavailable;

const keyOf = (cameraId: string, stream: StreamKind, version: number): string => `${cameraId.toLowerCase()}\n${stream}\n${version}`;

export class MaskedLive {
  private readonly transcodes = new Map<string, Transcode>();
  private readonly watchdog: NodeJS.Timeout;
  /** Transcodes started since creation (tests, benchmarks). */
  started = 0;

  constructor(private readonly o: MaskedLiveOptions) {
    const stall = o.stallTimeoutMs ?? 10_000;
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const t of this.transcodes.values()) {
        if (t.ended || !t.channel.ready) continue;
        if (now - t.channel.lastDataAt > stall) this.fail(t, 'mask_transcode_stalled', `no output for ${Math.round(stall / 1000)} s`);
      }
    }, 1000);
    this.watchdog.unref();
  }

  /** Joins (or starts) the transcode for this camera, stream and mask version; resolves once it has a keyframe. */
  async acquire(cameraId: string, stream: StreamKind, mask: LiveMask): Promise<MaskedLease> {
    const key = keyOf(cameraId, stream, mask.version);
    let t = this.transcodes.get(key);
    if (!t || t.ended) t = this.start(key, cameraId, stream, mask);
    t.holders++;
    if (t.idleTimer) clearTimeout(t.idleTimer);
    t.idleTimer = null;
    let released = false;
    const tc = t;
    const lease: MaskedLease = {
      channel: tc.channel,
      version: mask.version,
      release: () => {
        if (released) return;
        released = true;
        this.release(tc);
      },
    };
    try {
      await tc.started;
      if (tc.ended) throw maskUnavailable('The masked view stopped while starting.', { reason: tc.ended });
      if (!tc.channel.ready) {
        try {
          await tc.channel.whenReady(this.o.readyTimeoutMs ?? 15_000);
        } catch {
          // a transcode that cannot produce a keyframe in time is broken for everyone waiting on it
          this.fail(tc, 'mask_transcode_failed', tc.lastError ?? 'no keyframe from the transcode in time');
        }
        if (tc.ended || !tc.channel.ready) throw maskUnavailable('The masked view could not be started.', { reason: tc.ended });
      }
    } catch (e) {
      lease.release();
      throw e instanceof AppError ? e : maskUnavailable('The masked view could not be started.', { reason: String(e) });
    }
    return lease;
  }

  /** Running transcodes, with their ffmpeg pid and how many viewers hold each. */
  stats(): Array<{ cameraId: string; stream: StreamKind; version: number; pid: number | undefined; holders: number; viewers: number }> {
    return [...this.transcodes.values()].map((t) => ({
      cameraId: t.cameraId,
      stream: t.stream,
      version: t.mask.version,
      pid: t.proc?.pid,
      holders: t.holders,
      viewers: t.channel.viewers.size,
    }));
  }

  /** Stops every transcode (shutdown); their viewers are closed with `reason`. */
  async close(reason = 'shutdown'): Promise<void> {
    clearInterval(this.watchdog);
    const procs = [...this.transcodes.values()].map((t) => {
      const p = t.proc;
      this.end(t, reason);
      return p?.exited;
    });
    await Promise.all(procs);
  }

  private start(key: string, cameraId: string, stream: StreamKind, mask: LiveMask): Transcode {
    const channel = new Channel({
      viewerBufferBytes: this.o.viewerBufferBytes,
      batchMs: this.o.batchMs ?? 40,
      batchFromViewers: this.o.batchFromViewers ?? 200,
      onLive: () => {},
      onUpstreamLost: () => {},
    });
    const t: Transcode = {
      key, cameraId, stream, mask, channel, proc: null, hold: null, started: Promise.resolve(), holders: 0,
      idleTimer: null, ended: null, sourceClosed: null, lastError: null,
    };
    this.transcodes.set(key, t);
    this.started++;
    t.started = this.run(t);
    t.started.catch(() => undefined);
    return t;
  }

  private async run(t: Transcode): Promise<void> {
    // ffmpeg first, so the source's burst (headers and the GOP so far) has somewhere to go
    const proc = spawnManaged(this.o.ffmpegPath, maskedLiveArgs({ masks: t.mask.rects, keyframeSeconds: this.o.keyframeSeconds }), { stdin: 'pipe', stdout: 'pipe' });
    t.proc = proc;
    proc.child.stdout?.on('data', (d: Buffer) => {
      if (!t.ended) t.channel.feed(d);
    });
    void proc.exited.then((exit) => {
      t.lastError = `ffmpeg exited (${exit.code ?? exit.signal}): ${proc.stderrTail().trim().split('\n').slice(-1)[0] ?? ''}`;
      if (!t.ended) this.fail(t, t.sourceClosed ?? 'mask_transcode_failed', t.lastError);
    });
    const sink: ViewerSink = {
      write: (b) => void proc.child.stdin?.write(b),
      buffered: () => proc.child.stdin?.writableLength ?? 0,
      // the source let go (lost, worker restart, transcode too slow to keep up): ffmpeg drains and exits
      close: (reason) => {
        t.sourceClosed ??= reason === 'slow_viewer' ? 'mask_transcode_slow' : reason;
        proc.child.stdin?.end();
      },
      onClose: () => {},
    };
    let hold: { release(reason: string): void };
    try {
      hold = await this.o.source.holdSource(t.cameraId, t.stream, sink);
    } catch (e) {
      t.lastError = e instanceof Error ? e.message : String(e);
      this.fail(t, 'source_unavailable', t.lastError);
      throw e instanceof AppError ? e : maskUnavailable('The camera is not delivering video.');
    }
    if (t.ended) return hold.release(t.ended);
    t.hold = hold;
  }

  private release(t: Transcode): void {
    t.holders = Math.max(0, t.holders - 1);
    if (t.holders > 0 || t.ended) return;
    t.idleTimer = setTimeout(() => {
      t.idleTimer = null;
      if (t.holders === 0) this.end(t, 'idle');
    }, this.o.graceMs ?? 10_000);
    t.idleTimer.unref();
  }

  private fail(t: Transcode, reason: string, detail: string): void {
    if (t.ended) return;
    t.lastError = detail;
    this.end(t, reason);
  }

  /** Closes its viewers with `reason`, lets go of the source, stops ffmpeg; a later viewer starts a new one. */
  private end(t: Transcode, reason: string): void {
    if (t.ended) return;
    t.ended = reason;
    if (this.transcodes.get(t.key) === t) this.transcodes.delete(t.key);
    if (t.idleTimer) clearTimeout(t.idleTimer);
    t.idleTimer = null;
    t.channel.lost(reason);
    t.channel.close();
    const hold = t.hold;
    t.hold = null;
    hold?.release(reason);
    t.proc?.child.stdin?.end();
    void t.proc?.stop(2000);
  }
}
