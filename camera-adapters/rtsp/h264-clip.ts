// An H.264 clip held in memory, pre-packetised once so serving it costs no parsing per viewer.
import { readFile } from 'node:fs/promises';
import { groupAccessUnits, NAL_TYPE, nalType, splitAnnexB } from './annexb.ts';
import { DEFAULT_MAX_PAYLOAD, packetiseAccessUnit } from './rtp-h264.ts';

export const RTP_CLOCK_RATE = 90_000;

export interface ClipAccessUnit {
  /** Presentation time from clip start, 90 kHz units. */
  pts90k: number;
  keyframe: boolean;
  /** RTP payloads in send order; the last one carries the marker bit. */
  payloads: Buffer[];
  byteLength: number;
}

export interface H264Clip {
  accessUnits: ClipAccessUnit[];
  /** Loop length, 90 kHz units: the next iteration's timestamps continue from here. */
  duration90k: number;
  fps: number;
  sps: Buffer;
  pps: Buffer;
  /** Six hex digits for SDP, from the SPS: profile_idc, constraint flags, level_idc. */
  profileLevelId: string;
}

export class ClipError extends Error {
  readonly code = 'invalid_h264_clip';
  constructor(message: string) {
    super(message);
    this.name = 'ClipError';
  }
}

/** Parses an Annex B elementary stream recorded at a constant `fps` into a loopable clip. */
export function clipFromAnnexB(data: Buffer, fps: number, maxPayload = DEFAULT_MAX_PAYLOAD): H264Clip {
  if (!(fps > 0)) throw new ClipError('fps must be greater than zero');
  const nals = splitAnnexB(data);
  const sps = nals.find((n) => nalType(n) === NAL_TYPE.SPS);
  const pps = nals.find((n) => nalType(n) === NAL_TYPE.PPS);
  if (!sps || !pps) throw new ClipError('clip has no SPS/PPS');
  const units = groupAccessUnits(nals);
  const first = units[0];
  if (!first?.keyframe) throw new ClipError('clip must start with an IDR access unit');
  const frameTicks = RTP_CLOCK_RATE / fps;
  const accessUnits = units.map((unit, index) => {
    const payloads = packetiseAccessUnit(unit.nals, maxPayload);
    return {
      pts90k: Math.round(index * frameTicks),
      keyframe: unit.keyframe,
      payloads,
      byteLength: payloads.reduce((sum, p) => sum + p.length, 0),
    };
  });
  return {
    accessUnits,
    duration90k: Math.round(units.length * frameTicks),
    fps,
    sps: Buffer.from(sps),
    pps: Buffer.from(pps),
    profileLevelId: sps.subarray(1, 4).toString('hex'),
  };
}

export async function loadH264Clip(path: string, fps: number, maxPayload?: number): Promise<H264Clip> {
  return clipFromAnnexB(await readFile(path), fps, maxPayload);
}
