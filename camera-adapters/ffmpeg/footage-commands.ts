// ffmpeg command lines for recorded footage: test recordings, evidence remux, watermark, privacy masks.
const QUIET = ['-hide_banner', '-nostats', '-loglevel', 'error'];

const escFilterPath = (p: string): string => p.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/:/g, '\\:');

/** A normalised rectangle (0..1 of the frame) that a privacy mask blurs. */
export interface MaskRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * A filter graph blurring each rectangle (crop → boxblur → overlay), from input label `in` to `out`.
 * Sizes are rounded to even pixels because boxblur and yuv420p need them.
 */
export function maskFilterGraph(rects: readonly MaskRect[], labels: { in: string; out: string } = { in: '0:v', out: 'v' }): string {
  if (rects.length === 0) return `[${labels.in}]null[${labels.out}]`;
  const parts: string[] = [];
  let cur = labels.in;
  rects.forEach((r, i) => {
    const f = (v: number) => v.toFixed(4);
    const last = i === rects.length - 1;
    const next = last ? labels.out : `m${i}`;
    parts.push(
      `[${cur}]split=2[b${i}][c${i}]`,
      `[c${i}]crop=trunc(iw*${f(r.w)}/2)*2:trunc(ih*${f(r.h)}/2)*2:trunc(iw*${f(r.x)}/2)*2:trunc(ih*${f(r.y)}/2)*2,boxblur=luma_radius=min(10\\,min(w\\,h)/2-1):luma_power=3[k${i}]`,
      `[b${i}][k${i}]overlay=x=trunc(W*${f(r.x)}/2)*2:y=trunc(H*${f(r.y)}/2)*2[${next}]`,
    );
    cur = next;
  });
  return parts.join(';');
}

export interface TestRecordingOptions {
  /** Directory the numbered segments go to (`%05d.ts`). */
  dir: string;
  seconds: number;
  segmentSeconds: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Burn the wall clock in: drawtext with a text file holding `%{pts:gmtime:<startEpochSeconds>}`. */
  clock?: { fontFile: string; textFile: string };
  /** Camera-like bitrate for benches (kbit/s); default 600. */
  bitrateKbps?: number;
}

/** A recording as the recorder writes one: H.264 MPEG-TS segments, each starting with a keyframe (1 s GOP, no B-frames). */
export function testRecordingArgs(o: TestRecordingOptions): string[] {
  const fps = o.fps ?? 25;
  const kbps = o.bitrateKbps ?? 600;
  const vf = o.clock
    ? ['-vf', `drawtext=fontfile=${escFilterPath(o.clock.fontFile)}:textfile=${escFilterPath(o.clock.textFile)}:fontsize=20:fontcolor=white:box=1:boxcolor=black@0.6:x=8:y=8`]
    : [];
  return [
    ...QUIET, '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${o.width ?? 320}x${o.height ?? 180}:rate=${fps}`,
    '-t', String(o.seconds), ...vf,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-bf', '0',
    '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
    '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    '-an',
    '-f', 'segment', '-segment_time', String(o.segmentSeconds), '-segment_format', 'mpegts', '-reset_timestamps', '0',
    `${o.dir}/%05d.ts`,
  ];
}

export interface EvidenceClipOptions {
  /** MPEG-TS read from stdin (the clipped footage). */
  output: string;
  /** Burned-in watermark: a text file (grantee, grant, case) and the wall clock of the first frame. */
  watermark?: { fontFile: string; textFile: string; firstFrameEpochSeconds: number };
  /** Privacy mask rectangles to blur (transcode). */
  masks?: readonly MaskRect[];
}

