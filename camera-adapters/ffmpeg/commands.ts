// Every ffmpeg command line Shouwang runs. Callers get argument arrays; nothing else builds ffmpeg flags.

const QUIET = ['-hide_banner', '-nostats', '-loglevel', 'error'];

export interface InputTuning {
  /** Socket / read timeout in microseconds (the 2018 build: `-stimeout` for RTSP; `-timeout` there means listen). */
  timeoutUs?: number;
  /** Stream-info probing: lower means faster first frame, too low can miss audio. */
  analyzeDurationUs?: number;
  probeSize?: number;
}

/** Input options for a camera or internal source URL, chosen by scheme. */
export function inputArgs(url: string, t: InputTuning = {}): string[] {
  const timeout = String(t.timeoutUs ?? 5_000_000);
  const args: string[] = [];
  if (t.analyzeDurationUs !== undefined) args.push('-analyzeduration', String(t.analyzeDurationUs));
  if (t.probeSize !== undefined) args.push('-probesize', String(t.probeSize));
  if (url.startsWith('rtsp://') || url.startsWith('rtsps://')) {
    args.push('-rtsp_transport', 'tcp', '-stimeout', timeout);
  } else if (url.startsWith('rtmp://') || url.startsWith('http://') || url.startsWith('https://')) {
    args.push('-rw_timeout', timeout);
  }
  return args;
}

export interface RelayOptions extends InputTuning {
  /** Camera pull source (RTSP with credentials) — passed only to ffmpeg, never logged by us. */
  input: string;
  /** Worker ingest URL, e.g. rtmp://127.0.0.1:19350/live/<key>?pub=… */
  output: string;
  /** 'copy' keeps the camera's audio (AAC/G.711 fit FLV); 'none' drops it. */
  audio?: 'copy' | 'none';
}

/** Camera → worker: remux only (no transcoding), TCP interleaved RTSP, fail fast on a silent socket. */
export function relayArgs(o: RelayOptions): string[] {
  const audio = o.audio ?? 'copy';
  return [
    ...QUIET,
    '-nostdin',
    '-fflags', '+genpts',
    // RTSP SDP already carries codec parameters: half a second of probing is enough and saves ~0.5 s cold start
    ...inputArgs(o.input, { analyzeDurationUs: 500_000, probeSize: 500_000, ...o }),
    '-i', o.input,
    '-map', '0:v:0',
    ...(audio === 'copy' ? ['-map', '0:a:0?', '-c:a', 'copy'] : ['-an']),
    '-c:v', 'copy',
    '-f', 'flv',
    o.output,
  ];
}

export interface SnapshotOptions extends InputTuning {
  /** A URL, or '-' to read FLV bytes from stdin (the edge's cached GOP). */
  input: string;
  /** Scale to this width keeping aspect (optional). */
  width?: number;
  /** JPEG quality 2 (best) … 31. */
  quality?: number;
}

/** One decoded frame as JPEG on stdout. */
export function snapshotArgs(o: SnapshotOptions): string[] {
  const input = o.input === '-' ? ['-f', 'flv', '-i', 'pipe:0'] : [...inputArgs(o.input, o), '-i', o.input];
  return [
    ...QUIET,
    ...input,
    '-map', '0:v:0',
    '-frames:v', '1',
    ...(o.width ? ['-vf', `scale=${o.width}:-2`] : []),
    '-q:v', String(o.quality ?? 5),
    '-f', 'image2',
    '-c:v', 'mjpeg',
    'pipe:1',
  ];
}

export interface TestClipOptions {
  output: string;
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Keyframe interval in frames. */
  gop?: number;
  bitrateKbps?: number;
  audio?: boolean;
  /** Audio codec when `audio` (default AAC; pcm_alaw is G.711 as many cameras send it). */
  audioCodec?: 'aac' | 'pcm_alaw';
  /** Add temporal noise so the encoder really spends the bitrate (benchmarks). */
  noise?: boolean;
}

