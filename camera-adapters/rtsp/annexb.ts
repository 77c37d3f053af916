// H.264 Annex B byte-stream parsing: start-code splitting and access-unit grouping (ITU-T H.264 §7.4.1.2.3).

export const NAL_TYPE = {
  NON_IDR: 1,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  FILLER: 12,
} as const;

export function nalType(nal: Buffer): number {
  return (nal[0] ?? 0) & 0x1f;
}

function isVcl(type: number): boolean {
  return type >= 1 && type <= 5;
}

/** Splits an Annex B stream on 00 00 01 / 00 00 00 01 start codes; returns views into `data`. */
export function splitAnnexB(data: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let start = -1;
  let i = 0;
  const n = data.length;
  while (i + 2 < n) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) nals.push(trimTrailingZeros(data.subarray(start, i)));
      i += 3;
      start = i;
    } else {
      i += 1;
    }
  }
  if (start >= 0 && start < n) nals.push(trimTrailingZeros(data.subarray(start, n)));
  return nals.filter((nal) => nal.length > 0);
}

// The zero before a 4-byte start code belongs to the start code, not the previous NAL.
function trimTrailingZeros(nal: Buffer): Buffer {
  let end = nal.length;
  while (end > 0 && nal[end - 1] === 0) end -= 1;
  return nal.subarray(0, end);
}

/** True when the slice's first_mb_in_slice is 0, i.e. the ue(v) code starts with a 1 bit. */
function startsPicture(nal: Buffer): boolean {
  return ((nal[1] ?? 0) & 0x80) !== 0;
}

export interface AccessUnitNals {
  nals: Buffer[];
  keyframe: boolean;
}

/**
 * Groups NAL units into access units. AUD and filler NALs are dropped: they carry nothing for RTP.
 */
export function groupAccessUnits(nals: Buffer[]): AccessUnitNals[] {
  const units: AccessUnitNals[] = [];
  let current: Buffer[] = [];
  let hasVcl = false;
  let keyframe = false;
  const flush = (): void => {
    if (hasVcl) units.push({ nals: current, keyframe });
    current = [];
    hasVcl = false;
    keyframe = false;
  };
  for (const nal of nals) {
    const type = nalType(nal);
    const startsNewUnit =
      hasVcl &&
      (type === NAL_TYPE.AUD ||
        type === NAL_TYPE.SPS ||
        type === NAL_TYPE.PPS ||
        type === NAL_TYPE.SEI ||
        (type >= 14 && type <= 18) ||
        (isVcl(type) && startsPicture(nal)));
    if (startsNewUnit) flush();
    if (type === NAL_TYPE.AUD || type === NAL_TYPE.FILLER) continue;
    current.push(nal);
    if (isVcl(type)) hasVcl = true;
    if (type === NAL_TYPE.IDR) keyframe = true;
  }
  flush();
  return units;
}
