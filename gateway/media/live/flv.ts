// Minimal FLV demuxer for the edge: splits a byte stream into whole tags (header + body + PreviousTagSize)
// without copying when a tag lies inside one chunk, and classifies them for GOP caching.

export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;
export const TAG_SCRIPT = 18;

export interface FlvTag {
  type: number;
  /** Milliseconds (24 bits + 8-bit extension). */
  timestamp: number;
  /** The whole tag as it goes on the wire, PreviousTagSize included. */
  bytes: Buffer;
  keyframe: boolean;
  /** AVC/HEVC decoder configuration or AAC AudioSpecificConfig. */
  sequenceHeader: boolean;
}

const HEADER_LEN = 13; // 9-byte FLV header + PreviousTagSize0

/** FLV file header announcing only the tracks that exist: a phantom audio flag makes probing players wait. */
export function flvHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  const b = Buffer.alloc(HEADER_LEN);
  b.write('FLV', 0, 'latin1');
  b[3] = 1;
  b[4] = (hasAudio ? 4 : 0) | (hasVideo ? 1 : 0);
  b.writeUInt32BE(9, 5);
  return b;
}

export class FlvDemuxer {
  private pending: Buffer | null = null;
  private headerSeen = false;
  /** Set when the input is not FLV; further input is ignored. */
  error: string | null = null;

  /**
   * Feeds bytes; returns complete tags, plus `run`: the same tags as one Buffer
   * (a zero-copy slice of the input when they were contiguous in it).
   */
  push(chunk: Buffer): { tags: FlvTag[]; run: Buffer | null } {
    if (this.error) return { tags: [], run: null };
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let off = 0;
    if (!this.headerSeen) {
      if (buf.length < HEADER_LEN) {
        this.pending = buf;
        return { tags: [], run: null };
      }
      if (buf.toString('latin1', 0, 3) !== 'FLV') {
        this.error = 'not an FLV stream';
        return { tags: [], run: null };
      }
      const dataOffset = buf.readUInt32BE(5);
      off = dataOffset + 4;
      if (buf.length < off) {
        this.pending = buf;
        return { tags: [], run: null };
      }
      this.headerSeen = true;
    }
    const start = off;
    const tags: FlvTag[] = [];
    while (buf.length - off >= 11) {
      const size = buf.readUIntBE(off + 1, 3);
      const total = 11 + size + 4;
      if (buf.length - off < total) break;
      const type = buf[off]! & 0x1f;
      const timestamp = (buf.readUIntBE(off + 4, 3) | (buf[off + 7]! << 24)) >>> 0;
      const bytes = buf.subarray(off, off + total);
      const body = off + 11;
      let keyframe = false;
      let sequenceHeader = false;
      if (type === TAG_VIDEO && size >= 2) {
        const b0 = buf[body]!;
        if (b0 & 0x80) {
          // Enhanced RTMP: frame type in bits 4-6, packet type in the low nibble (0 = sequence start)
          keyframe = ((b0 >> 4) & 7) === 1;
          sequenceHeader = (b0 & 0x0f) === 0;
        } else {
          keyframe = b0 >> 4 === 1;
          const codec = b0 & 0x0f;
          sequenceHeader = (codec === 7 || codec === 12) && buf[body + 1] === 0;
        }
      } else if (type === TAG_AUDIO && size >= 2) {
        sequenceHeader = buf[body]! >> 4 === 10 && buf[body + 1] === 0;
      }
      tags.push({ type, timestamp, bytes, keyframe: keyframe && !sequenceHeader, sequenceHeader });
      off += total;
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    // `buf` is the caller's chunk or our own concat: either way a slice of it is safe to share
    const run = tags.length > 0 ? buf.subarray(start, off) : null;
    return { tags, run };
  }
}

/** Whether an onMetaData script tag announces an audio track. */
export function metadataHasAudio(tag: FlvTag): boolean {
  const i = tag.bytes.indexOf('audiocodecid', 11, 'latin1');
  return i >= 0;
}

const SET_DATA_FRAME = Buffer.from([0x02, 0x00, 0x0d, ...Buffer.from('@setDataFrame', 'latin1')]);

/**
 * RTMP publishers wrap metadata as `@setDataFrame onMetaData {...}` and node-media-server passes that
 * through to FLV, where demuxers then see a data track. Returns a plain `onMetaData` script tag.
 */
export function normalizeMetadata(tag: Buffer): Buffer {
  const size = tag.readUIntBE(1, 3);
  const body = tag.subarray(11, 11 + size);
  if (!body.subarray(0, SET_DATA_FRAME.length).equals(SET_DATA_FRAME)) return Buffer.from(tag);
  const newBody = body.subarray(SET_DATA_FRAME.length);
  const out = Buffer.alloc(11 + newBody.length + 4);
  tag.copy(out, 0, 0, 11);
  out.writeUIntBE(newBody.length, 1, 3);
  newBody.copy(out, 11);
  out.writeUInt32BE(11 + newBody.length, 11 + newBody.length);
  return out;
}

/**
 * A copy of whole FLV tags with every timestamp moved back by `base` (floored at 0), so a viewer that joins
 * a running stream starts near zero: players that honour the first timestamp otherwise wait seconds.
 */
export function rebaseTags(tags: Buffer, base: number): Buffer {
  if (base === 0) return tags;
  const out = Buffer.from(tags);
  let off = 0;
  while (out.length - off >= 11) {
    const size = out.readUIntBE(off + 1, 3);
    const ts = (out.readUIntBE(off + 4, 3) | (out[off + 7]! << 24)) >>> 0;
    const t = Math.max(0, ts - base);
    out.writeUIntBE(t & 0xffffff, off + 4, 3);
    out[off + 7] = (t >>> 24) & 0xff;
    off += 11 + size + 4;
  }
  return out;
}
