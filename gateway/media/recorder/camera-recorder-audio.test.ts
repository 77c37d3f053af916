// The recording ffmpeg keeps a camera's AAC audio by copy beside the copied video (MPEG-TS with both tracks),
// drops audio MPEG-TS cannot carry by copy (G.711) without losing the video, and the playback cutter keeps the audio.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateFfmpeg, runToCompletion, testClipArgs } from '../../../camera-adapters/ffmpeg/index.ts';
import { CameraRecorder, flvAudioFormat, type FinishedSegment, type SourceHolder } from './camera-recorder.ts';
import { LocalSegmentStore } from './segment-store.ts';
import { clipTs, parseTs } from '../playback/ts-clip.ts';

let dir = '';
const clips: Record<'aac' | 'alaw' | 'none', Buffer> = { aac: Buffer.alloc(0), alaw: Buffer.alloc(0), none: Buffer.alloc(0) };

async function clip(name: string, o: { audio: boolean; audioCodec?: 'aac' | 'pcm_alaw' }): Promise<Buffer> {
  const out = path.join(dir, `${name}.flv`);
  const r = await runToCompletion(locateFfmpeg(), testClipArgs({ output: out, seconds: 5, width: 320, height: 180, fps: 25, gop: 25, bitrateKbps: 300, ...o }), { timeoutMs: 60_000 });
  expect(r.exit.code, r.stderr).toBe(0);
  return readFileSync(out);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sw-rec-audio-'));
  clips.aac = await clip('aac', { audio: true });
  clips.alaw = await clip('alaw', { audio: true, audioCodec: 'pcm_alaw' });
  clips.none = await clip('none', { audio: false });
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A source that hands the recorder one FLV (as the channel's burst would) and then ends. */
function fileSource(flv: Buffer): SourceHolder {
  let served = false;
  return {
    async holdSource(_id, _stream, sink) {
      if (served) throw new Error('offline');
      served = true;
      sink.write(flv);
      setTimeout(() => sink.close('end'), 300);
      return { wallMs: Date.now() - 5000, release: () => undefined };
    },
  };
}

async function record(name: string, flv: Buffer): Promise<FinishedSegment[]> {
  const store = new LocalSegmentStore(path.join(dir, name));
  const segs: FinishedSegment[] = [];
  const rec = new CameraRecorder({
    cameraId: '00000000-0000-4000-8000-00000000000a',
    stream: 'main',
    segmentSeconds: 2,
    store,
    ffmpegPath: locateFfmpeg(),
    source: fileSource(flv),
    index: async (s) => void segs.push(s),
    onState: () => undefined,
    canWrite: () => true,
    retryInitialMs: 60_000,
  });
  rec.start();
  const end = Date.now() + 30_000;
  while (Date.now() < end && !(segs.length >= 2 && rec.state !== 'recording' && rec.state !== 'starting')) await new Promise((r) => setTimeout(r, 100));
  await rec.stop('test_end');
  return segs.map((s) => ({ ...s, path: store.absolute(s.path) }));
}

describe('recording audio', () => {
  it('reads the audio format from the FLV burst', () => {
    expect(flvAudioFormat(clips.aac)).toBe(10);
    expect(flvAudioFormat(clips.alaw)).toBe(7);
    expect(flvAudioFormat(clips.none)).toBeNull();
  });

  it('AAC is copied into the MPEG-TS segments beside the video, and a playback cut keeps it', async () => {
    const segs = await record('aac', clips.aac);
    expect(segs.length).toBeGreaterThanOrEqual(2);
    for (const s of segs) {
      const p = parseTs(readFileSync(s.path));
      expect(p.video?.codec).toBe('h264');
      expect(p.audioPids.size).toBe(1);
      const audioPid = [...p.audioPids][0]!;
      expect(p.units.filter((u) => u.pid === audioPid).length).toBeGreaterThan(10); // ~43 AAC frames a second
    }
    // the window cut a viewer gets still carries the audio
    const s = segs[0]!;
    const cut = clipTs(readFileSync(s.path), { startMs: s.startAt.getTime(), firstPts90k: s.firstPts90k }, { fromMs: s.startAt.getTime(), toMs: s.endAt.getTime() });
    expect(cut.videoFrames).toBeGreaterThan(0);
    expect(parseTs(cut.bytes).audioPids.size).toBe(1);
  }, 60_000);

  it('G.711 audio is dropped (MPEG-TS cannot carry it by copy) and the video still records', async () => {
    const segs = await record('alaw', clips.alaw);
    expect(segs.length).toBeGreaterThanOrEqual(2);
    for (const s of segs) {
      const p = parseTs(readFileSync(s.path));
      expect(p.video?.codec).toBe('h264');
      expect(p.audioPids.size).toBe(0);
    }
  }, 60_000);
});
