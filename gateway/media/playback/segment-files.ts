// Local-disk reads of recorded segments by their index path (relative to the store's root). Stands in for
// media-core's SegmentStore until the merge; a path that climbs out of the root is refused.
import { createReadStream, type ReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errors } from '../../errors.ts';

/** Segments above this are refused rather than read into memory (a 10 s segment at 8 Mbit/s is 10 MB). */
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

export interface SegmentFiles {
  root: string;
  absolute(rel: string): string;
  read(rel: string): Promise<Buffer>;
  createReadStream(rel: string): ReadStream;
}

export function localSegmentFiles(root: string): SegmentFiles {
  const base = path.resolve(root);
  const absolute = (rel: string): string => {
    const abs = path.resolve(base, rel);
    if (path.isAbsolute(rel) || !abs.startsWith(base + path.sep)) throw errors.validation('segment path outside the store');
    return abs;
  };
  return {
    root: base,
    absolute,
    async read(rel) {
      const abs = absolute(rel);
      const s = await stat(abs).catch(() => null);
      if (!s) throw errors.footageNotRecorded('a recorded segment is missing from the store');
      if (s.size > MAX_SEGMENT_BYTES) throw errors.unprocessable('a recorded segment is too large to serve');
      return readFile(abs);
    },
    createReadStream: (rel) => createReadStream(absolute(rel)),
  };
}

/** The recording root: media-core's `recording.dir` when the config has it, else the contract's default. */
export function recordingRoot(config: unknown): string {
  const dir = (config as { recording?: { dir?: unknown } }).recording?.dir;
  return typeof dir === 'string' && dir.length > 0 ? dir : './data/recordings';
}
