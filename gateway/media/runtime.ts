// Composition of the media core: workers, pulls, edge. The gateway's main.ts builds one and registers its routes.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateFfmpeg } from '../../camera-adapters/ffmpeg/index.ts';
import { WorkerPool } from './sources/worker-supervisor.ts';
import { PullManager } from './sources/pulls.ts';
import { SessionRegistry } from './sessions.ts';
import { RtspAuthProxy, type ProxyEvent } from '../../camera-adapters/rtsp/auth-proxy.ts';
import { LiveEdge } from './live/live-edge.ts';
import { liveRoutes } from './live/routes.ts';
import type { EdgeDeps } from './edge-types.ts';

export interface MediaConfig {
  workers: number;
  /** Worker i: RTMP ingest on rtmpBasePort + i, HTTP-FLV on httpBasePort + i, both 127.0.0.1. */
  rtmpBasePort: number;
  httpBasePort: number;
  /** Internal publish/play secret; generated per run when omitted. Never leaves the gateway. */
  secret?: string;
  /** Scratch directory for workers. */
  dataDir?: string;
  /** Configured ffmpeg binary; else the npm-shipped one. */
  ffmpegPath?: string;
  /** Stop a pull this long after its last viewer left. */
  pullIdleMs: number;
  /** Per-viewer buffered bytes cap; default two GOPs. */
  viewerBufferBytes?: number;
  readyTimeoutMs?: number;
  stallTimeoutMs?: number;
  snapshotCacheMs?: number;
  /** Camera audio: keep ('copy', must be AAC or G.711) or drop. */
  audio?: 'copy' | 'none';
  workerLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Fan-out write batching for crowded channels (ms, viewers); defaults 40 ms from 200 viewers. */
  batchMs?: number;
  batchFromViewers?: number;
  /** Relay stream probing (µs / bytes); defaults favour a fast first frame. */
  relayAnalyzeDurationUs?: number;
  relayProbeSize?: number;
  /** A masked live transcode is kept this long after its last viewer left (default 10 s). */
  maskGraceMs?: number;
  /** What the RTSP proxy refused (redirects, bad nonces): for the operator's log, never for viewers. */
  onProxyEvent?: (e: ProxyEvent) => void;
}

export interface MediaRuntime {
  edge: LiveEdge;
  pulls: PullManager;
  workers: WorkerPool;
  /** Every open media session (live, snapshot, playback, export): revocation closes them here. */
  sessions: SessionRegistry;
  proxy: RtspAuthProxy;
  /** Fastify plugin with /media/live/:id.flv, /media/live/:id.ws, /media/snapshot/:id.jpg. */
  routes: ReturnType<typeof liveRoutes>;
  close(): Promise<void>;
}

export async function createMediaRuntime(cfg: MediaConfig, deps: EdgeDeps): Promise<MediaRuntime> {
  const secret = cfg.secret ?? randomBytes(24).toString('hex');
  const ffmpegPath = locateFfmpeg(cfg.ffmpegPath);
  const dataDir = cfg.dataDir ?? join(tmpdir(), `shouwang-media-${process.pid}`);
  const workers = new WorkerPool({
    count: cfg.workers,
    rtmpBasePort: cfg.rtmpBasePort,
    httpBasePort: cfg.httpBasePort,
    secret,
    dataDir,
    logLevel: cfg.workerLogLevel ?? 'error',
  });
  await workers.start();
  const sessions = new SessionRegistry();
  // camera credentials never reach an argv: ffmpeg dials this loopback proxy with a single-use nonce
  const proxy = new RtspAuthProxy({ ...(cfg.onProxyEvent ? { onEvent: cfg.onProxyEvent } : {}) });
  await proxy.listen();
  const viaProxy = (url: string): string => (url.startsWith('rtsp://') ? proxy.ticket(url) : url);
  const pulls = new PullManager(
    {
      ffmpegPath,
      idleMs: cfg.pullIdleMs,
      audio: cfg.audio ?? 'copy',
      viaProxy,
      ...(cfg.relayAnalyzeDurationUs !== undefined ? { analyzeDurationUs: cfg.relayAnalyzeDurationUs } : {}),
      ...(cfg.relayProbeSize !== undefined ? { probeSize: cfg.relayProbeSize } : {}),
    },
    workers,
    secret,
  );
  const edge = new LiveEdge(
    {
      ffmpegPath,
      viewerBufferBytes: cfg.viewerBufferBytes,
      readyTimeoutMs: cfg.readyTimeoutMs,
      stallTimeoutMs: cfg.stallTimeoutMs,
      snapshotCacheMs: cfg.snapshotCacheMs,
      batchMs: cfg.batchMs,
      batchFromViewers: cfg.batchFromViewers,
      viaProxy,
      ...(cfg.maskGraceMs !== undefined ? { maskGraceMs: cfg.maskGraceMs } : {}),
    },
    deps,
    pulls,
    workers,
    secret,
    sessions,
  );
  return {
    edge,
    pulls,
    workers,
    sessions,
    proxy,
    routes: liveRoutes(edge),
    async close() {
      sessions.closeAll('shutdown');
      await edge.close();
      await pulls.close();
      await proxy.close();
      await workers.stop();
      if (!cfg.dataDir) rmSync(dataDir, { recursive: true, force: true }); // our own scratch, not a configured dir
    },
  };
}
