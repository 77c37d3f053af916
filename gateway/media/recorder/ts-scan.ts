// Reads the video PTS range of an MPEG-TS file without a child process (repair at start-up, tests):
// whole 188-byte packets only, so a segment cut by a kill -9 is read up to its last complete packet.
import { open } from 'node:fs/promises';

const PKT = 188;

export interface TsScan {
  /** First and last video PTS, in 90 kHz ticks. */
  firstPts: number;
  lastPts: number;
  frames: number;
  /** Seconds from the first frame to the end of the last one. */
  duration: number;
  start: number;
}

function ptsAt(b: Buffer, o: number): number {
  return (((b[o]! >> 1) & 0x07) * 2 ** 30) + ((((b[o + 1]! << 8) | b[o + 2]!) >> 1) << 15) + (((b[o + 3]! << 8) | b[o + 4]!) >> 1);
}

/** Scans the packets in `buf`; null when it holds no video PES (not MPEG-TS, corrupt, empty). */
export function scanTs(buf: Buffer): TsScan | null {
  let first = -1;
  let last = -1;
  let frames = 0;
  for (let off = 0; off + PKT <= buf.length; off += PKT) {
    if (buf[off] !== 0x47) return frames > 0 ? finish() : null;
    if (!(buf[off + 1]! & 0x40)) continue; // not a payload unit start
    const afc = (buf[off + 3]! >> 4) & 3;
    let p = off + 4;
    if (afc === 2) continue;
    if (afc === 3) p += 1 + buf[off + 4]!;
    if (p + 14 > off + PKT) continue;
    if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) continue;
    const sid = buf[p + 3]!;
    if (sid < 0xe0 || sid > 0xef) continue;
    if (!(buf[p + 7]! & 0x80)) continue;
    const pts = ptsAt(buf, p + 9);
    if (first < 0) first = pts;
    last = Math.max(last, pts);
    frames++;
  }
  return frames > 0 ? finish() : null;

  function finish(): TsScan {
    const step = frames > 1 ? (last - first) / (frames - 1) : 3600;
    return { firstPts: first, lastPts: last, frames, start: first / 90_000, duration: (last - first + step) / 90_000 };
  }
}

/** Scans a file (read whole: segments are a few MiB; the cap guards against a stray huge file). */
export async function scanTsFile(abs: string, maxBytes = 256 * 1024 * 1024): Promise<TsScan | null> {
  const fh = await open(abs, 'r');
  try {
    const st = await fh.stat();
    if (st.size > maxBytes) return null;
    const buf = Buffer.alloc(st.size);
    await fh.read(buf, 0, st.size, 0);
    return scanTs(buf);
  } finally {
    await fh.close();
  }
}
