import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateFfmpeg, runToCompletion } from '../../../camera-adapters/ffmpeg/index.ts';
import { scanTs } from './ts-scan.ts';

let dir = '';
let clip: Buffer;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sw-tsscan-'));
  const out = path.join(dir, 'c.ts');
  const r = await runToCompletion(locateFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '3', '-c:v', 'libx264', '-g', '25',
    '-output_ts_offset', '5', '-f', 'mpegts', '-muxdelay', '0', '-muxpreload', '0', out], { timeoutMs: 30_000 });
  expect(r.exit.code, r.stderr).toBe(0);
  clip = readFileSync(out);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scanTs', () => {
  it('reads the first video PTS and the duration', () => {
    const s = scanTs(clip)!;
    expect(s.frames).toBe(75);
    expect(s.start).toBeCloseTo(5, 1);
    expect(s.duration).toBeCloseTo(3, 1);
  });
  it('reads a file cut mid-packet up to its last whole packet; garbage is null', () => {
    const cut = scanTs(clip.subarray(0, Math.floor(clip.length / 2) + 77))!;
    expect(cut.frames).toBeGreaterThan(10);
    expect(cut.duration).toBeLessThan(3);
    expect(scanTs(Buffer.from('not a transport stream at all'.repeat(20)))).toBeNull();
    expect(scanTs(Buffer.alloc(0))).toBeNull();
  });
});
