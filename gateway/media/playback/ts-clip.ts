// MPEG-TS packet filter: keeps only the frames whose wall-clock time lies inside a window, starting at a keyframe.
// Reads PAT/PMT to find the elementary streams, PES headers for PTS, H.264/H.265 NAL headers for IDR frames.
export const TS_PACKET = 188;
const SYNC = 0x47;
const PTS_WRAP = 2 ** 33;

const VIDEO_TYPES = new Map<number, 'h264' | 'h265'>([[0x1b, 'h264'], [0x24, 'h265']]);

/** Maps a segment's PTS to wall clock: t = startMs + (pts - firstPts90k) / 90 ms (null: the first video PTS in the file). */
export interface SegmentClock {
  startMs: number;
  firstPts90k: number | null;
}

export interface ClipWindow {
  fromMs: number;
  /** Exclusive: a frame at exactly `toMs` is outside. */
  toMs: number;
}

export interface ClipResult {
  bytes: Buffer;
  /** Wall clock of the first and last kept video frame (null when none was kept). */
  firstFrameMs: number | null;
  lastFrameMs: number | null;
  videoFrames: number;
  keyframes: number;
}

interface Unit {
  pid: number;
  pts: number | null;
  key: boolean;
  /** Packet indices of this PES. */
  packets: number[];
}

interface Parsed {
  buf: Buffer;
  count: number;
  pmtPids: Set<number>;
  video: { pid: number; codec: 'h264' | 'h265' } | null;
  audioPids: Set<number>;
  /** Video and audio PIDs: their continuity counters are renumbered after a cut. */
  esPids: Set<number>;
  /** Unit index per packet (-1: not an elementary-stream packet, kept as is; -2: ES packet before its first PES start, dropped). */
  unitOf: Int32Array;
  units: Unit[];
}

function payloadOffset(buf: Buffer, at: number): number {
  const afc = (buf[at + 3]! >> 4) & 3;
  if ((afc & 1) === 0) return -1;
  const off = afc & 2 ? 5 + buf[at + 4]! : 4;
  return off < TS_PACKET ? off : -1;
}

function readPts(buf: Buffer, p: number): number {
  return (
    ((buf[p]! >> 1) & 0x07) * 2 ** 30 +
    (buf[p + 1]! << 22) +
    ((buf[p + 2]! >> 1) << 15) +
    (buf[p + 3]! << 7) +
    (buf[p + 4]! >> 1)
  );
}

function parseSection(buf: Buffer, at: number, off: number): { start: number; end: number; table: number } | null {
  const pointer = buf[at + off]!;
  const start = at + off + 1 + pointer;
  if (start + 3 > at + TS_PACKET) return null;
  const len = ((buf[start + 1]! & 0x0f) << 8) | buf[start + 2]!;
  const end = Math.min(start + 3 + len - 4, at + TS_PACKET); // without CRC
  return { start, end, table: buf[start]! };
}

/** 1: the PES payload (H.264/H.265 Annex B) carries an IDR/IRAP picture, 0: another picture, -1: no slice seen yet. */
export function keyframeState(es: Buffer, codec: 'h264' | 'h265'): 1 | 0 | -1 {
  for (let i = 0; i + 3 < es.length; i++) {
    if (es[i] !== 0 || es[i + 1] !== 0) continue;
    let h = -1;
    if (es[i + 2] === 1) h = i + 3;
    else if (es[i + 2] === 0 && es[i + 3] === 1) h = i + 4;
    if (h < 0 || h >= es.length) continue;
    if (codec === 'h264') {
      const t = es[h]! & 0x1f;
      if (t === 5) return 1;
      if (t >= 1 && t <= 4) return 0;
    } else {
      const t = (es[h]! >> 1) & 0x3f;
      if (t >= 16 && t <= 21) return 1;
      if (t <= 9) return 0;
    }
    i = h;
  }
  return -1;
}

/** Does this PES payload carry an IDR/IRAP picture? Stops at the first slice. */
export function hasKeyframe(es: Buffer, codec: 'h264' | 'h265'): boolean {
  return keyframeState(es, codec) === 1;
}

