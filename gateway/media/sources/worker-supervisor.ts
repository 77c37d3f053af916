// Starts N media workers (node-media-server child processes), restarts a crashed one with backoff
// and reports it, and stops them: signal, wait, kill.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { FromChild, StreamStat, ToChild, WorkerChildConfig } from './worker-protocol.ts';

const require = createRequire(import.meta.url);
const CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

export interface WorkerPoolConfig {
  count: number;
  /** Worker i listens on rtmpBasePort + i and httpBasePort + i (127.0.0.1). */
  rtmpBasePort: number;
  httpBasePort: number;
  secret: string;
  dataDir: string;
  logLevel?: WorkerChildConfig['logLevel'];
  restartInitialMs?: number;
  restartMaxMs?: number;
  stopGraceMs?: number;
  readyTimeoutMs?: number;
  /** Debugging: let workers write their log straight to our stderr instead of keeping a tail. */
  inheritStderr?: boolean;
}

export type WorkerState = 'starting' | 'ready' | 'down' | 'stopped';

export interface WorkerInfo {
  index: number;
  rtmpPort: number;
  httpPort: number;
  state: WorkerState;
  pid: number | undefined;
  restarts: number;
}

interface Slot extends WorkerInfo {
  child: ChildProcess | null;
  exited: Promise<void> | null;
  backoffMs: number;
  readySince: number;
  restartTimer: NodeJS.Timeout | null;
  stderrTail: string;
  pending: Map<number, (m: Extract<FromChild, { type: 'reply' }>) => void>;
  readyWaiters: Array<() => void>;
}

/**
 * Events: 'ready' (info), 'down' (info, reason: string) — the worker died and is being restarted,
 * 'rejectedPublish' (info, path).
 */
export class WorkerPool extends EventEmitter {
  private readonly slots: Slot[];
  private stopping = false;
  private nextId = 1;

  constructor(private readonly cfg: WorkerPoolConfig) {
    super();
    if (cfg.count < 1) throw new Error("'media.workers' must be at least 1");
    this.slots = Array.from({ length: cfg.count }, (_, index) => ({
      index,
      rtmpPort: cfg.rtmpBasePort + index,
      httpPort: cfg.httpBasePort + index,
      state: 'stopped' as WorkerState,
      pid: undefined,
      restarts: 0,
      child: null,
      exited: null,
      backoffMs: cfg.restartInitialMs ?? 500,
      readySince: 0,
      restartTimer: null,
      stderrTail: '',
      pending: new Map(),
      readyWaiters: [],
    }));
  }

  async start(): Promise<void> {
    for (const s of this.slots) this.spawn(s);
    await Promise.all(this.slots.map((s) => this.waitReady(s.index, this.cfg.readyTimeoutMs ?? 15_000)));
  }

  list(): WorkerInfo[] {
    return this.slots.map((s) => this.info(s));
  }

  get(index: number): WorkerInfo {
    const s = this.slots[index];
    if (!s) throw new Error(`no worker ${index}`);
    return this.info(s);
  }

