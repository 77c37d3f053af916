import path from 'node:path';
import type { Gateway } from '../compose.ts';
import { createMediaRuntime, type MediaRuntime } from './runtime.ts';
import { auditsWritten, closeSessionsOnRevocation, edgeDepsFor } from './edge-deps.ts';
import { startRecorder } from './recorder/start-recorder.ts';
import { footageHoldRoutes } from './recorder/routes.ts';
import type { MediaStateEvent } from './sources/pulls.ts';
import type { Recorder } from './recorder/recorder.ts';
import { maskChangeOf } from './masks/gateway-masks.ts';

/** Starts the media workers and the authorising edge for a gateway, bound to its access runtime. */
export async function startMedia(gw: Gateway, overrides: { rtmpBasePort?: number; httpBasePort?: number; dataDir?: string; recordingDir?: string } = {}): Promise<MediaRuntime & { recorder: Recorder | null }> {
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
  const unbindRevocations = closeSessionsOnRevocation(gw, runtime);
  // one notion of a camera's media state: what the sources see goes out like camera.state, detail only in the log
  const onMedia = (e: MediaStateEvent): void => {
    gw.log.info({ cameraId: e.cameraId, stream: e.stream, state: e.state }, 'camera media state');
    void gw.repos.cameras.byId(e.cameraId).then((cam) => {
      if (cam) gw.events.publish({ type: 'camera.media', stationIds: [cam.stationId], payload: { cameraId: e.cameraId, stream: e.stream, state: e.state } });
    }, () => undefined);
  };
  runtime.pulls.on('media', onMedia);
  // a mask saved or lifted in any process: open live views of that camera re-decide (masked, original, new version)
  const redecide = (p: Promise<number>): void =>
    void p.catch((err: unknown) => gw.log.error({ err }, 're-deciding live views after a mask change failed'));
  const offMask = gw.bus.on((msg) => {
    const cameraId = maskChangeOf(msg);
    if (cameraId) redecide(runtime.edge.masksChanged(cameraId));
  });
  const offMaskResync = gw.bus.onResync(() => redecide(runtime.edge.masksChangedEverywhere()));
  const unbind = (): void => {
    unbindRevocations();
    offMask();
    offMaskResync();
    runtime.pulls.off('media', onMedia);
  };
  // recording holds camera sources through the edge, so live viewers of recorded cameras start warm
  let closing: Promise<void> | null = null;
  const rec = await startRecorder(gw, runtime.edge, overrides.recordingDir ? { dir: overrides.recordingDir } : {});
  return {
    ...runtime,
    recorder: rec?.recorder ?? null,
    routes: async function media(app) {
      await app.register(runtime.routes);
      await app.register(footageHoldRoutes(gw), { prefix: '/api/v1' });
    },
    // idempotent: SIGTERM handling and test teardown may both call it
    close() {
      closing ??= (async () => {
        unbind();
        runtime.sessions.closeAll('shutdown');
        await rec?.close(); // ends each open segment cleanly so it is indexed
        await runtime.close();
        await auditsWritten(); // every session's `shutdown` close is in the audit log before the pool goes
      })();
      return closing;
    },
  };
}
