import path from 'node:path';
import type { Gateway } from '../compose.ts';
import { createMediaRuntime, type MediaRuntime } from './runtime.ts';
import { auditsWritten, closeSessionsOnRevocation, edgeDepsFor } from './edge-deps.ts';

/** Starts the media workers and the authorising edge for a gateway, bound to its access runtime. */
export async function startMedia(gw: Gateway, overrides: { rtmpBasePort?: number; httpBasePort?: number; dataDir?: string } = {}): Promise<MediaRuntime> {
  const m = gw.config.media;
  const runtime = await createMediaRuntime(
    {
      workers: m.workers,
      rtmpBasePort: overrides.rtmpBasePort ?? m.rtmpBasePort,
      httpBasePort: overrides.httpBasePort ?? m.httpBasePort,
      pullIdleMs: m.pullIdleMs,
      ...(m.viewerBufferBytes ? { viewerBufferBytes: m.viewerBufferBytes } : {}),
      ...(m.ffmpegPath ? { ffmpegPath: m.ffmpegPath } : {}),
      audio: m.audio,
      dataDir: overrides.dataDir ?? path.resolve(path.dirname(gw.config.database.dataDir), 'media'),
      onProxyEvent: (e) => gw.log.warn({ proxy: e }, 'camera RTSP refused by the proxy'),
    },
    edgeDepsFor(gw),
  );
  const unbind = closeSessionsOnRevocation(gw, runtime);
  return {
    ...runtime,
    async close() {
      unbind();
      await runtime.close();
      await auditsWritten(); // every session's `shutdown` close is in the audit log before the pool goes
    },
  };
}
