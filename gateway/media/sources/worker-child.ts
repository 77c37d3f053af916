// A media worker: node-media-server in its own process. Its singletons, process.exit calls,
// signal handlers and console logging stay here; the gateway talks to it over IPC only.
import { createRequire } from 'node:module';
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyPublish } from './publish-token.ts';
import type { FromChild, ToChild, WorkerChildConfig } from './worker-protocol.ts';

const require = createRequire(import.meta.url);

// NMS logs everything with console.log; route it to stderr, which the supervisor keeps a tail of.
console.log = (...a: unknown[]) => process.stderr.write(a.map(String).join(' ') + '\n');

function send(m: FromChild): void {
  if (process.connected) process.send?.(m);
}

interface NmsSession {
  id: string;
  protocol: string;
  streamPath: string;
  streamQuery: Record<string, unknown>;
  socket?: { destroy(): void };
  req?: { socket: { destroy(): void } };
  res?: { terminate?: () => void };
}

let nms: { run(): Promise<void>; stop(): Promise<void>; on(ev: string, fn: (s: NmsSession) => void): void; relayServer: { addTask(c: object): unknown; removeTask(k: string): boolean } } | undefined;
const internalTasks = new Set<string>();

async function start(cfg: WorkerChildConfig): Promise<void> {
  rmSync(cfg.dataDir, { recursive: true, force: true }); // NMS restores persisted relay tasks: we own pulls, so start clean
  mkdirSync(cfg.dataDir, { recursive: true });
  const NodeMediaServer = require('node-media-server');
  const logger = require('node-media-server/src/core/logger.js');
  const Context = require('node-media-server/src/core/context.js');
  nms = new NodeMediaServer(
    {
      bind: '127.0.0.1',
      rtmp: { port: cfg.rtmpPort },
      http: { port: cfg.httpPort },
      // play requires NMS's md5 sign; publishing is checked below with a separate HMAC,
      // because NMS accepts a play sign for publishing when auth.publish is on.
      auth: { play: true, publish: false, secret: cfg.secret },
      webadmin: { enable: false },
      record: { auto: false, path: join(cfg.dataDir, 'record') },
      store: { path: cfg.dataDir, maxHistory: 10 },
      notify: { url: '' },
    },
    '',
  );
  logger.level = cfg.logLevel; // the constructor forces "debug"
  nms!.on('prePublish', (s) => {
    // NMS's own RTSP pulls we started have no socket or query: trust only those we created
    if (s.protocol === 'rtsp' && internalTasks.has(s.streamPath)) return;
    if (verifyPublish(cfg.secret, s.streamPath, s.streamQuery ?? {})) return;
    send({ type: 'rejectedPublish', path: s.streamPath });
    // hooks cannot veto: cut the connection before any media is read
    s.socket?.destroy();
    s.req?.socket.destroy();
    s.res?.terminate?.();
  });
  await nms!.run();
  const http = (nms as unknown as { httpServer: { httpServer?: import('node:net').Server } }).httpServer.httpServer;
  const rtmp = (nms as unknown as { rtmpServer: { tcpServer?: import('node:net').Server } }).rtmpServer.tcpServer;
  await Promise.all(
    [http, rtmp].map((srv) => (srv && !srv.listening ? new Promise((r) => srv.once('listening', r)) : Promise.resolve())),
  );
  workerContext = Context;
  send({ type: 'ready' });
}

let workerContext:
  | { broadcasts: Map<string, { publisher: unknown; subscribers: Map<string, unknown>; getPublishStatus(): string; _finishPublish(): void }> }
  | undefined;

function stats(): { path: string; publishing: boolean; subscribers: number }[] {
  const out = [];
  for (const [path, b] of workerContext?.broadcasts ?? []) {
    out.push({ path, publishing: b.getPublishStatus() === 'publishing', subscribers: b.subscribers.size });
  }
  return out;
}

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    const t = setTimeout(() => process.exit(code), 2000);
    t.unref();
    try {
      await nms?.stop();
    } catch {
      /* exiting anyway */
    }
  }
  process.exit(code);
}

process.on('message', (m: ToChild) => {
  switch (m.type) {
    case 'start':
      start(m.config).catch((e: unknown) => {
        send({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
        void stop(1);
      });
      break;
    case 'stats':
      send({ type: 'reply', id: m.id, ok: true, streams: stats(), rssKb: Math.round(process.memoryUsage().rss / 1024) });
      break;
    case 'addRtspTask':
      try {
        internalTasks.add(m.streamPath);
        nms?.relayServer.addTask({ url: m.url, streamPath: m.streamPath, mode: 'pull', reconnect: true });
        send({ type: 'reply', id: m.id, ok: true });
      } catch (e) {
        send({ type: 'reply', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
      }
      break;
    case 'removeTask':
      internalTasks.delete(m.streamPath);
      send({ type: 'reply', id: m.id, ok: nms?.relayServer.removeTask(m.streamPath) ?? false });
      break;
    case 'endPublish': {
      // a pull we stopped on purpose: drop NMS's 30 s resume grace and its GOP cache, so a later
      // pull of the same camera cannot hand out stale frames as live
      const b = workerContext?.broadcasts.get(m.streamPath);
      if (b && b.getPublishStatus() !== 'publishing') b._finishPublish();
      send({ type: 'reply', id: m.id, ok: true });
      break;
    }
    case 'stop':
      void stop(0);
      break;
  }
});
// the gateway went away: do not linger as an orphan
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
