// Plays a looped clip in real time to any number of sinks; the timer runs only while someone watches.
import type { ClipAccessUnit, H264Clip } from './h264-clip.ts';

/** What a stream loops: access units with timestamps in `clockRate` units (90 kHz video unless given). */
export interface LoopClip {
  accessUnits: ClipAccessUnit[];
  duration90k: number;
  fps: number;
  clockRate?: number;
}

export interface AccessUnitSink {
  /** Returns false when the sink is backed up; it then gets nothing until the next keyframe. */
  writeAccessUnit(au: ClipAccessUnit, timestamp: number): boolean;
}

interface SinkState {
  needKeyframe: boolean;
}

/** Frames sent in one timer tick at most; beyond this we are late and resynchronise the clock. */
const MAX_FRAMES_PER_TICK = 8;
const RESYNC_AFTER_MS = 1000;

export class ClipStream<C extends LoopClip = H264Clip> {
  private clip: C;
  private pendingClip: C | null = null;
  private readonly sinks = new Map<AccessUnitSink, SinkState>();
  private timer: NodeJS.Timeout | null = null;
  private index = 0;
  /** RTP timestamp of the current loop iteration's first frame (unwrapped). */
  private loopBase90k: number;
  private anchorWallMs = 0;
  private anchor90k = 0;
  private lastTimestamp90k: number;

  constructor(clip: C, private readonly now: () => number = () => performance.now()) {
    this.clip = clip;
    this.loopBase90k = Math.floor(Math.random() * 0x7fffffff);
    this.lastTimestamp90k = this.loopBase90k;
  }

  /** Clip whose parameter sets describe what a new viewer will get first. */
  get currentClip(): C {
    return this.timer === null && this.pendingClip ? this.pendingClip : this.clip;
  }

  get sinkCount(): number {
    return this.sinks.size;
  }

  /** Swaps the clip at the next loop boundary so every viewer sees a clean IDR at the cut. */
  replaceClip(clip: C): void {
    if (this.timer === null) this.clip = clip;
    else this.pendingClip = clip;
  }

  /** Timestamp the next newly subscribed sink will start at (for RTP-Info). */
  nextKeyframeTimestamp(): number {
    if (this.timer === null) return this.restartTimestamp() >>> 0;
    const units = this.clip.accessUnits;
    for (let i = this.index; i < units.length; i++) {
      const au = units[i];
      if (au?.keyframe) return (this.loopBase90k + au.pts90k) >>> 0;
    }
    return (this.loopBase90k + this.clip.duration90k) >>> 0;
  }

  subscribe(sink: AccessUnitSink): () => void {
    this.sinks.set(sink, { needKeyframe: true });
    if (this.timer === null) this.start();
    return () => this.unsubscribe(sink);
  }

  unsubscribe(sink: AccessUnitSink): void {
    this.sinks.delete(sink);
    if (this.sinks.size === 0) this.stop();
  }

  close(): void {
    this.sinks.clear();
    this.stop();
  }

  private restartTimestamp(): number {
    return this.lastTimestamp90k + Math.round((this.clip.clockRate ?? 90_000) / this.clip.fps);
  }

  private start(): void {
    if (this.pendingClip) {
      this.clip = this.pendingClip;
      this.pendingClip = null;
    }
    this.index = 0;
    this.loopBase90k = this.restartTimestamp();
    this.anchorWallMs = this.now();
    this.anchor90k = this.loopBase90k;
    this.tick();
  }

  private stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private dueMs(au: ClipAccessUnit): number {
    return this.anchorWallMs + (this.loopBase90k + au.pts90k - this.anchor90k) / ((this.clip.clockRate ?? 90_000) / 1000);
  }

  private tick(): void {
    const now = this.now();
    for (let sent = 0; sent < MAX_FRAMES_PER_TICK; sent++) {
      const au = this.clip.accessUnits[this.index];
      if (!au || this.dueMs(au) > now + 1) break;
      this.deliver(au, this.loopBase90k + au.pts90k);
      this.advance();
    }
    if (this.sinks.size === 0) return this.stop();
    const next = this.clip.accessUnits[this.index];
    if (!next) return this.stop();
    let wait = this.dueMs(next) - now;
    if (wait < -RESYNC_AFTER_MS) {
      // The event loop stalled: re-anchor rather than burst a backlog at viewers.
      this.anchorWallMs = now;
      this.anchor90k = this.loopBase90k + next.pts90k;
      wait = 0;
    }
    this.timer = setTimeout(() => this.tick(), Math.max(0, wait));
    this.timer.unref();
  }

  private advance(): void {
    this.index += 1;
    if (this.index < this.clip.accessUnits.length) return;
    this.index = 0;
    this.loopBase90k += this.clip.duration90k;
    if (this.pendingClip) {
      this.clip = this.pendingClip;
      this.pendingClip = null;
    }
  }

  private deliver(au: ClipAccessUnit, timestamp90k: number): void {
    this.lastTimestamp90k = timestamp90k;
    for (const [sink, state] of this.sinks) {
      if (state.needKeyframe && !au.keyframe) continue;
      state.needKeyframe = !sink.writeAccessUnit(au, timestamp90k >>> 0);
    }
  }
}
