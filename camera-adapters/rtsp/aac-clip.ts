// An AAC clip held in memory as RTP payloads (RFC 3640 AAC-hbr, one access unit per packet), looped by ClipStream
// in its own sample clock beside the video.
import type { ClipAccessUnit } from './h264-clip.ts';

export const AAC_PAYLOAD_TYPE = 97;
const RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export interface AacClip {
  accessUnits: ClipAccessUnit[];
  /** Loop length in `clockRate` units (the sample rate). */
  duration90k: number;
  /** Access units per second. */
  fps: number;
  clockRate: number;
  channels: number;
  /** AudioSpecificConfig, hex, for the SDP's `config=`. */
  config: string;
}

/** Parses an ADTS stream (as `ffmpeg -f adts` writes it) into RTP payloads with AU headers. */
export function aacClipFromAdts(data: Buffer): AacClip {
  const units: ClipAccessUnit[] = [];
  let rateIndex = -1;
  let objectType = 2;
  let channels = 1;
  for (let off = 0; off + 7 <= data.length; ) {
    if (data[off] !== 0xff || (data[off + 1]! & 0xf0) !== 0xf0) throw new Error(`no ADTS sync at byte ${off}`);
    const protectionAbsent = data[off + 1]! & 1;
    objectType = ((data[off + 2]! >> 6) & 3) + 1;
    rateIndex = (data[off + 2]! >> 2) & 0x0f;
    channels = ((data[off + 2]! & 1) << 2) | (data[off + 3]! >> 6);
    const frameLength = ((data[off + 3]! & 3) << 11) | (data[off + 4]! << 3) | (data[off + 5]! >> 5);
    const header = protectionAbsent ? 7 : 9;
    if (frameLength <= header || off + frameLength > data.length) throw new Error(`bad ADTS frame at byte ${off}`);
    const raw = data.subarray(off + header, off + frameLength);
    const payload = Buffer.alloc(4 + raw.length);
    payload.writeUInt16BE(16, 0); // AU-headers-length in bits: one 16-bit AU header
    payload.writeUInt16BE((raw.length << 3) & 0xffff, 2); // AU-size (13 bits), AU-Index 0
    raw.copy(payload, 4);
    units.push({ pts90k: units.length * 1024, keyframe: true, payloads: [payload], byteLength: payload.length });
    off += frameLength;
  }
  const clockRate = RATES[rateIndex];
  if (!clockRate || units.length === 0) throw new Error('no AAC frames');
  const asc = (objectType << 11) | (rateIndex << 7) | (channels << 3);
  return {
    accessUnits: units,
    duration90k: units.length * 1024,
    fps: clockRate / 1024,
    clockRate,
    channels,
    config: asc.toString(16).padStart(4, '0'),
  };
}
