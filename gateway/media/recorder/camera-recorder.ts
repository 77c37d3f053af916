// Records one camera stream: holds its source (shared with live viewers), remuxes the FLV the channel fans
// out into MPEG-TS segments with ffmpeg (-c copy, never re-encoded), publishes each finished segment
// atomically and hands it to the index. Restarts with backoff; reports its state.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { spawnManaged, type ManagedProcess } from '../../../camera-adapters/ffmpeg/index.ts';
import type { ViewerSink } from '../edge-types.ts';
import { FlvDemuxer, TAG_AUDIO } from '../live/flv.ts';
import { segmentPath, type LocalSegmentStore } from './segment-store.ts';

export type Stream = 'main' | 'sub';
export type RecorderState = 'starting' | 'recording' | 'offline' | 'disk_full' | 'stopped';
export type RunCause = 'restart' | 'camera_offline' | 'disk_full' | 'error';

export interface SourceHolder {
  holdSource(cameraId: string, stream: Stream, sink: ViewerSink): Promise<{ wallMs: number; release(reason: string): void }>;
}

export interface FinishedSegment {
  cameraId: string;
  stream: Stream;
  path: string;
  startAt: Date;
  endAt: Date;
  bytes: number;
  sha256: string;
  firstPts90k: number;
  repaired: boolean;
  /** Why the recording before this run's first segment stopped (null: continues the previous segment). */
  after: RunCause | null;
}

export interface CameraRecorderOptions {
  cameraId: string;
  stream: Stream;
  segmentSeconds: number;
  store: LocalSegmentStore;
  ffmpegPath: string;
  source: SourceHolder;
  index(seg: FinishedSegment): Promise<void>;
  onState(state: RecorderState, reason: string | null): void;
  /** false while the store is full (quota or free space): the recorder waits instead of writing. */
  canWrite(): boolean;
  retryInitialMs?: number;
  retryMaxMs?: number;
}

/** Staging directory of a camera stream: ffmpeg writes `.part` files here, named `<wallMs>-<n>.ts.part`. */
export function stagingDir(cameraId: string, stream: Stream): string {
  return `${cameraId.toLowerCase()}/${stream}/.staging`;
}

export function sha256File(abs: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(abs)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** FLV sound format of the first audio tag in a burst (10 = AAC, 7/8 = G.711), null when it carries no audio. */
export function flvAudioFormat(flv: Buffer): number | null {
  const { tags } = new FlvDemuxer().push(flv);
  const a = tags.find((t) => t.type === TAG_AUDIO && t.bytes.length > 11);
  return a ? a.bytes[11]! >> 4 : null;
}

/**
 * Remux FLV on stdin into MPEG-TS segments; each finished segment is listed on stdout as `name,start,end`.
 * `audio: 'copy'` keeps the first audio track as it is (AAC: MPEG-TS carries it, ADTS-framed by the muxer).
 */
export function segmentArgs(o: { segmentSeconds: number; pattern: string; audio?: 'copy' | 'none' }): string[] {
  return [
    '-hide_banner', '-nostats', '-loglevel', 'error',
    '-f', 'flv', '-i', 'pipe:0',
    '-map', '0:v:0', ...(o.audio === 'copy' ? ['-map', '0:a:0?', '-c:a', 'copy'] : ['-an']), '-c:v', 'copy',
    '-f', 'segment', '-segment_format', 'mpegts', '-segment_time', String(o.segmentSeconds),
    '-reset_timestamps', '0',
    // pts in the files equal the source's (starting at 0), so wall clock = run start + pts
    '-muxdelay', '0', '-muxpreload', '0',
    // packets reach the disk as they come: a kill -9 loses only what is in the pipe
    '-flush_packets', '1', '-segment_format_options', 'flush_packets=1',
    '-segment_list', 'pipe:1', '-segment_list_type', 'csv',
    o.pattern,
  ];
}

/**
 * Coalesces the channel's many small writes (one per FLV tag run) into one pipe write every `ms`: a pipe write
 * wakes ffmpeg each time, and the recorder needs no low latency. A kill -9 loses at most `ms` more.
 */
export class CoalescingWriter {
  private parts: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: () => NodeJS.WritableStream | null | undefined,
    private readonly ms = 200,
    private readonly maxBytes = 256 * 1024,
  ) {}

  write(b: Buffer): void {
    this.parts.push(b);
    this.bytes += b.length;
    if (this.bytes >= this.maxBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.ms);
  }

  /** Bytes held here, not yet handed to the pipe. */
  pending(): number {
    return this.bytes;
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.bytes === 0) return;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    this.out()?.write(data);
  }

  end(): void {
    this.flush();
    this.out()?.end();
  }
}

export class CameraRecorder {
  state: RecorderState = 'stopped';
  private stopped = true;
  private proc: ManagedProcess | null = null;
  private hold: { release(reason: string): void } | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private cause: RunCause = 'restart';
  private indexing: Promise<void> = Promise.resolve();
  segments = 0;
  lastError: string | null = null;

