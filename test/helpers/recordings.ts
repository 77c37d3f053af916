// Real recordings for footage tests and benches: ffmpeg encodes a test pattern with the wall clock burned in,
// cut into MPEG-TS segments that each start with a keyframe, stored and indexed as the recorder's contract says.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Queryable } from '../../gateway/db/pool.ts';
import { locateFfmpeg, runToCompletion } from '../../camera-adapters/ffmpeg/index.ts';
import { loopSegmentsArgs, testRecordingArgs } from '../../camera-adapters/ffmpeg/footage-commands.ts';
import { probeTs } from '../../gateway/media/playback/ts-clip.ts';

export const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

export interface FixtureSegment {
  id: string;
  path: string;
  startMs: number;
  endMs: number;
  firstPts: number;
  frames: number;
  sha256: string;
}

export interface RecordFixtureOptions {
  root: string;
  cameraId: string;
  stream?: 'main' | 'sub';
  /** Wall clock of the first frame (epoch ms). */
  startMs: number;
  seconds: number;
  segmentSeconds?: number;
  /** Segment indices left out of the index and disk, recorded as a gap instead. */
  drop?: number[];
  width?: number;
  height?: number;
  fps?: number;
  bitrateKbps?: number;
  /** Encode `seconds` once and loop it this many times by remux (long recordings for benches). */
  repeat?: number;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

export async function recordFixture(db: Queryable, o: RecordFixtureOptions): Promise<FixtureSegment[]> {
  const stream = o.stream ?? 'main';
  const fps = o.fps ?? 25;
  const work = mkdtempSync(path.join(tmpdir(), 'shouwang-rec-'));
  try {
    const textFile = path.join(work, 'clock.txt');
    writeFileSync(textFile, `${o.cameraId.slice(0, 8)} %{pts:gmtime:${(o.startMs / 1000).toFixed(3)}}`);
    const repeat = o.repeat ?? 1;
    const encodeDir = repeat > 1 ? mkdtempSync(path.join(tmpdir(), 'shouwang-rec-base-')) : work;
    const r = await runToCompletion(
      locateFfmpeg(),
      testRecordingArgs({
        dir: encodeDir, seconds: o.seconds, segmentSeconds: repeat > 1 ? o.seconds + 1 : (o.segmentSeconds ?? 10), fps,
        width: o.width ?? 320, height: o.height ?? 180, bitrateKbps: o.bitrateKbps ?? 400, clock: { fontFile: FONT, textFile },
      }),
      { timeoutMs: 600_000 },
    );
    if (r.exit.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
    if (repeat > 1) {
      const l = await runToCompletion(
        locateFfmpeg(),
        loopSegmentsArgs({ input: path.join(encodeDir, '00000.ts'), times: repeat, dir: work, segmentSeconds: o.segmentSeconds ?? 10 }),
        { timeoutMs: 600_000 },
      );
      rmSync(encodeDir, { recursive: true, force: true });
      if (l.exit.code !== 0) throw new Error(`ffmpeg loop failed: ${l.stderr}`);
    }
    const names = readdirSync(work).filter((f) => f.endsWith('.ts')).sort();
    const out: FixtureSegment[] = [];
    let anchor: number | null = null;
    for (const [i, name] of names.entries()) {
      const buf = readFileSync(path.join(work, name));
      const p = probeTs(buf);
      if (p.firstPts === null || p.lastPts === null) continue;
      anchor ??= p.firstPts;
      const startMs = Math.round(o.startMs + (p.firstPts - anchor) / 90);
      const endMs = Math.round(startMs + (p.lastPts - p.firstPts) / 90 + 1000 / fps);
      if (o.drop?.includes(i)) {
        await db.query(
          `INSERT INTO recording_gaps (camera_id, stream, start_at, end_at, reason) VALUES ($1, $2, $3, $4, 'camera_offline')`,
          [o.cameraId, stream, new Date(startMs), new Date(endMs)],
        );
        continue;
      }
      const rel = path.join(o.cameraId, stream, day(startMs), `${startMs}.ts`);
      mkdirSync(path.dirname(path.join(o.root, rel)), { recursive: true });
      renameSync(path.join(work, name), path.join(o.root, rel));
      const sha256 = createHash('sha256').update(buf).digest('hex');
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO recording_segments (camera_id, stream, start_at, end_at, bytes, path, sha256, first_pts_90k)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text AS id`,
        [o.cameraId, stream, new Date(startMs), new Date(endMs), buf.length, rel, sha256, p.firstPts],
      );
      out.push({ id: rows[0]!.id, path: rel, startMs, endMs, firstPts: p.firstPts, frames: p.frames, sha256 });
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Decodes MPEG-TS (or MP4) with ffmpeg: every frame's pts (90 kHz, input timestamps kept) and key flag. */
export async function decodeFrames(file: string, format?: string): Promise<Array<{ pts: number; key: boolean }>> {
  const args = ['-hide_banner', '-nostdin', '-copyts', ...(format ? ['-f', format] : []), '-i', file, '-vf', 'showinfo', '-f', 'null', '-'];
  const child = spawn(locateFfmpeg(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`decode failed: ${err.slice(-2000)}`);
  const frames: Array<{ pts: number; key: boolean }> = [];
  for (const m of err.matchAll(/pts_time:\s*([0-9.]+).*?iskey:([01])/g)) frames.push({ pts: Math.round(Number(m[1]) * 90000), key: m[2] === '1' });
  return frames;
}
