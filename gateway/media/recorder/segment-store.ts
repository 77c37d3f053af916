// Where recorded segments live. The index (recording_segments) is the truth for listing; the store only
// holds bytes: `<cameraId>/<stream>/<YYYYMMDD>/<startEpochMs>.ts`, relative to `root`.
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface SegmentStat {
  bytes: number;
  mtime: Date;
}

export interface SegmentStore {
  readonly root: string;
  /** Absolute path of a stored segment; throws on a path that leaves the root. */
  absolute(rel: string): string;
  /** Bytes of a segment; `range` is inclusive like HTTP (start..end). */
  createReadStream(rel: string, range?: { start: number; end?: number }): ReadStream;
  stat(rel: string): Promise<SegmentStat | null>;
  remove(rel: string): Promise<void>;
}

/** Relative store path of a segment that starts at `startMs`. */
export function segmentPath(cameraId: string, stream: 'main' | 'sub', startMs: number): string {
  const d = new Date(startMs);
  const day = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${cameraId.toLowerCase()}/${stream}/${day}/${startMs}.ts`;
}

/** Parses a relative store path back into its parts; null when it is not one of ours. */
export function parseSegmentPath(rel: string): { cameraId: string; stream: 'main' | 'sub'; startMs: number; part: boolean } | null {
  const m = /^([0-9a-f-]{36})\/(main|sub)\/(\d{8})\/(\d{10,15})\.ts(\.part)?$/.exec(rel.split(path.sep).join('/'));
  if (!m) return null;
  return { cameraId: m[1]!, stream: m[2] as 'main' | 'sub', startMs: Number(m[4]), part: m[5] !== undefined };
}

export class LocalSegmentStore implements SegmentStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  absolute(rel: string): string {
    const abs = path.resolve(this.root, rel);
    if (abs !== this.root && !abs.startsWith(this.root + path.sep)) throw new Error('segment path leaves the store');
    return abs;
  }

  createReadStream(rel: string, range?: { start: number; end?: number }): ReadStream {
    return createReadStream(this.absolute(rel), range ? { start: range.start, ...(range.end !== undefined ? { end: range.end } : {}) } : {});
  }

  async stat(rel: string): Promise<SegmentStat | null> {
    try {
      const s = await stat(this.absolute(rel));
      return s.isFile() ? { bytes: s.size, mtime: s.mtime } : null;
    } catch {
      return null;
    }
  }

  async remove(rel: string): Promise<void> {
    await unlink(this.absolute(rel)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  /** Publishes a finished `.part` atomically under its final name (a reader never sees half a segment). */
  async publish(partRel: string, rel: string): Promise<void> {
    await mkdir(path.dirname(this.absolute(rel)), { recursive: true });
    await rename(this.absolute(partRel), this.absolute(rel));
  }
}
