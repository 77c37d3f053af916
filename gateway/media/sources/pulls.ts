// Upstream pulls on demand: one ffmpeg relay (camera RTSP → worker RTMP) per (camera, stream) while
// anyone holds it; idle-stopped after a grace period; a dropped camera is retried with backoff.
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { relayArgs, spawnManaged, type ManagedProcess } from '../../../camera-adapters/ffmpeg/index.ts';
import { publishQuery } from './publish-token.ts';
import type { WorkerPool } from './worker-supervisor.ts';

export type StreamKind = 'main' | 'sub';
export type PullState = 'starting' | 'running' | 'retrying' | 'stopped';

export interface PullConfig {
  ffmpegPath: string;
  /** Stop a pull this long after its last holder released it. */
  idleMs: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  stopGraceMs?: number;
  /** RTSP socket timeout. */
  timeoutUs?: number;
  audio?: 'copy' | 'none';
  /** Stream probing before the relay starts writing: shorter = faster first frame, too short can miss audio. */
  analyzeDurationUs?: number;
  probeSize?: number;
  /** Turns the camera URL (with credentials) into what ffmpeg may see: a single-use loopback proxy URL. */
  viaProxy?: (sourceUrl: string) => string;
}

export interface PullInfo {
  cameraId: string;
  stream: StreamKind;
  streamPath: string;
  worker: number;
  state: PullState;
  holders: number;
  restarts: number;
  failures: number;
  pid: number | undefined;
  lastError: string | null;
}

/** Worker stream path for a camera stream: NMS accepts only [A-Za-z0-9_-] names. */
export function streamPathFor(cameraId: string, stream: StreamKind): string {
  const h = createHash('sha256').update(cameraId).digest('hex').slice(0, 20);
  return `/live/c${h}_${stream}`;
}

/** ffmpeg's stderr can echo the camera URL: never let credentials or publish tokens out. */
export function redact(text: string): string {
  return text
    .replace(/(rtsps?|rtmp|https?):\/\/[^\s/@]*@/g, '$1://***@')
    .replace(/([?&](?:pub|sign|exp|token)=)[^&\s'"]*/g, '$1***');
}

/**
 * One relay. Emits 'state' (PullState). `markLive()` is called by whoever sees frames arrive
 * (the edge's upstream subscription), which is what "running" means.
 */
export class Pull extends EventEmitter {
  state: PullState = 'starting';
  holders = 0;
  restarts = 0;
  lastError: string | null = null;
  proc: ManagedProcess | null = null;
  private sourceUrl: string;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private startedAt = 0;

  constructor(
    readonly cameraId: string,
    readonly stream: StreamKind,
    readonly streamPath: string,
    readonly worker: number,
    sourceUrl: string,
    private readonly cfg: PullConfig,
    private readonly pool: WorkerPool,
    private readonly secret: string,
    private readonly onStopped: (p: Pull) => void,
  ) {
    super();
    this.setMaxListeners(0); // every viewer waiting for a cold start listens for state changes
    this.sourceUrl = sourceUrl;
    this.backoffMs = cfg.retryInitialMs ?? 500;
  }

  info(): PullInfo {
    return {
      cameraId: this.cameraId,
      stream: this.stream,
      streamPath: this.streamPath,
      worker: this.worker,
      state: this.state,
      holders: this.holders,
      restarts: this.restarts,
      failures: this.failures,
      pid: this.proc?.pid,
      lastError: this.lastError,
    };
  }

  /** Failed starts since video last flowed. */
  failures = 0;

  markLive(): void {
    this.failures = 0;
    if (this.state === 'starting' || this.state === 'retrying') this.setState('running');
  }

  /** Camera source may change between holders (credentials rotated): next (re)start uses it. */
  updateSource(url: string): void {
    this.sourceUrl = url;
  }

  hold(): void {
    this.holders++;
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
  }

  release(): void {
    this.holders = Math.max(0, this.holders - 1);
    if (this.holders === 0 && !this.idleTimer && this.state !== 'stopped') {
      this.idleTimer = setTimeout(() => void this.stop(), this.cfg.idleMs);
      this.idleTimer.unref();
    }
  }

  start(): void {
    if (this.state === 'stopped') return;
    const w = this.pool.get(this.worker);
    const output = `rtmp://127.0.0.1:${w.rtmpPort}${this.streamPath}?${publishQuery(this.secret, this.streamPath, 120)}`;
    const args = relayArgs({
      input: this.cfg.viaProxy ? this.cfg.viaProxy(this.sourceUrl) : this.sourceUrl,
      output,
      audio: this.cfg.audio ?? 'copy',
      timeoutUs: this.cfg.timeoutUs ?? 5_000_000,
      ...(this.cfg.analyzeDurationUs !== undefined ? { analyzeDurationUs: this.cfg.analyzeDurationUs } : {}),
      ...(this.cfg.probeSize !== undefined ? { probeSize: this.cfg.probeSize } : {}),
    });
    const proc = spawnManaged(this.cfg.ffmpegPath, args);
    this.proc = proc;
    this.startedAt = Date.now();
    if (this.state !== 'starting') this.setState('starting');
    void proc.exited.then((exit) => {
      if (this.proc !== proc) return;
      this.proc = null;
      if (this.state === 'stopped') return;
      const tail = redact(proc.stderrTail()).trim().split('\n').slice(-3).join(' | ');
      this.lastError = `relay exited (code ${exit.code ?? exit.signal})${tail ? `: ${tail}` : ''}`;
      if (Date.now() - this.startedAt > 15_000) this.backoffMs = this.cfg.retryInitialMs ?? 500;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, this.cfg.retryMaxMs ?? 15_000);
      this.restarts++;
      this.failures++;
      this.setState('retrying');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.start();
      }, delay);
    });
  }

  /** The supervisor's watchdog: frames stopped though the relay still runs → kill it; the retry path restarts it. */
  restart(reason: string): void {
    if (this.state === 'stopped' || !this.proc) return;
    this.lastError = reason;
    void this.proc.stop(this.cfg.stopGraceMs ?? 3000);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopped');
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const p = this.proc;
    this.proc = null;
    this.onStopped(this);
    if (p) await p.stop(this.cfg.stopGraceMs ?? 3000);
    await this.pool.endPublish(this.worker, this.streamPath).catch(() => {}); // worker down: nothing cached anyway
  }

  private setState(s: PullState): void {
    this.state = s;
    this.emit('state', s);
  }
}

