import { describe, it, expect } from 'vitest';
import { aacClipFromAdts } from './aac-clip.ts';
import { buildH264Sdp } from './sdp.ts';

/** One ADTS frame: AAC LC, 16 kHz (index 8), mono, no CRC. */
function adts(raw: Buffer): Buffer {
  const len = 7 + raw.length;
  const h = Buffer.from([0xff, 0xf1, (1 << 6) | (8 << 2), (1 << 6) | ((len >> 11) & 3), (len >> 3) & 0xff, ((len & 7) << 5) | 0x1f, 0xfc]);
  return Buffer.concat([h, raw]);
}

describe('aacClipFromAdts', () => {
  it('turns ADTS frames into RFC 3640 payloads (AU-headers-length 16, 13-bit size) in the sample clock', () => {
    const clip = aacClipFromAdts(Buffer.concat([adts(Buffer.alloc(100, 1)), adts(Buffer.alloc(37, 2))]));
    expect(clip.clockRate).toBe(16000);
    expect(clip.channels).toBe(1);
    expect(clip.config).toBe('1408'); // AAC LC, 16 kHz, mono
    expect(clip.accessUnits.map((u) => u.pts90k)).toEqual([0, 1024]);
    expect(clip.duration90k).toBe(2048);
    const p = clip.accessUnits[1]!.payloads[0]!;
    expect(p.readUInt16BE(0)).toBe(16);
    expect(p.readUInt16BE(2) >> 3).toBe(37);
    expect(p.subarray(4).equals(Buffer.alloc(37, 2))).toBe(true);
  });

  it('refuses what is not ADTS', () => {
    expect(() => aacClipFromAdts(Buffer.from('not audio at all'))).toThrow(/ADTS/);
    expect(() => aacClipFromAdts(adts(Buffer.alloc(50)).subarray(0, 30))).toThrow(/ADTS/);
  });

  it('the SDP announces the audio track beside the video', () => {
    const sdp = buildH264Sdp({ sessionName: 's', host: '127.0.0.1', clip: { sps: Buffer.from([0x67, 0x42, 0xc0, 0x1f]), pps: Buffer.from([0x68]), profileLevelId: '42c01f', fps: 25 }, audio: { clockRate: 16000, channels: 1, config: '1408' } });
    expect(sdp).toContain('m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\n');
    expect(sdp).toContain('config=1408;sizelength=13;indexlength=3;indexdeltalength=3');
    expect(sdp.indexOf('a=control:trackID=0')).toBeLessThan(sdp.indexOf('m=audio'));
    expect(sdp.trimEnd().endsWith('a=control:trackID=1')).toBe(true);
  });
});
