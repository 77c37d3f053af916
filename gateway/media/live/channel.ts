// One upstream HTTP-FLV subscription to a worker per (camera, stream) — or FLV its owner feeds in (a mask
// transcode) — its sequence headers and last GOP, fanned out to viewers with shared buffers and a per-viewer cap.
import http from 'node:http';
import { FlvDemuxer, flvHeader, metadataHasAudio, normalizeMetadata, rebaseTags, TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO, type FlvTag } from './flv.ts';
import { playSign } from '../sources/publish-token.ts';
import type { ViewerSink } from '../edge-types.ts';

/** Never keep more than this in one GOP cache (a camera with a huge GOP gets no warm start). */
const MAX_GOP_BYTES = 24 * 1024 * 1024;

export interface ChannelViewer {
  sink: ViewerSink;
  bytes: number;
  skipping: boolean;
  /** Largest buffered byte count seen after a write (benchmarks, tests). */
  maxBuffered: number;
  /** Called when the channel must drop this viewer (slow, source lost). */
  kick(reason: string): void;
  /** Upstream timestamp this viewer's zero stands for (the keyframe it joined on); set by the channel. */
  tsBase?: number;
  /** A larger buffer cap than the channel's (internal consumers such as the recorder: footage is not skipped). */
  capBytes?: number;
}

export interface ChannelOptions {
  /** The worker's HTTP-FLV upstream; without it the channel's owner feeds it (`feed()`, e.g. a mask transcode). */
  httpPort?: () => number;
  streamPath?: string;
  secret?: string;
  /** Fixed per-viewer cap; undefined = two GOPs (min 512 KB, max 16 MB). */
  viewerBufferBytes?: number;
  /** Called on every keyframe: video is flowing. */
  onLive: () => void;
  /** With at least this many viewers, writes are batched every `batchMs` (fewer syscalls, a little latency). */
  batchFromViewers?: number;
  batchMs?: number;
  /** Upstream lost (worker gone or stream ended): viewers are already kicked. */
  onUpstreamLost: (why: string) => void;
}

