// Which ports a camera's stream and snapshot URIs may name: one place, used at enrolment, reprobe, health and pull time.
import type { Config } from '../config/schema.ts';
import type { MediaPortRules } from '../../camera-adapters/onvif/index.ts';

export interface MediaPortPolicy {
  /** cameras.mediaPorts: RTSP ports every camera may use. */
  stream: readonly number[];
  /** cameras.snapshotPorts: HTTP ports every camera may use besides its ONVIF port, 80 and 443. */
  snapshot: readonly number[];
  /** The gateway's own service ports, never allowed. */
  forbidden: readonly number[];
}

/** The gateway's own listening ports: HTTP, the database, every media worker's RTMP and HTTP port. */
export function gatewayServicePorts(config: Config): number[] {
  const ports = new Set<number>([config.http.port]);
  if (config.database.url) {
    try {
      ports.add(Number(new URL(config.database.url).port || 5432));
    } catch {
      // an unparsable URL fails at connect time with its own message
    }
  } else {
    ports.add(config.database.embeddedPort);
  }
  for (let i = 0; i < config.media.workers; i++) {
    ports.add(config.media.rtmpBasePort + i);
    ports.add(config.media.httpBasePort + i);
  }
  ports.delete(0);
  return [...ports].sort((a, b) => a - b);
}

export function mediaPortPolicy(config: Config): MediaPortPolicy {
  return { stream: config.cameras.mediaPorts, snapshot: config.cameras.snapshotPorts, forbidden: gatewayServicePorts(config) };
}

/** One camera's rules: the configured ports plus those its operator gave at enrolment. */
export function mediaPortRules(policy: MediaPortPolicy, camera: { onvifPort: number; mediaPorts?: readonly number[] | null }): MediaPortRules {
  const own = camera.mediaPorts ?? [];
  const uniq = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
  return {
    stream: uniq([...policy.stream, ...own]),
    snapshot: uniq([camera.onvifPort, 80, 443, ...policy.snapshot, ...own]),
    forbidden: policy.forbidden,
  };
}
