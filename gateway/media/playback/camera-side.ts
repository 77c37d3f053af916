// Camera-side footage (ONVIF Profile G) as listed ranges: asks the camera's search service, bounded and cached,
// and answers nothing (never an error) for cameras without one.
import type { Logger } from 'pino';
import type { TimeWindow, Uuid } from '../../domain/types.ts';
import { OnvifRecordingClient, type CameraRecording } from '../../../camera-adapters/onvif/recording.ts';
import { intersect } from '../authorize.ts';

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
