// Session description for one H.264 video track (RFC 4566, RFC 6184 §8.2).
import type { H264Clip } from './h264-clip.ts';

export const H264_PAYLOAD_TYPE = 96;
export const TRACK_CONTROL = 'trackID=0';

export interface SdpOptions {
  sessionName: string;
  /** Address of the server, for the o= line. */
  host: string;
  clip: Pick<H264Clip, 'sps' | 'pps' | 'profileLevelId' | 'fps'>;
  width?: number;
  height?: number;
}

export function buildH264Sdp(opts: SdpOptions): string {
  const { clip } = opts;
  const sprop = `${clip.sps.toString('base64')},${clip.pps.toString('base64')}`;
  const sessionId = Date.now();
  const lines = [
    'v=0',
    `o=- ${sessionId} 1 IN IP4 ${opts.host}`,
    `s=${opts.sessionName.replace(/[\r\n]/g, ' ')}`,
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'a=control:*',
    'a=range:npt=0-',
    `m=video 0 RTP/AVP ${H264_PAYLOAD_TYPE}`,
    `a=rtpmap:${H264_PAYLOAD_TYPE} H264/90000`,
    `a=fmtp:${H264_PAYLOAD_TYPE} packetization-mode=1;profile-level-id=${clip.profileLevelId};sprop-parameter-sets=${sprop}`,
    `a=framerate:${clip.fps}`,
  ];
  if (opts.width && opts.height) lines.push(`a=x-dimensions:${opts.width},${opts.height}`);
  lines.push(`a=control:${TRACK_CONTROL}`);
  return `${lines.join('\r\n')}\r\n`;
}