/** Splits a TS buffer into packets, tables and PES units. Stops at the first lost sync (a truncated tail). */
export function parseTs(buf: Buffer): Parsed {
  const count = Math.floor(buf.length / TS_PACKET);
  const unitOf = new Int32Array(count).fill(-1);
  const pmtPids = new Set<number>();
  let video: Parsed['video'] = null;
  const audioPids = new Set<number>();
  const units: Unit[] = [];
  const open = new Map<number, number>();
  const esStart = new Map<number, Buffer[]>();
  let n = 0;
  /** Reads NAL headers as packets arrive and stops collecting once the first slice tells key or not. */
  const probeKey = (pid: number): void => {
    const u = open.get(pid);
    const parts = esStart.get(pid);
    if (u === undefined || !parts || !video) return;
    const state = keyframeState(parts.length === 1 ? parts[0]! : Buffer.concat(parts), video.codec);
    if (state !== -1 || parts.length >= 350) {
      units[u]!.key = state === 1;
      esStart.delete(pid);
    }
  };
  const finishKey = (pid: number): void => {
    probeKey(pid);
    esStart.delete(pid);
  };
  for (; n < count; n++) {
    const at = n * TS_PACKET;
    if (buf[at] !== SYNC) break;
    const pid = ((buf[at + 1]! & 0x1f) << 8) | buf[at + 2]!;
    const pusi = (buf[at + 1]! & 0x40) !== 0;
    const off = payloadOffset(buf, at);
    if (pid === 0 && pusi && off > 0) {
      const s = parseSection(buf, at, off);
      if (s && s.table === 0) {
        for (let p = s.start + 8; p + 4 <= s.end; p += 4) {
          const program = (buf[p]! << 8) | buf[p + 1]!;
          if (program !== 0) pmtPids.add(((buf[p + 2]! & 0x1f) << 8) | buf[p + 3]!);
        }
      }
      continue;
    }
    if (pmtPids.has(pid)) {
      if (pusi && off > 0) {
        const s = parseSection(buf, at, off);
        if (s && s.table === 2) {
          const infoLen = ((buf[s.start + 10]! & 0x0f) << 8) | buf[s.start + 11]!;
          for (let p = s.start + 12 + infoLen; p + 5 <= s.end; ) {
            const type = buf[p]!;
            const es = ((buf[p + 1]! & 0x1f) << 8) | buf[p + 2]!;
            const esInfo = ((buf[p + 3]! & 0x0f) << 8) | buf[p + 4]!;
            const codec = VIDEO_TYPES.get(type);
            if (codec && !video) video = { pid: es, codec };
            else if (!codec) audioPids.add(es);
            p += 5 + esInfo;
          }
        }
      }
      continue;
    }
    const isVideo = video !== null && pid === video.pid;
    if (!isVideo && !audioPids.has(pid)) continue;
    if (pusi && off > 0) {
      if (isVideo) finishKey(pid);
      let pts: number | null = null;
      const p = at + off;
      if (p + 14 <= at + TS_PACKET && buf[p] === 0 && buf[p + 1] === 0 && buf[p + 2] === 1 && (buf[p + 7]! & 0x80) !== 0) {
        pts = readPts(buf, p + 9);
      }
      units.push({ pid, pts, key: false, packets: [n] });
      open.set(pid, units.length - 1);
      unitOf[n] = units.length - 1;
      if (isVideo && p + 9 <= at + TS_PACKET) {
        const esOff = p + 9 + buf[p + 8]!;
        esStart.set(pid, [buf.subarray(Math.min(esOff, at + TS_PACKET), at + TS_PACKET)]);
        probeKey(pid);
      }
    } else {
      const u = open.get(pid);
      if (u === undefined) {
        unitOf[n] = -2;
        continue;
      }
      units[u]!.packets.push(n);
      unitOf[n] = u;
      const parts = esStart.get(pid);
      // The NAL headers that tell a keyframe sit near the start of the PES: 64 KiB is plenty.
      if (parts && off > 0) {
        parts.push(buf.subarray(at + off, at + TS_PACKET));
        probeKey(pid);
      }
    }
  }
  if (video) finishKey(video.pid);
  const esPids = new Set<number>(audioPids);
  if (video) esPids.add(video.pid);
  return { buf, count: n, pmtPids, video, audioPids, esPids, unitOf, units };
}