export class Channel {
  readonly viewers = new Set<ChannelViewer>();
  private demux = new FlvDemuxer();
  private req: http.ClientRequest | null = null;
  private meta: Buffer | null = null;
  private audioSeq: Buffer | null = null;
  private videoSeq: Buffer | null = null;
  private hasAudio = false;
  private gop: Buffer[] = [];
  private gopBytes = 0;
  private lastGopBytes = 0;
  private keyframe: Buffer | null = null;
  /** Timestamp of the keyframe that opens the cached GOP. */
  private gopTs = 0;
  /** Wall clock (ms) when that keyframe arrived: a joining viewer's timestamp 0. */
  private gopAt = 0;
  lastDataAt = 0;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readyWaiters: Array<(err?: Error) => void> = [];
  upstreamConnects = 0;
  private batchTags: FlvTag[] = [];
  private batchRuns: Buffer[] = [];
  private batchTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: ChannelOptions) {}

  /** Video decoder config and a keyframe are cached: a viewer can start now. */
  get ready(): boolean {
    return this.videoSeq !== null && this.gop.length > 0;
  }

  cap(): number {
    if (this.o.viewerBufferBytes !== undefined) return this.o.viewerBufferBytes;
    return Math.min(16 * 1024 * 1024, Math.max(512 * 1024, 2 * Math.max(this.lastGopBytes, this.gopBytes)));
  }

  connect(): void {
    const { httpPort, streamPath, secret } = this.o;
    if (this.closed || this.req || !httpPort || streamPath === undefined || secret === undefined) return;
    this.upstreamConnects++;
    this.demux = new FlvDemuxer();
    const sign = playSign(secret, streamPath, 60);
    const req = http.get(
      { host: '127.0.0.1', port: httpPort(), path: `${streamPath}.flv?sign=${sign}`, agent: false },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return;
        }
        res.on("data", (d: Buffer) => this.feed(d));
      },
    );
    this.req = req;
    req.on('error', () => {});
    req.on('close', () => {
      if (this.req !== req) return;
      this.req = null;
      this.lost('upstream_lost');
      if (!this.closed) {
        this.reconnectTimer = setTimeout(() => {
          this.reconnectTimer = null;
          this.connect();
        }, 500);
      }
    });
  }

  /** Resolves when ready, rejects on timeout or when the channel is closed. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => finish(new Error('timeout')), timeoutMs);
      const finish = (err?: Error): void => {
        clearTimeout(t);
        this.readyWaiters = this.readyWaiters.filter((w) => w !== finish);
        if (err) reject(err);
        else resolve();
      };
      this.readyWaiters.push(finish);
    });
  }

  /** The bytes a joining viewer gets first: header, metadata, sequence headers, the GOP so far. */
  startBurst(): Buffer[] {
    const out = [flvHeader(this.hasAudio, true)];
    if (this.meta) out.push(this.meta);
    if (this.audioSeq && this.hasAudio) out.push(this.audioSeq);
    if (this.videoSeq) out.push(this.videoSeq);
    out.push(...this.gop);
    return out;
  }

  /** FLV header + sequence headers + the last keyframe: enough to decode one picture. */
  stillFrame(): Buffer | null {
    if (!this.videoSeq || !this.keyframe) return null;
    return Buffer.concat([flvHeader(false, true), this.videoSeq, this.keyframe]);
  }

  /** Wall clock a viewer added now sees as timestamp 0 (the arrival of the keyframe it starts on). */
  joinWallMs(): number {
    return this.gopAt;
  }

  add(v: ChannelViewer): void {
    this.flush(); // the burst already holds the batched tags: send them to the others first
    v.tsBase = this.gopTs;
    const [head, ...tags] = this.startBurst();
    for (const b of [head!, ...tags.map((t) => rebaseTags(t, this.gopTs))]) {
      v.sink.write(b);
      v.bytes += b.length;
    }
    v.maxBuffered = Math.max(v.maxBuffered, v.sink.buffered());
    this.viewers.add(v);
  }

  remove(v: ChannelViewer): void {
    this.viewers.delete(v);
  }

  close(): void {
    this.closed = true;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    this.batchTags = [];
    this.batchRuns = [];
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const req = this.req;
    this.req = null;
    req?.destroy();
    for (const w of this.readyWaiters.splice(0)) w(new Error('closed'));
  }

  /** Drops every viewer and the caches (source lost / worker gone); keeps the upstream for reuse. */
  lost(why: string): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    this.batchTags = [];
    this.batchRuns = [];
    for (const v of [...this.viewers]) v.kick(why);
    this.viewers.clear();
    this.resetCaches();
    this.o.onUpstreamLost(why);
  }

  private resetCaches(): void {
    this.meta = this.audioSeq = this.videoSeq = this.keyframe = null;
    this.gop = [];
    this.gopBytes = this.lastGopBytes = 0;
    this.hasAudio = false;
  }

  /** Upstream bytes in (public for tests that feed recorded FLV). */
  feed(chunk: Buffer): void {
    this.lastDataAt = Date.now();
    const { tags, run } = this.demux.push(chunk);
    if (!run) return;
    const wasReady = this.ready;
    for (const t of tags) this.cacheTag(t);
    if (!wasReady && this.ready) {
      for (const w of this.readyWaiters.splice(0)) w();
    }
    if (this.viewers.size === 0) return;
    if (this.viewers.size < (this.o.batchFromViewers ?? 200) || !this.o.batchMs) {
      this.flush();
      this.fanOut(tags, run);
      return;
    }
    for (const t of tags) this.batchTags.push(t);
    this.batchRuns.push(run);
    this.batchTimer ??= setTimeout(() => this.flush(), this.o.batchMs);
  }

  private flush(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    if (this.batchRuns.length === 0) return;
    const run = this.batchRuns.length === 1 ? this.batchRuns[0]! : Buffer.concat(this.batchRuns);
    const tags = this.batchTags;
    this.batchTags = [];
    this.batchRuns = [];
    if (this.viewers.size > 0) this.fanOut(tags, run);
  }

  private cacheTag(t: FlvTag): void {
    if (t.type === TAG_SCRIPT) {
      this.meta = normalizeMetadata(t.bytes);
      if (metadataHasAudio(t)) this.hasAudio = true;
    } else if (t.type === TAG_AUDIO) {
      this.hasAudio = true;
      if (t.sequenceHeader) this.audioSeq = Buffer.from(t.bytes);
      else if (this.gop.length) this.pushGop(t.bytes);
    } else if (t.type === TAG_VIDEO) {
      if (t.sequenceHeader) this.videoSeq = Buffer.from(t.bytes);
      else if (t.keyframe) {
        if (this.gop.length) this.lastGopBytes = this.gopBytes;
        this.gop = [t.bytes];
        this.gopBytes = t.bytes.length;
        this.gopTs = t.timestamp;
        this.gopAt = Date.now();
        this.keyframe = t.bytes;
        this.o.onLive();
      } else if (this.gop.length) this.pushGop(t.bytes);
    }
  }

  private pushGop(b: Buffer): void {
    this.gop.push(b);
    this.gopBytes += b.length;
    if (this.gopBytes > MAX_GOP_BYTES) {
      this.gop = [];
      this.gopBytes = 0;
    }
  }

  private fanOut(tags: FlvTag[], run: Buffer): void {
    const cap = this.cap();
    // one rebased copy per join point, shared by every viewer that joined on that keyframe
    const rebased = new Map<number, Buffer>();
    const perTagCache = new Map<string, Buffer>();
    for (const v of this.viewers) {
      const vcap = Math.max(cap, v.capBytes ?? 0);
      if (!v.skipping && v.sink.buffered() + run.length <= vcap) {
        const base = v.tsBase ?? 0;
        let out = rebased.get(base);
        if (!out) rebased.set(base, (out = rebaseTags(run, base)));
        v.sink.write(out);
        v.bytes += run.length;
        const b = v.sink.buffered();
        if (b > v.maxBuffered) v.maxBuffered = b;
        continue;
      }
      this.perTag(v, tags, vcap, perTagCache);
    }
  }

  /** Over the cap: skip to the next keyframe once; still over at that keyframe → slow_viewer. */
  private perTag(v: ChannelViewer, tags: FlvTag[], cap: number, cache: Map<string, Buffer>): void {
    const base = v.tsBase ?? 0;
    for (const [i, t] of tags.entries()) {
      const fits = v.sink.buffered() + t.bytes.length <= cap;
      if (v.skipping) {
        if (t.keyframe) {
          if (!fits) {
            v.kick('slow_viewer');
            return;
          }
          v.skipping = false;
        } else if (!(t.sequenceHeader || t.type === TAG_SCRIPT) || !fits) {
          continue;
        }
      } else if (!fits) {
        v.skipping = true;
        continue;
      }
      let out = base === 0 ? t.bytes : cache.get(`${i}:${base}`);
      if (!out) cache.set(`${i}:${base}`, (out = rebaseTags(t.bytes, base)));
      v.sink.write(out);
      v.bytes += t.bytes.length;
      const b = v.sink.buffered();
      if (b > v.maxBuffered) v.maxBuffered = b;
    }
  }
}