  /** The recording ffmpeg's pid (tests, benchmarks). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  constructor(private readonly o: CameraRecorderOptions) {
    this.backoffMs = o.retryInitialMs ?? 1000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
  }

  /** Ends the current segment cleanly (it is indexed) and stops. */
  async stop(reason = 'stopped'): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.endRun(reason);
    this.setState('stopped', reason);
  }

  /** Stops writing because the store is full; the loop resumes once canWrite() is true again. */
  async pauseForDisk(): Promise<void> {
    if (this.stopped || this.state === 'disk_full') return;
    this.cause = 'disk_full';
    this.setState('disk_full', 'disk_full');
    await this.endRun('disk_full');
  }

  private setState(s: RecorderState, reason: string | null): void {
    if (this.state === s) return;
    this.state = s;
    this.o.onState(s, reason);
  }

  private retry(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.retryMaxMs ?? 30_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.run();
    }, delay);
    this.retryTimer.unref();
  }

  private async endRun(reason: string): Promise<void> {
    const hold = this.hold;
    this.hold = null;
    hold?.release(reason); // closes ffmpeg's stdin: it finishes the open segment
    const p = this.proc;
    if (p) await p.exited.then(() => undefined, () => undefined);
    await this.indexing;
  }

  private async run(): Promise<void> {
    if (this.stopped || this.proc) return;
    if (!this.o.canWrite()) {
      this.cause = 'disk_full';
      this.setState('disk_full', 'disk_full');
      return this.retry();
    }
    this.setState('starting', null);
    const { store } = this.o;
    const staging = stagingDir(this.o.cameraId, this.o.stream);
    await mkdir(store.absolute(staging), { recursive: true });
    let proc: ManagedProcess | null = null;
    let runStarted = false;
    const pipe = new CoalescingWriter(() => proc?.child.stdin);
    const sink: ViewerSink = {
      write: (b) => pipe.write(b),
      buffered: () => pipe.pending() + (proc?.child.stdin?.writableLength ?? 0),
      close: () => pipe.end(),
      onClose: () => {},
    };
    let held: { wallMs: number; release(reason: string): void };
    // ffmpeg first, so the source's burst (headers + GOP) has somewhere to go
    const pending = { wallMs: 0 };
    const pattern = () => store.absolute(`${staging}/${pending.wallMs}-%06d.ts.part`);
    try {
      // the wall clock is known only once the source is held: spawn inside a small handshake
      const buffered: Buffer[] = [];
      const early: ViewerSink = {
        write: (b) => (proc ? sink.write(b) : buffered.push(Buffer.from(b))),
        buffered: () => sink.buffered(),
        close: (r) => (proc ? sink.close(r) : (buffered.length = 0)),
        onClose: () => {},
      };
      held = await this.o.source.holdSource(this.o.cameraId, this.o.stream, early);
      if (this.stopped) return held.release('stopped');
      pending.wallMs = held.wallMs;
      // the burst (headers + GOP) tells whether there is audio MPEG-TS can carry by copy: AAC is kept, G.711 dropped
      const audio = flvAudioFormat(Buffer.concat(buffered)) === 10 ? 'copy' : 'none';
      proc = spawnManaged(this.o.ffmpegPath, segmentArgs({ segmentSeconds: this.o.segmentSeconds, pattern: pattern(), audio }), { stdin: 'pipe', stdout: 'pipe' });
      for (const b of buffered.splice(0)) proc.child.stdin?.write(b);
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      this.cause = 'camera_offline';
      this.setState('offline', 'camera_offline');
      return this.retry();
    }
    this.proc = proc;
    this.hold = held;
    const wallMs = pending.wallMs;
    const stagingAbs = store.absolute(staging);
    let lines = '';
    proc.child.stdout?.setEncoding('utf8');
    proc.child.stdout?.on('data', (d: string) => {
      lines += d;
      let nl: number;
      while ((nl = lines.indexOf('\n')) >= 0) {
        const line = lines.slice(0, nl).trim();
        lines = lines.slice(nl + 1);
        const m = /^(.*),([\d.]+),([\d.]+)$/.exec(line);
        if (!m) continue;
        const name = path.basename(m[1]!);
        const start = Number(m[2]);
        const end = Number(m[3]);
        const after = runStarted ? null : this.cause;
        runStarted = true;
        this.indexing = this.indexing.then(() => this.publish(path.join(stagingAbs, name), wallMs, start, end, after)).catch((err: unknown) => {
          this.lastError = `index: ${err instanceof Error ? err.message : String(err)}`;
        });
      }
    });
    this.setState('recording', null);
    const exit = await proc.exited;
    this.proc = null;
    await this.indexing;
    if (this.hold === held) {
      this.hold = null;
      held.release('recorder_exit');
    }
    if (this.stopped || this.state === 'disk_full') return this.state === 'disk_full' ? this.retry() : undefined;
    this.lastError = `ffmpeg exited (${exit.code ?? exit.signal}): ${proc.stderrTail().trim().split('\n').slice(-1)[0] ?? ''}`;
    this.cause = 'camera_offline';
    this.setState('offline', 'camera_offline');
    if (runStarted) this.backoffMs = this.o.retryInitialMs ?? 1000;
    this.retry();
  }

  private async publish(partAbs: string, wallMs: number, start: number, end: number, after: RunCause | null): Promise<void> {
    const { store } = this.o;
    const startMs = Math.round(wallMs + start * 1000);
    const rel = segmentPath(this.o.cameraId, this.o.stream, startMs);
    const sha256 = await sha256File(partAbs);
    const partRel = path.relative(store.root, partAbs);
    await store.publish(partRel, rel);
    const st = await store.stat(rel);
    await this.o.index({
      cameraId: this.o.cameraId,
      stream: this.o.stream,
      path: rel,
      startAt: new Date(startMs),
      endAt: new Date(Math.max(startMs, Math.round(wallMs + end * 1000))),
      bytes: st?.bytes ?? 0,
      sha256,
      firstPts90k: Math.round(start * 90_000),
      repaired: false,
      after,
    });
    this.segments++;
  }
}