/** Clipped MPEG-TS → MP4: a remux (`-c copy`) unless a watermark or mask asks for a transcode. */
export function evidenceClipArgs(o: EvidenceClipOptions): string[] {
  const transcode = o.watermark !== undefined || (o.masks?.length ?? 0) > 0;
  const head = [...QUIET, '-y', '-f', 'mpegts', '-i', 'pipe:0'];
  const tail = ['-movflags', '+faststart', '-f', 'mp4', o.output];
  if (!transcode) return [...head, '-map', '0:v:0', '-map', '0:a?', '-c', 'copy', '-bsf:a', 'aac_adtstoasc', ...tail];
  const graph: string[] = [];
  let label = '0:v';
  if (o.masks?.length) {
    graph.push(maskFilterGraph(o.masks, { in: label, out: 'masked' }));
    label = 'masked';
  }
  if (o.watermark) {
    const w = o.watermark;
    const font = escFilterPath(w.fontFile);
    graph.push(
      `[${label}]drawtext=fontfile=${font}:textfile=${escFilterPath(w.textFile)}:fontsize=h/30:fontcolor=white:box=1:boxcolor=black@0.6:x=8:y=h-th-8,` +
        `drawtext=fontfile=${font}:text='%{pts\\:gmtime\\:${w.firstFrameEpochSeconds.toFixed(3)}} UTC':fontsize=h/30:fontcolor=white:box=1:boxcolor=black@0.6:x=w-tw-8:y=8[wm]`,
    );
    label = 'wm';
  }
  return [
    ...head, '-filter_complex', graph.join(';'), '-map', `[${label}]`, '-map', '0:a?',
    // ultrafast: a watermarked or masked export must keep up with real time on a small gateway
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-pix_fmt', 'yuv420p', '-c:a', 'copy', '-bsf:a', 'aac_adtstoasc',
    ...tail,
  ];
}

/** Masked live/playback: one transcode to MPEG-TS on stdout. */
export function maskedTsArgs(o: { input: string; masks: readonly MaskRect[]; inputFormat?: string; realtimeLoop?: boolean }): string[] {
  return [
    ...QUIET, '-nostdin', ...(o.realtimeLoop ? ['-re', '-stream_loop', '-1'] : []), ...(o.inputFormat ? ['-f', o.inputFormat] : []), '-i', o.input,
    '-filter_complex', maskFilterGraph(o.masks), '-map', '[v]', '-an',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', '-pix_fmt', 'yuv420p',
    '-f', 'mpegts', 'pipe:1',
  ];
}

/**
 * Masked live view: the camera's FLV (stdin, from the held source) → the same picture with the mask rectangles
 * blurred, as FLV on stdout for the live fan-out. A keyframe every `keyframeSeconds` so joining viewers start soon;
 * audio is passed through untouched; the bitrate is capped so a masked view costs viewers no more than a camera.
 */
export function maskedLiveArgs(o: { masks: readonly MaskRect[]; keyframeSeconds?: number; maxKbps?: number }): string[] {
  const gop = o.keyframeSeconds ?? 2;
  const kbps = o.maxKbps ?? 4000;
  return [
    ...QUIET,
    // the edge hands over headers and a whole GOP at once: a short probe is enough and saves start-up time
    '-probesize', '500000', '-analyzeduration', '500000',
    '-f', 'flv', '-i', 'pipe:0',
    '-filter_complex', maskFilterGraph(o.masks), '-map', '[v]', '-map', '0:a?', '-c:a', 'copy',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', '-pix_fmt', 'yuv420p',
    '-force_key_frames', `expr:gte(t,n_forced*${gop})`,
    '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    '-f', 'flv', 'pipe:1',
  ];
}

/** Loops an encoded MPEG-TS `times` times without re-encoding (timestamps continue) into numbered segments. */
export function loopSegmentsArgs(o: { input: string; times: number; dir: string; segmentSeconds: number }): string[] {
  return [
    ...QUIET, '-y', '-stream_loop', String(o.times - 1), '-i', o.input, '-map', '0:v:0', '-c', 'copy',
    '-f', 'segment', '-segment_time', String(o.segmentSeconds), '-segment_format', 'mpegts', '-reset_timestamps', '0',
    `${o.dir}/%05d.ts`,
  ];
}

/** One clipped MPEG-TS segment (stdin) → the same span with mask rectangles blurred (stdout), timestamps kept. */
export function maskedSegmentArgs(o: { masks: readonly MaskRect[] }): string[] {
  return [
    ...QUIET, '-nostdin', '-copyts', '-f', 'mpegts', '-i', 'pipe:0',
    '-filter_complex', maskFilterGraph(o.masks), '-map', '[v]', '-map', '0:a?', '-c:a', 'copy',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-pix_fmt', 'yuv420p',
    '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts', 'pipe:1',
  ];
}

/** H.264 Annex B from a camera's replay (stdin) → MPEG-TS (stdout), no re-encoding; timestamps at `fps` from zero. */
export function annexBToTsArgs(o: { fps: number }): string[] {
  return [...QUIET, '-nostdin', '-f', 'h264', '-framerate', String(o.fps), '-i', 'pipe:0', '-map', '0:v:0', '-c', 'copy', '-f', 'mpegts', 'pipe:1'];
}
