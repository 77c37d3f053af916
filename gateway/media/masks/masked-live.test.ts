// The masked transcode on its own, with real ffmpeg and a fake held source: shared per mask version, stopped after
// its grace, and failing closed when ffmpeg or the source fails.
import { describe, it, expect, beforeAll } from 'vitest';
import { locateFfmpeg, runToCompletion } from '../../../camera-adapters/ffmpeg/index.ts';
import { isAppError } from '../../errors.ts';
import type { ViewerSink } from '../edge-types.ts';
import type { ChannelViewer } from '../live/channel.ts';
import { MaskedLive } from './masked-live.ts';

const MASK = { version: 3, rects: [{ x: 0.25, y: 0.25, w: 0.5, h: 0.5 }] };
let flv: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  const r = await runToCompletion(locateFfmpeg(), [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '3',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', '-f', 'flv', 'pipe:1',
  ], { timeoutMs: 30_000 });
  expect(r.exit.code, r.stderr).toBe(0);
  flv = r.stdout;
}, 60_000);

/** A held source that hands the transcode a recorded FLV at once and then stays open. */
function fakeSource(opts: { fail?: Error } = {}) {
  const held: Array<{ sink: ViewerSink; released: string | null }> = [];
  return {
    held,
    async holdSource(_cameraId: string, _stream: 'main' | 'sub', sink: ViewerSink) {
      if (opts.fail) throw opts.fail;
      const h = { sink, released: null as string | null };
      held.push(h);
      sink.write(flv);
      return { wallMs: Date.now(), release: (reason: string) => void (h.released ??= reason) };
    },
  };
}

const viewer = (kicked: string[]): ChannelViewer => ({
  sink: { write: () => undefined, buffered: () => 0, close: () => undefined, onClose: () => undefined },
  bytes: 0, skipping: false, maxBuffered: 0, kick: (r) => void kicked.push(r),
});

const until = async (cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  expect(cond()).toBe(true);
};

describe('MaskedLive', () => {
  it('one transcode per camera, stream and mask version, shared; stopped after the grace, the source let go', async () => {
    const src = fakeSource();
    const m = new MaskedLive({ ffmpegPath: locateFfmpeg(), source: src, graceMs: 200 });
    try {
      const [a, b] = await Promise.all([m.acquire('cam-1', 'main', MASK), m.acquire('CAM-1', 'main', MASK)]);
      expect(a.channel).toBe(b.channel);
      expect(a.channel.ready).toBe(true);
      expect(m.started).toBe(1);
      expect(src.held).toHaveLength(1);
      const other = await m.acquire('cam-1', 'main', { ...MASK, version: 4 });
      expect(m.started).toBe(2);
      expect(m.stats().map((s) => [s.version, s.holders])).toEqual([[3, 2], [4, 1]]);
      a.release();
      a.release(); // idempotent
      await new Promise((r) => setTimeout(r, 400));
      expect(m.stats()).toHaveLength(2); // b still holds version 3
      b.release();
      other.release();
      await until(() => m.stats().length === 0, 5000);
      expect(src.held.map((h) => h.released)).toEqual(['idle', 'idle']);
    } finally {
      await m.close();
    }
  }, 60_000);

  it('a source that goes away closes the masked viewers with its reason', async () => {
    const src = fakeSource();
    const m = new MaskedLive({ ffmpegPath: locateFfmpeg(), source: src });
    try {
      const lease = await m.acquire('cam-2', 'main', MASK);
      const kicked: string[] = [];
      lease.channel.add(viewer(kicked));
      src.held[0]!.sink.close('source_lost');
      await until(() => kicked.length > 0, 10_000);
      expect(kicked).toEqual(['source_lost']);
      expect(m.stats()).toEqual([]);
      lease.release();
    } finally {
      await m.close();
    }
  }, 60_000);

  it('fails closed: no ffmpeg, or no source, is an error for the viewer and leaves nothing running', async () => {
    const src = fakeSource();
    const noFfmpeg = new MaskedLive({ ffmpegPath: '/nonexistent/ffmpeg', source: src });
    const e1 = await noFfmpeg.acquire('cam-3', 'main', MASK).catch((e: unknown) => e);
    expect(isAppError(e1) && e1.code).toBe('mask_unavailable');
    expect(noFfmpeg.stats()).toEqual([]);
    await until(() => src.held.every((h) => h.released !== null), 5000);
    await noFfmpeg.close();

    const offline = new MaskedLive({ ffmpegPath: locateFfmpeg(), source: fakeSource({ fail: new Error('camera gone') }) });
    const e2 = await offline.acquire('cam-4', 'main', MASK).catch((e: unknown) => e);
    expect(isAppError(e2) && e2.code).toBe('mask_unavailable');
    expect(offline.stats()).toEqual([]);
    await offline.close();
  }, 60_000);
});
