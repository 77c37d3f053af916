// RTP payload format for H.264 (RFC 6184): single NAL unit packets and FU-A fragments.

export const RTP_HEADER_SIZE = 12;
export const DEFAULT_MAX_PAYLOAD = 1400;
const FU_A = 28;

/**
 * Turns one access unit's NAL units into RTP payloads in send order.
 * The caller sets the marker bit on the last payload (end of the access unit).
 */
export function packetiseAccessUnit(nals: readonly Buffer[], maxPayload = DEFAULT_MAX_PAYLOAD): Buffer[] {
  if (maxPayload < 3) throw new RangeError('maxPayload must be at least 3 bytes');
  const payloads: Buffer[] = [];
  for (const nal of nals) {
    if (nal.length === 0) continue;
    if (nal.length <= maxPayload) {
      payloads.push(nal);
      continue;
    }
    const header = nal[0] ?? 0;
    const indicator = (header & 0xe0) | FU_A;
    const type = header & 0x1f;
    const chunk = maxPayload - 2;
    // The NAL header byte is not sent: FU indicator + FU header replace it.
    for (let offset = 1; offset < nal.length; offset += chunk) {
      const end = Math.min(offset + chunk, nal.length);
      const start = offset === 1;
      const last = end === nal.length;
      const fuHeader = (start ? 0x80 : 0) | (last ? 0x40 : 0) | type;
      const packet = Buffer.allocUnsafe(2 + end - offset);
      packet[0] = indicator;
      packet[1] = fuHeader;
      nal.copy(packet, 2, offset, end);
      payloads.push(packet);
    }
  }
  return payloads;
}

export interface RtpHeaderFields {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
}

/** Writes a 12-byte RTP v2 header (no CSRC, no extension) at `offset`. */
export function writeRtpHeader(target: Buffer, offset: number, fields: RtpHeaderFields): void {
  target[offset] = 0x80;
  target[offset + 1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  target.writeUInt16BE(fields.sequence & 0xffff, offset + 2);
  target.writeUInt32BE(fields.timestamp >>> 0, offset + 4);
  target.writeUInt32BE(fields.ssrc >>> 0, offset + 8);
}

/** Reassembles RFC 6184 payloads (single NAL, FU-A, STAP-A) into NAL units; used by tests and probes. */
export function depacketise(payloads: readonly Buffer[]): Buffer[] {
  const nals: Buffer[] = [];
  let fu: Buffer[] | null = null;
  for (const p of payloads) {
    const type = (p[0] ?? 0) & 0x1f;
    if (type === FU_A) {
      const fuHeader = p[1] ?? 0;
      if (fuHeader & 0x80) fu = [Buffer.from([((p[0] ?? 0) & 0xe0) | (fuHeader & 0x1f)])];
      if (fu) fu.push(p.subarray(2));
      if (fuHeader & 0x40 && fu) {
        nals.push(Buffer.concat(fu));
        fu = null;
      }
    } else if (type === 24) {
      let offset = 1;
      while (offset + 2 <= p.length) {
        const size = p.readUInt16BE(offset);
        offset += 2;
        nals.push(p.subarray(offset, offset + size));
        offset += size;
      }
    } else {
      nals.push(p);
    }
  }
  return nals;
}
