// RTSP replay of the simulated SD card (ONVIF Profile G): PLAY with `Range: clock=…` gets footage of exactly that
// span with the camera's wall clock burned in, encoded on demand (at most a minute per request).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateFfmpeg, simClipArgs } from '../ffmpeg/index.ts';
import { ClipStream } from '../rtsp/clip-stream.ts';
import { clipFromAnnexB } from '../rtsp/h264-clip.ts';
import type { RtspMount } from '../rtsp/rtsp-server.ts';
import { FfmpegRunner } from './ffmpeg-run.ts';
import { PROFILES } from './profiles.ts';
import { cardRecordings } from './recording-service.ts';

export const MAX_REPLAY_MS = 60_000;
const FONTS = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/TTF/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans.ttf'];

/** `clock=20261124T010203Z-20261124T010213.5Z` → epoch ms (end optional). */
export function parseClockRange(range: string | undefined): { from: number; to: number | null } | null {
  const m = /^clock=(\d{8}T\d{6}(?:\.\d+)?Z)-(\d{8}T\d{6}(?:\.\d+)?Z)?$/.exec((range ?? '').trim());
  if (!m?.[1]) return null;
  const parse = (s: string): number =>
    Date.parse(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13)}`);
  const from = parse(m[1]);
  const to = m[2] ? parse(m[2]) : null;
  return Number.isFinite(from) && (to === null || Number.isFinite(to)) ? { from, to } : null;
}

export function formatClock(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '.$1Z');
}

const runner = new FfmpegRunner(locateFfmpeg(), 60_000);

/** A mount for `/<id>/replay/<recordingToken>`: SDP from the profile's shared clip, footage chosen at PLAY. */
export function replayMount(o: { cameraName: string; clockOffsetMs: number; recordingToken: string; sdpClip: ClipStream }): RtspMount {
  const profile = PROFILES.sub;
  return {
    stream: o.sdpClip,
    sessionName: `${o.cameraName} replay`,
    width: profile.width,
    height: profile.height,
    async replay(rangeHeader) {
      const range = parseClockRange(rangeHeader);
      const rec = cardRecordings(Date.now() + o.clockOffsetMs).find((r) => r.token === o.recordingToken);
      if (!range || !rec || range.from < rec.from.getTime() || range.from >= rec.to.getTime()) return null;
      // Whole frames from the asked start; never past the card's footage or a minute.
      const to = Math.min(range.to ?? Infinity, rec.to.getTime(), range.from + MAX_REPLAY_MS);
      const seconds = Math.max(1, Math.ceil((to - range.from) / 1000));
      const dir = await mkdtemp(path.join(tmpdir(), 'shouwang-sim-replay-'));
      try {
        const font = FONTS.find((f) => existsSync(f));
        const filter: string[] = [];
        if (font) {
          const textFile = path.join(dir, 'clock.txt');
          await writeFile(textFile, `SD ${o.recordingToken} %{pts:gmtime:${(range.from / 1000).toFixed(3)}}`);
          const esc = (p: string) => p.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/:/g, '\\:');
          filter.push('-vf', `drawtext=fontfile=${esc(font)}:textfile=${esc(textFile)}:fontsize=24:fontcolor=white:box=1:boxcolor=black@0.6:x=8:y=8`);
        }
        const out = path.join(dir, 'replay.h264');
        await runner.run(simClipArgs({ width: profile.width, height: profile.height, fps: profile.fps, bitrateKbps: profile.bitrateKbps, seconds, filter, output: out }));
        const clip = clipFromAnnexB(await readFile(out), profile.fps);
        return { stream: new ClipStream(clip), range: `clock=${formatClock(range.from)}-${formatClock(range.from + seconds * 1000)}` };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
