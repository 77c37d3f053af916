// The MPEG-TS packet filter against real ffmpeg output: cut points, keyframes, truncation, continuity counters.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg, runToCompletion } from '../../../camera-adapters/ffmpeg/index.ts';
import { testRecordingArgs } from '../../../camera-adapters/ffmpeg/footage-commands.ts';
import { TS_PACKET, clipTs, hasKeyframe, parseTs, probeTs } from './ts-clip.ts';

let dir = '';
let seg: Buffer;
const START = 1_764_000_000_000;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'shouwang-tsclip-'));
  const r = await runToCompletion(locateFfmpeg(), testRecordingArgs({ dir, seconds: 4, segmentSeconds: 10, width: 160, height: 90 }), { timeoutMs: 60_000 });
  expect(r.exit.code, r.stderr).toBe(0);
  seg = readFileSync(path.join(dir, readdirSync(dir).find((f) => f.endsWith('.ts'))!));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clock = { startMs: START, firstPts90k: null };

describe('clipTs', () => {
  it('finds the H.264 stream, 100 frames and a keyframe every second', () => {
    const p = probeTs(seg);
    expect(p.frames).toBe(100);
    expect(p.keyframes).toBe(4);
    expect(p.firstIsKey).toBe(true);
    expect(parseTs(seg).video?.codec).toBe('h264');
  });

  it('starts at the first keyframe at or after the window start and ends before its end, mid-segment', () => {
    const r = clipTs(seg, clock, { fromMs: START + 1200, toMs: START + 2500 });
    expect(r.firstFrameMs).toBe(START + 2000);
    expect(r.lastFrameMs).toBe(START + 2480);
    expect(r.videoFrames).toBe(13);
    expect(r.keyframes).toBe(1);
    const again = probeTs(r.bytes);
    expect(again.frames).toBe(13);
    expect(again.firstIsKey).toBe(true);
  });

  it('a window start exactly on a keyframe keeps that keyframe; the end is exclusive', () => {
    const r = clipTs(seg, clock, { fromMs: START + 1000, toMs: START + 2000 });
    expect(r.firstFrameMs).toBe(START + 1000);
    expect(r.lastFrameMs).toBe(START + 1960);
    expect(r.videoFrames).toBe(25);
  });

  it('no keyframe inside the window → nothing at all, not even tables', () => {
    const r = clipTs(seg, clock, { fromMs: START + 3100, toMs: START + 3900 });
    expect(r.videoFrames).toBe(0);
    expect(r.bytes.length).toBe(0);
  });

  it('renumbers continuity counters so the kept packets are continuous per PID', () => {
    const out = clipTs(seg, clock, { fromMs: START + 2000, toMs: START + 3000 }).bytes;
    const last = new Map<number, number>();
    for (let at = 0; at < out.length; at += TS_PACKET) {
      const pid = ((out[at + 1]! & 0x1f) << 8) | out[at + 2]!;
      if (pid === 0 || (out[at + 3]! & 0x10) === 0) continue;
      const cc = out[at + 3]! & 0x0f;
      if (last.has(pid) && pid !== 0x1000 && pid !== 0x11) expect(cc).toBe((last.get(pid)! + 1) & 0x0f);
      last.set(pid, cc);
    }
  });

  it('a truncated segment is clipped up to the last whole packet, never throws', () => {
    const cut = seg.subarray(0, Math.floor(seg.length / 2) + 77);
    const r = clipTs(cut, clock, { fromMs: START, toMs: START + 10_000 });
    expect(r.videoFrames).toBeGreaterThan(0);
    expect(r.videoFrames).toBeLessThan(100);
    expect(() => clipTs(Buffer.from('not a transport stream at all'), clock, { fromMs: 0, toMs: 1 })).not.toThrow();
  });

  it('hasKeyframe reads NAL types, stopping at the first slice', () => {
    expect(hasKeyframe(Buffer.from([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88]), 'h264')).toBe(true);
    expect(hasKeyframe(Buffer.from([0, 0, 1, 0x41, 0x9a, 0, 0, 1, 0x65]), 'h264')).toBe(false);
    expect(hasKeyframe(Buffer.from([0, 0, 1, 0x26, 0x01]), 'h265')).toBe(true); // IDR_W_RADL = 19
  });
});
