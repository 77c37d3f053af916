import { describe, expect, it } from 'vitest';
import { groupAccessUnits, splitAnnexB } from './annexb.ts';
import { depacketise, packetiseAccessUnit, writeRtpHeader } from './rtp-h264.ts';
import { DigestAuth, digestAuthorization } from './digest-auth.ts';

const nal = (header: number, size: number, firstPayloadByte = 0x80): Buffer => {
  const b = Buffer.alloc(size, 0x5a);
  b[0] = header;
  b[1] = firstPayloadByte;
  return b;
};

describe('Annex B parsing', () => {
  it('splits on 3- and 4-byte start codes and groups access units', () => {
    const sps = nal(0x67, 10);
    const pps = nal(0x68, 4);
    const idr1 = nal(0x65, 50); // first_mb_in_slice = 0
    const idr2 = nal(0x65, 50, 0x40); // second slice of the same picture
    const p = nal(0x41, 30);
    const aud = Buffer.from([0x09, 0xf0]);
    const start4 = Buffer.from([0, 0, 0, 1]);
    const start3 = Buffer.from([0, 0, 1]);
    const stream = Buffer.concat([start4, aud, start4, sps, start4, pps, start3, idr1, start3, idr2, start4, aud, start3, p]);
    const nals = splitAnnexB(stream);
    expect(nals.map((n) => n[0])).toEqual([0x09, 0x67, 0x68, 0x65, 0x65, 0x09, 0x41]);
    const units = groupAccessUnits(nals);
    expect(units).toHaveLength(2);
    expect(units[0]?.keyframe).toBe(true);
    expect(units[0]?.nals).toHaveLength(4); // AUD dropped; SPS, PPS and both slices kept
    expect(units[1]?.keyframe).toBe(false);
  });
});

describe('RFC 6184 packetiser', () => {
  it('sends small NALs whole and fragments large ones as FU-A that reassemble exactly', () => {
    const small = nal(0x67, 20);
    const big = nal(0x65, 5000);
    const payloads = packetiseAccessUnit([small, big], 1400);
    expect(payloads[0]).toBe(small);
    const fragments = payloads.slice(1);
    expect(fragments.length).toBe(Math.ceil((5000 - 1) / 1398));
    expect(fragments.every((f) => f.length <= 1400 && ((f[0] ?? 0) & 0x1f) === 28)).toBe(true);
    expect(fragments[0]?.[1]).toBe(0x80 | 5); // start bit
    expect(fragments.at(-1)?.[1]).toBe(0x40 | 5); // end bit
    expect(((fragments[0]?.[0] ?? 0) & 0x60) >> 5).toBe(3); // NRI carried over from the NAL header
    const nals = depacketise(payloads);
    expect(nals[0]?.equals(small)).toBe(true);
    expect(nals[1]?.equals(big)).toBe(true);
  });

  it('writes an RTP v2 header', () => {
    const b = Buffer.alloc(12);
    writeRtpHeader(b, 0, { payloadType: 96, marker: true, sequence: 0x1_0002, timestamp: 2 ** 32 + 5, ssrc: 0xdeadbeef });
    expect(b.toString('hex')).toBe('80e0000200000005deadbeef');
  });
});

describe('Digest auth', () => {
  const digest = new DigestAuth({ realm: 'r' });
  const lookup = (u: string): string | undefined => (u === 'admin' ? '守望2024' : undefined);
  it('accepts a correct response and rejects a wrong password', () => {
    const challenge = digest.challenge();
    const good = digestAuthorization({ method: 'DESCRIBE', uri: 'rtsp://x/a', challenge, username: 'admin', password: '守望2024' });
    const bad = digestAuthorization({ method: 'DESCRIBE', uri: 'rtsp://x/a', challenge, username: 'admin', password: 'nope' });
    expect(digest.verify('DESCRIBE', good, lookup)).toEqual({ ok: true, username: 'admin' });
    expect(digest.verify('DESCRIBE', bad, lookup).ok).toBe(false);
    expect(digest.verify('PLAY', good, lookup).ok).toBe(false); // method is part of the hash
  });
  it('rejects nonces it did not issue', () => {
    const forged = digestAuthorization({ method: 'GET', uri: '/', challenge: 'Digest realm="r", nonce="abc.def", qop="auth"', username: 'admin', password: '守望2024' });
    expect(digest.verify('GET', forged, lookup)).toEqual({ ok: false, stale: false });
  });
});
