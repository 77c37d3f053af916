// Camera-side footage (ONVIF Profile G) as listed ranges: asks the camera's search service, bounded and cached,
// and answers nothing (never an error) for cameras without one.
import type { Logger } from 'pino';
import type { TimeWindow, Uuid } from '../../domain/types.ts';
import { OnvifRecordingClient, type CameraRecording } from '../../../camera-adapters/onvif/recording.ts';
import { fetchReplay } from '../../../camera-adapters/onvif/recording-replay.ts';
import { runToCompletion } from '../../../camera-adapters/ffmpeg/index.ts';
import { annexBToTsArgs } from '../../../camera-adapters/ffmpeg/footage-commands.ts';
import { errors } from '../../errors.ts';
import { intersect } from './window.ts';

export interface CameraEndpoint {
  host: string;
  port: number;
  username: string;
  password: string;
  clockOffsetMs: number;
}

const FRESH_MS = 30_000;
const NOT_SUPPORTED_MS = 10 * 60_000;

export function cameraSideRanges(deps: { endpoint(cameraId: Uuid): Promise<CameraEndpoint | null>; log: Logger; deadlineMs?: number }) {
  const cache = new Map<Uuid, { at: number; ttl: number; recs: CameraRecording[] }>();
  async function recordings(cameraId: Uuid): Promise<CameraRecording[]> {
    const hit = cache.get(cameraId);
    if (hit && Date.now() - hit.at < hit.ttl) return hit.recs;
    let recs: CameraRecording[] = [];
    let ttl = FRESH_MS;
    try {
      const ep = await deps.endpoint(cameraId);
      if (ep) recs = await new OnvifRecordingClient({ ...ep, deadlineMs: deps.deadlineMs ?? 2000, maxBytes: 256 * 1024 }).findRecordings();
    } catch (err) {
      // No Profile G, unreachable, or a hostile answer: the listing shows gateway footage only.
      ttl = NOT_SUPPORTED_MS;
      deps.log.debug({ err, cameraId }, 'camera-side recordings unavailable');
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(cameraId, { at: Date.now(), ttl, recs });
    return recs;
  }
  return async (cameraId: Uuid, window: TimeWindow): Promise<TimeWindow[]> =>
    (await recordings(cameraId)).map((r) => intersect(r, window)).filter((w): w is TimeWindow => w !== null);
}

/** Longest camera-side window fetched at once: replay runs in real time. */
export const MAX_CAMERA_REPLAY_MS = 10 * 60_000;

/** Replays a window from the camera's card (device clock = gateway clock + offset) and remuxes it to MPEG-TS. */
export async function fetchCameraSide(
  deps: { endpoint(cameraId: Uuid): Promise<CameraEndpoint | null>; ffmpegPath: string },
  cameraId: Uuid,
  window: TimeWindow,
): Promise<{ ts: Buffer; recordingToken: string; range: string }> {
  const span = window.to.getTime() - window.from.getTime();
  if (span > MAX_CAMERA_REPLAY_MS) throw errors.validation('camera-side footage is fetched at most 10 minutes at a time');
  const ep = await deps.endpoint(cameraId);
  if (!ep) throw errors.notFound('no such camera');
  const client = new OnvifRecordingClient({ ...ep, deadlineMs: 5000, maxBytes: 256 * 1024 });
  const rec = (await client.findRecordings()).find((r) => r.from <= window.from && r.to >= window.to);
  if (!rec) throw errors.footageNotRecorded('The camera no longer holds this window.');
  const uri = await client.getReplayUri(rec.token);
  const shift = (d: Date) => new Date(d.getTime() + ep.clockOffsetMs);
  const r = await fetchReplay({ uri, username: ep.username, password: ep.password, from: shift(window.from), to: shift(window.to), deadlineMs: span + 30_000 });
  const ts = await runToCompletion(deps.ffmpegPath, annexBToTsArgs({ fps: r.fps }), { timeoutMs: 60_000, stdin: r.annexB, maxStdout: 512 * 1024 * 1024 });
  if (ts.exit.code !== 0) throw new Error(`remuxing camera replay failed: ${ts.stderr.slice(-300)}`);
  return { ts: ts.stdout, recordingToken: rec.token, range: r.range };
}
