// Encodes test clips and snapshots once with ffmpeg and keeps them on disk across runs and in memory per run.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadH264Clip, type H264Clip } from '../rtsp/h264-clip.ts';
import { aacClipFromAdts, type AacClip } from '../rtsp/aac-clip.ts';
import { FfmpegRunner } from './ffmpeg-run.ts';
import { drawtextFilter, simAudioClipArgs, simClipArgs, simSnapshotArgs } from '../ffmpeg/index.ts';
import type { MediaProfile } from './profiles.ts';

export const DEFAULT_CACHE_DIR = path.join(os.tmpdir(), 'shouwang-sim-cache');
const CLIP_SECONDS = 2;
/** Bump when the ffmpeg command lines change so stale cache entries are not reused. */
const CACHE_VERSION = 'v1';

const LATIN_FONTS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
];
const CJK_FONTS = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
  '/usr/share/fonts/truetype/arphic/uming.ttc',
];

export interface MediaCacheOptions {
  ffmpegPath: string;
  dir?: string;
  /** Labelled clips held in memory at most (~300 KB each); past it cameras keep the shared clip. */
  maxLabelledClips?: number;
}

export class OverlayLimitError extends Error {
  readonly code = 'overlay_limit';
}

const hash = (parts: readonly string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);

// ffmpeg's filter-graph parser treats these as syntax inside option values.

export class MediaCache {
  readonly dir: string;
  private readonly runner: FfmpegRunner;
  private readonly latinFont = LATIN_FONTS.find((f) => existsSync(f));
  private readonly cjkFont = CJK_FONTS.find((f) => existsSync(f));
  private readonly clips = new Map<string, Promise<H264Clip>>();
  private readonly snapshots = new Map<string, Promise<Buffer>>();
  private audio: Promise<AacClip> | null = null;
  /** Per-camera overlays are encoded one at a time: they are a nicety, never worth a CPU spike. */
  private overlayQueue: Promise<unknown> = Promise.resolve();
  private readonly maxLabelled: number;
  private labelled = 0;

  constructor(opts: MediaCacheOptions) {
    this.dir = opts.dir ?? DEFAULT_CACHE_DIR;
    this.maxLabelled = opts.maxLabelledClips ?? 200;
    this.runner = new FfmpegRunner(opts.ffmpegPath);
  }

  /** The clip every camera of this profile shares. */
  sharedClip(profile: MediaProfile): Promise<H264Clip> {
    return this.clip(profile, `Shouwang-Sim ${profile.token} ${profile.width}x${profile.height}`);
  }

  /** A clip with `label` burned in; queued behind other overlays, cached by label and profile. */
  labelledClip(profile: MediaProfile, label: string, fallbackLabel: string): Promise<H264Clip> {
    if (this.labelled >= this.maxLabelled) return Promise.reject(new OverlayLimitError('labelled clip limit reached'));
    this.labelled += 1;
    const text = this.fontFor(label) ? label : fallbackLabel;
    const job = this.overlayQueue.then(() => this.clip(profile, text));
    this.overlayQueue = job.catch(() => undefined);
    return job;
  }

  /** The quiet AAC track every camera with audio shares (16 kHz mono), encoded once and cached on disk. */
  audioClip(): Promise<AacClip> {
    if (!this.audio) {
      const file = path.join(this.dir, `audio-${hash([CACHE_VERSION, 'aac', '16000', String(CLIP_SECONDS)])}.aac`);
      this.audio = (async () => {
        if (!existsSync(file)) {
          await mkdir(this.dir, { recursive: true });
          const make = (tmp: string) => simAudioClipArgs({ seconds: CLIP_SECONDS, sampleRate: 16000, output: tmp });
          await this.produce(file, make, make, false);
        }
        return aacClipFromAdts(await readFile(file));
      })();
      this.audio.catch(() => (this.audio = null));
    }
    return this.audio;
  }

  snapshot(profile: MediaProfile): Promise<Buffer> {
    const key = `${profile.width}x${profile.height}`;
    let pending = this.snapshots.get(key);
    if (!pending) {
      pending = this.encodeSnapshot(profile);
      pending.catch(() => this.snapshots.delete(key));
      this.snapshots.set(key, pending);
    }
    return pending;
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  private fontFor(text: string): string | undefined {
    // DejaVu has no CJK glyphs; without a CJK font the caller's fallback label is used.
    return /[^\u0000-\u024f]/.test(text) ? this.cjkFont : this.latinFont;
  }

  private clip(profile: MediaProfile, label: string): Promise<H264Clip> {
    const key = hash([CACHE_VERSION, profile.token, `${profile.width}x${profile.height}@${profile.fps}`, String(profile.bitrateKbps), label]);
    let pending = this.clips.get(key);
    if (!pending) {
      pending = this.encodeClip(profile, label, key).then((file) => loadH264Clip(file, profile.fps));
      pending.catch(() => this.clips.delete(key));
      this.clips.set(key, pending);
    }
    return pending;
  }

  private async encodeClip(profile: MediaProfile, label: string, key: string): Promise<string> {
    const file = path.join(this.dir, `clip-${profile.token}-${profile.width}x${profile.height}-${key}.h264`);
    if (existsSync(file)) return file;
    await mkdir(this.dir, { recursive: true });
    const { width, height, fps, bitrateKbps } = profile;
    const clip = (filter: string[]) => (tmp: string) => simClipArgs({ width, height, fps, bitrateKbps, seconds: CLIP_SECONDS, filter, output: tmp });
    const filter = await this.textFilter(label, Math.max(16, Math.round(height / 14)));
    await this.produce(file, clip(filter), clip([]), filter.length > 0);
    return file;
  }

  private async encodeSnapshot(profile: MediaProfile): Promise<Buffer> {
    const { width, height } = profile;
    const key = hash([CACHE_VERSION, 'snapshot', `${width}x${height}`]);
    const file = path.join(this.dir, `snapshot-${width}x${height}-${key}.jpg`);
    if (!existsSync(file)) {
      await mkdir(this.dir, { recursive: true });
      const filter = await this.textFilter(`Shouwang-Sim snapshot ${width}x${height}`, Math.max(16, Math.round(height / 14)));
      const still = (f: string[]) => (tmp: string) => simSnapshotArgs({ width, height, filter: f, output: tmp });
      await this.produce(file, still(filter), still([]), filter.length > 0);
    }
    return readFile(file);
  }

  private async textFilter(label: string, fontSize: number): Promise<string[]> {
    const font = this.fontFor(label);
    if (!font) return [];
    const textFile = path.join(this.dir, `label-${hash([label])}.txt`);
    if (!existsSync(textFile)) await writeFile(textFile, label, 'utf8');
    return drawtextFilter({ fontFile: font, textFile, fontSize });
  }

  /** Writes to a temporary name and renames, so parallel runs never read a half-written file. */
  private async produce(
    file: string,
    withText: (tmp: string) => string[],
    plain: (tmp: string) => string[],
    hasText: boolean,
  ): Promise<void> {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp${path.extname(file)}`;
    try {
      try {
        await this.runner.run(withText(tmp));
      } catch (err) {
        if (!hasText) throw err;
        await this.runner.run(plain(tmp)); // drawtext unusable here: a clip without text beats none.
      }
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