export type MediaState = 'online' | 'offline';
export interface MediaStateEvent {
  cameraId: string;
  stream: StreamKind;
  state: MediaState;
  reason: string | null;
}

/** Events: 'started' (Pull), 'stopped' (Pull), 'media' (MediaStateEvent: a held camera went online/offline). */
export class PullManager extends EventEmitter {
  private readonly pulls = new Map<string, Pull>();
  private readonly mediaStates = new Map<string, MediaState>();

  /** Media state of a camera stream while something holds it (undefined: nobody pulls it now). */
  mediaState(cameraId: string, stream: StreamKind = 'main'): MediaState | undefined {
    return this.pulls.has(`${cameraId}\n${stream}`) ? this.mediaStates.get(`${cameraId}\n${stream}`) : undefined;
  }
  private generation = 0;

  constructor(
    private readonly cfg: PullConfig,
    private readonly pool: WorkerPool,
    private readonly secret: string,
  ) {
    super();
  }

  /** Holds the (camera, stream) pull, starting it when nobody held it. Pair with `pull.release()`. */
  acquire(cameraId: string, stream: StreamKind, sourceUrl: string): Pull {
    const key = `${cameraId}\n${stream}`;
    let p = this.pulls.get(key);
    if (p) {
      p.updateSource(sourceUrl);
      p.hold();
      return p;
    }
    // a fresh path per pull: a new pull can never be served frames a worker still caches from the last one
    const streamPath = `${streamPathFor(cameraId, stream)}_${(++this.generation).toString(36)}`;
    const worker = workerFor(streamPath, this.pool.list().length);
    p = new Pull(cameraId, stream, streamPath, worker, sourceUrl, this.cfg, this.pool, this.secret, (x) => {
      if (this.pulls.get(key) === x) {
        this.pulls.delete(key);
        this.mediaStates.delete(key);
      }
      this.emit('stopped', x);
    });
    const pull = p;
    // one notion of a camera's media state: video flowing (online) or a relay that keeps failing (offline)
    p.on('state', (st: PullState) => {
      const media: MediaState | null = st === 'running' ? 'online' : st === 'retrying' && pull.failures >= 2 ? 'offline' : null;
      if (media && this.mediaStates.get(key) !== media) {
        this.mediaStates.set(key, media);
        this.emit('media', { cameraId, stream, state: media, reason: media === 'offline' ? 'not_delivering_video' : null } satisfies MediaStateEvent);
      }
    });
    this.pulls.set(key, p);
    p.hold();
    this.emit('started', p);
    p.start();
    return p;
  }

  get(cameraId: string, stream: StreamKind): Pull | undefined {
    return this.pulls.get(`${cameraId}\n${stream}`);
  }

  list(): PullInfo[] {
    return [...this.pulls.values()].map((p) => p.info());
  }

  async close(): Promise<void> {
    await Promise.all([...this.pulls.values()].map((p) => p.stop()));
  }
}

export function workerFor(streamPath: string, count: number): number {
  const h = createHash('sha1').update(streamPath).digest();
  return h.readUInt32BE(0) % Math.max(1, count);
}