function wallClock(parsed: Parsed, clock: SegmentClock): (pts: number) => number {
  let anchor = clock.firstPts90k;
  if (anchor === null) anchor = parsed.units.find((u) => parsed.video && u.pid === parsed.video.pid && u.pts !== null)?.pts ?? 0;
  const a = anchor;
  return (pts) => {
    let d = (pts - a) % PTS_WRAP;
    if (d < 0) d += PTS_WRAP;
    if (d > PTS_WRAP / 2) d -= PTS_WRAP; // a frame slightly before the anchor, not 26 hours after it
    return clock.startMs + d / 90;
  };
}

/**
 * Keeps the video frames at or after the first keyframe whose time is ≥ fromMs and whose time is < toMs,
 * audio inside the same span, and every table packet. Continuity counters are renumbered.
 */
export function clipTs(buf: Buffer, clock: SegmentClock, window: ClipWindow): ClipResult {
  const parsed = parseTs(buf);
  const toWall = wallClock(parsed, clock);
  const keep = new Uint8Array(parsed.units.length);
  let first: number | null = null;
  let last: number | null = null;
  let frames = 0;
  let keys = 0;
  let started = false;
  const videoPid = parsed.video?.pid ?? -1;
  parsed.units.forEach((u, i) => {
    if (u.pid !== videoPid || u.pts === null) return;
    const t = toWall(u.pts);
    if (!started) {
      if (!u.key || t < window.fromMs || t >= window.toMs) return;
      started = true;
    }
    if (t < window.fromMs || t >= window.toMs || (first !== null && t < first)) return;
    keep[i] = 1;
    frames++;
    if (u.key) keys++;
    if (first === null) first = t;
    if (last === null || t > last) last = t;
  });
  if (first !== null && last !== null) {
    const lo = first;
    const hi = last;
    parsed.units.forEach((u, i) => {
      if (u.pid === videoPid || u.pts === null) return;
      const t = toWall(u.pts);
      if (t >= lo && t < window.toMs && t <= hi + 1000) keep[i] = 1;
    });
  }

  let kept = 0;
  for (let n = 0; n < parsed.count; n++) {
    const u = parsed.unitOf[n]!;
    if (u === -1 ? first !== null : u >= 0 && keep[u] === 1) kept++;
  }
  const out = Buffer.allocUnsafe(kept * TS_PACKET);
  const cc = new Map<number, number>();
  let w = 0;
  // Copied in runs of consecutive kept packets: one copy per run, not per 188 bytes.
  let runStart = -1;
  const flush = (end: number): void => {
    if (runStart < 0) return;
    buf.copy(out, w, runStart * TS_PACKET, end * TS_PACKET);
    w += (end - runStart) * TS_PACKET;
    runStart = -1;
  };
  for (let n = 0; n < parsed.count; n++) {
    const u = parsed.unitOf[n]!;
    const take = u === -1 ? first !== null : u >= 0 && keep[u] === 1;
    if (!take) {
      flush(n);
      continue;
    }
    if (runStart < 0) runStart = n;
  }
  flush(parsed.count);
  for (let at = 0; at < out.length; at += TS_PACKET) {
    if ((out[at + 3]! & 0x10) === 0) continue;
    const pid = ((out[at + 1]! & 0x1f) << 8) | out[at + 2]!;
    if (!parsed.esPids.has(pid)) continue;
    const next = ((cc.get(pid) ?? -1) + 1) & 0x0f;
    cc.set(pid, next);
    out[at + 3] = (out[at + 3]! & 0xf0) | next;
  }
  return { bytes: out, firstFrameMs: first, lastFrameMs: last, videoFrames: frames, keyframes: keys };
}

/** First and last video PTS, frame and keyframe counts: what an indexer or a test needs to know of a segment. */
export function probeTs(buf: Buffer): { firstPts: number | null; lastPts: number | null; frames: number; keyframes: number; firstIsKey: boolean } {
  const parsed = parseTs(buf);
  const v = parsed.units.filter((u) => parsed.video && u.pid === parsed.video.pid && u.pts !== null);
  return {
    firstPts: v[0]?.pts ?? null,
    lastPts: v.length ? Math.max(...v.map((u) => u.pts!)) : null,
    frames: v.length,
    keyframes: v.filter((u) => u.key).length,
    firstIsKey: v[0]?.key ?? false,
  };
}
