// Fetches camera-side footage over RTSP replay (ONVIF Profile G, `Range: clock=`): RTP/H.264 depacketised to
// Annex B, bounded in bytes and time. The credentials travel only in RTSP auth headers, never in a URL we log.
import { RtspClient } from '../rtsp/rtsp-client.ts';
import { depacketise } from '../rtsp/rtp-h264.ts';
import { OnvifError } from './errors.ts';

export interface ReplayRequest {
  /** The replay URI from GetReplayUri (already checked to point at the enrolled host). */
  uri: string;
  username: string;
  password: string;
  /** Span to replay, in the camera's clock. */
  from: Date;
  to: Date;
  deadlineMs: number;
  maxBytes?: number;
}

export interface ReplayResult {
  annexB: Buffer;
  frames: number;
  fps: number;
  /** The Range the camera answered with. */
  range: string;
}

const START = Buffer.from([0, 0, 0, 1]);
const clock = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '.$1Z');

export async function fetchReplay(r: ReplayRequest): Promise<ReplayResult> {
  const url = new URL(r.uri);
  url.username = encodeURIComponent(r.username);
  url.password = encodeURIComponent(r.password);
  const deadlineAt = Date.now() + r.deadlineMs;
  const maxBytes = r.maxBytes ?? 64 * 1024 * 1024;
  const wantTicks = ((r.to.getTime() - r.from.getTime()) / 1000) * 90_000;
  const client = await RtspClient.connect(url.toString(), { timeoutMs: Math.min(5000, r.deadlineMs) });
  try {
    const described = await client.request('DESCRIBE', client.url, { Accept: 'application/sdp' });
    if (described.status !== 200) throw new OnvifError('bad_response', `replay DESCRIBE answered ${described.status}`);
    const base = described.headers.get('content-base')?.[0] ?? `${client.url}/`;
    const control = /^a=control:(?!\*)(.+)$/m.exec(described.body.split(/^m=/m)[1] ?? '')?.[1]?.trim() ?? '';
    const track = /^rtsp:\/\//i.test(control) ? control : `${base.replace(/\/?$/, '/')}${control}`;
    const setup = await client.request('SETUP', track, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    if (setup.status !== 200) throw new OnvifError('bad_response', `replay SETUP answered ${setup.status}`);
    const session = setup.headers.get('session')?.[0]?.split(';')[0] ?? '';
    const parts: Buffer[] = [];
    let bytes = 0;
    let frame: Buffer[] = [];
    let first: number | null = null;
    let lastTs = 0;
    let frames = 0;
    let frameTicks = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new OnvifError('timeout', 'replay did not deliver the span in time')), Math.max(1, deadlineAt - Date.now()));
      client.onRtp((p) => {
        if (p.channel !== 0) return;
        if (first === null) first = p.timestamp;
        const ticks = (p.timestamp - first) >>> 0;
        // The span is complete at the first frame at or past its end; that frame is not kept.
        if (ticks >= wantTicks) {
          clearTimeout(timer);
          resolve();
          return;
        }
        if (p.timestamp !== lastTs && frameTicks === 0 && frames === 1) frameTicks = (p.timestamp - lastTs) >>> 0;
        frame.push(Buffer.from(p.payload));
        bytes += p.payload.length;
        if (p.marker) {
          for (const nal of depacketise(frame)) parts.push(START, nal);
          frame = [];
          frames++;
          lastTs = p.timestamp;
        }
        if (bytes > maxBytes) {
          clearTimeout(timer);
          reject(new OnvifError('too_large', 'replay exceeded the byte limit'));
        }
      });
    });
    const play = await client.request('PLAY', base, { Range: `clock=${clock(r.from)}-${clock(r.to)}`, Session: session });
    if (play.status !== 200) throw new OnvifError('bad_response', `replay PLAY answered ${play.status}`);
    await done;
    const fps = frameTicks > 0 ? Math.round(90_000 / frameTicks) : 25;
    return { annexB: Buffer.concat(parts), frames, fps, range: play.headers.get('range')?.[0] ?? '' };
  } finally {
    client.close();
  }
}
