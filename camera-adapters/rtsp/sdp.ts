// Session description for one H.264 video track (RFC 4566, RFC 6184 §8.2) and an optional AAC track (RFC 3640).
import type { H264Clip } from './h264-clip.ts';
import { AAC_PAYLOAD_TYPE, type AacClip } from './aac-clip.ts';

export const H264_PAYLOAD_TYPE = 96;
export const TRACK_CONTROL = 'trackID=0';
export const AUDIO_TRACK_CONTROL = 'trackID=1';

export interface SdpOptions {
  sessionName: string;
  /** Address of the server, for the o= line. */
  host: string;
  clip: Pick<H264Clip, 'sps' | 'pps' | 'profileLevelId' | 'fps'>;
  width?: number;
  height?: number;
  audio?: Pick<AacClip, 'clockRate' | 'channels' | 'config'>;
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
  if (opts.audio) {
    const a = opts.audio;
    lines.push(
      `m=audio 0 RTP/AVP ${AAC_PAYLOAD_TYPE}`,
      `a=rtpmap:${AAC_PAYLOAD_TYPE} MPEG4-GENERIC/${a.clockRate}/${a.channels}`,
      `a=fmtp:${AAC_PAYLOAD_TYPE} streamtype=5;profile-level-id=15;mode=AAC-hbr;config=${a.config};sizelength=13;indexlength=3;indexdeltalength=3`,
      `a=control:${AUDIO_TRACK_CONTROL}`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