  /** Resolves when the worker is ready; rejects after timeoutMs. */
  waitReady(index: number, timeoutMs: number): Promise<void> {
    const s = this.slots[index];
    if (!s) return Promise.reject(new Error(`no worker ${index}`));
    if (s.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        s.readyWaiters = s.readyWaiters.filter((w) => w !== done);
        reject(new Error(`media worker ${index} not ready after ${timeoutMs} ms: ${s.stderrTail.slice(-300)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(t);
        resolve();
      };
      s.readyWaiters.push(done);
    });
  }

  async streams(index: number): Promise<{ streams: StreamStat[]; rssKb: number }> {
    const r = await this.request(index, (id) => ({ type: 'stats', id }));
    return { streams: r.streams ?? [], rssKb: r.rssKb ?? 0 };
  }

  /** node-media-server's own RTSP client as a pull (measured against the ffmpeg relay). */
  async addRtspTask(index: number, url: string, streamPath: string): Promise<void> {
    const r = await this.request(index, (id) => ({ type: 'addRtspTask', id, url, streamPath }));
    if (!r.ok) throw new Error(r.error ?? 'addRtspTask failed');
  }

  async removeTask(index: number, streamPath: string): Promise<void> {
    await this.request(index, (id) => ({ type: 'removeTask', id, streamPath }));
  }

  /** Forget a stream whose publisher we stopped on purpose (no resume grace, no stale GOP). */
  async endPublish(index: number, streamPath: string): Promise<void> {
    await this.request(index, (id) => ({ type: 'endPublish', id, streamPath }));
  }

  /** Test and chaos hook: kill a worker as a crash would. */
  crash(index: number): void {
    this.slots[index]?.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const grace = this.cfg.stopGraceMs ?? 3000;
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.restartTimer) clearTimeout(s.restartTimer);
        const child = s.child;
        if (!child || !s.exited) return;
        if (child.connected) child.send({ type: 'stop' } satisfies ToChild, () => {});
        else child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), grace);
        await s.exited;
        clearTimeout(t);
      }),
    );
  }

  private info(s: Slot): WorkerInfo {
    return { index: s.index, rtmpPort: s.rtmpPort, httpPort: s.httpPort, state: s.state, pid: s.pid, restarts: s.restarts };
  }

  private request(
    index: number,
    make: (id: number) => ToChild,
  ): Promise<Extract<FromChild, { type: 'reply' }>> {
    const s = this.slots[index];
    if (!s?.child?.connected || s.state !== 'ready') return Promise.reject(new Error(`media worker ${index} is not ready`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        s.pending.delete(id);
        reject(new Error(`media worker ${index} did not answer`));
      }, 5000);
      s.pending.set(id, (m) => {
        clearTimeout(t);
        resolve(m);
      });
      s.child?.send(make(id));
    });
  }

  private spawn(s: Slot): void {
    s.state = 'starting';
    s.stderrTail = '';
    const child = fork(CHILD, [], {
      execArgv: ['--import', TSX_LOADER],
      stdio: ['ignore', 'ignore', this.cfg.inheritStderr ? 'inherit' : 'pipe', 'ipc'],
      serialization: 'json',
    });
    s.child = child;
    s.pid = child.pid;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      s.stderrTail = (s.stderrTail + d).slice(-4000);
    });
    child.on('message', (m: FromChild) => this.onMessage(s, m));
    s.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onExit(s, child, code, signal);
        resolve();
      });
    });
    child.once('error', () => {}); // 'exit' follows; spawn errors are reported from there
    const config: WorkerChildConfig = {
      index: s.index,
      rtmpPort: s.rtmpPort,
      httpPort: s.httpPort,
      secret: this.cfg.secret,
      dataDir: join(this.cfg.dataDir, `worker-${s.index}`),
      logLevel: this.cfg.logLevel ?? 'error',
    };
    child.send({ type: 'start', config } satisfies ToChild);
  }

  private onMessage(s: Slot, m: FromChild): void {
    switch (m.type) {
      case 'ready':
        s.state = 'ready';
        s.readySince = Date.now();
        for (const w of s.readyWaiters.splice(0)) w();
        this.emit('ready', this.info(s));
        break;
      case 'reply':
        s.pending.get(m.id)?.(m);
        s.pending.delete(m.id);
        break;
      case 'rejectedPublish':
        this.emit('rejectedPublish', this.info(s), m.path);
        break;
      case 'fatal':
        s.stderrTail += `\n${m.message}`;
        break;
    }
  }

  private onExit(s: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.child !== child) return;
    s.child = null;
    s.pid = undefined;
    for (const [id, fn] of s.pending) fn({ type: 'reply', id, ok: false, error: 'worker exited' });
    s.pending.clear();
    if (this.stopping) {
      s.state = 'stopped';
      return;
    }
    s.state = 'down';
    // a worker that stayed up a while earns a fresh backoff
    if (s.readySince && Date.now() - s.readySince > 30_000) s.backoffMs = this.cfg.restartInitialMs ?? 500;
    const delay = s.backoffMs;
    s.backoffMs = Math.min(s.backoffMs * 2, this.cfg.restartMaxMs ?? 30_000);
    s.restarts++;
    const reason = `exited code=${code} signal=${signal}; restart in ${delay} ms`;
    this.emit('down', this.info(s), reason, s.stderrTail.slice(-500));
    s.restartTimer = setTimeout(() => {
      s.restartTimer = null;
      if (!this.stopping) this.spawn(s);
    }, delay);
  }
}