/** Encodes a test-pattern H.264 clip once (FLV), so sources can loop it with `-c copy` at no encoding cost. */
export function testClipArgs(o: TestClipOptions): string[] {
  const w = o.width ?? 640;
  const h = o.height ?? 360;
  const fps = o.fps ?? 25;
  const kbps = o.bitrateKbps ?? 1000;
  return [
    ...QUIET,
    '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}${o.noise ? ',noise=alls=12:allf=t' : ''}`,
    ...(o.audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${o.audioCodec === 'pcm_alaw' ? 8000 : 44100}`] : []),
    '-t', String(o.seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    '-g', String(o.gop ?? fps * 2), '-keyint_min', String(o.gop ?? fps * 2), '-sc_threshold', '0',
    '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    ...(o.audio ? (o.audioCodec === 'pcm_alaw' ? ['-c:a', 'pcm_alaw'] : ['-c:a', 'aac', '-b:a', '64k']) : ['-an']),
    '-f', 'flv',
    o.output,
  ];
}

/** Loops a prepared clip in real time into an RTMP/FLV destination: a stand-in camera or publisher. */
export function loopPublishArgs(o: { clip: string; output: string }): string[] {
  return [...QUIET, '-nostdin', '-re', '-stream_loop', '-1', '-i', o.clip, '-c', 'copy', '-f', 'flv', o.output];
}

// --- Simulator media: encoded once per profile (or per camera name), never per viewer ---

export interface SimClipOptions {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  seconds: number;
  /** Extra video filter arguments, e.g. from drawtextFilter(). */
  filter?: string[];
  output: string;
}

/** A looping H.264 Annex B clip: baseline, no B-frames, one GOP per second, SPS/PPS before every IDR. */
export function simClipArgs(o: SimClipOptions): string[] {
  return [
    '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}:duration=${o.seconds}`, ...(o.filter ?? []),
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline',
    '-pix_fmt', 'yuv420p', '-g', String(o.fps), '-keyint_min', String(o.fps), '-sc_threshold', '0', '-bf', '0',
    '-b:v', `${o.bitrateKbps}k`, '-maxrate', `${o.bitrateKbps}k`, '-bufsize', `${o.bitrateKbps}k`,
    // A viewer can start at any keyframe and a clip swap is self-describing.
    '-x264-params', 'repeat-headers=1',
    '-f', 'h264', '-y', o.output,
  ];
}

/** A quiet looping AAC clip (a soft 440 Hz tone, mono) as ADTS: the simulator's optional audio track. */
export function simAudioClipArgs(o: { seconds: number; sampleRate: number; output: string }): string[] {
  return [
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${o.sampleRate}:duration=${o.seconds}`,
    '-af', 'volume=0.05', '-ac', '1', '-c:a', 'aac', '-b:a', '32k', '-f', 'adts', '-y', o.output,
  ];
}

/** One JPEG test-pattern still. */
export function simSnapshotArgs(o: { width: number; height: number; filter?: string[]; output: string }): string[] {
  return [
    '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=1`, '-frames:v', '1', ...(o.filter ?? []),
    '-c:v', 'mjpeg', '-q:v', '4', '-f', 'image2', '-y', o.output,
  ];
}

/** Burned-in label; the text comes from a file, which sidesteps drawtext's escaping rules for arbitrary names. */
export function drawtextFilter(o: { fontFile: string; textFile: string; fontSize: number }): string[] {
  const esc = (p: string) => p.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/:/g, '\\:');
  const drawtext = [
    `fontfile=${esc(o.fontFile)}`, `textfile=${esc(o.textFile)}`, `fontsize=${o.fontSize}`,
    'fontcolor=white', 'box=1', 'boxcolor=black@0.6', 'boxborderw=8', 'x=24', 'y=h-th-32',
  ].join(':');
  return ['-vf', `drawtext=${drawtext}`];
}
