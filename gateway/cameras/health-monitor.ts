import type { CamerasRepository, ProbeTarget } from '../repositories/cameras.repository.ts';
import type { EventPublisher } from '../events/types.ts';
import type { CredentialCipher } from './credentials.ts';
import { checkMediaUri, OnvifClient, OnvifError } from '../../camera-adapters/onvif/index.ts';
import { rtspProbe } from '../../camera-adapters/rtsp/rtsp-probe.ts';
import { mediaPortRules, type MediaPortPolicy } from './media-ports.ts';

export type HealthState = 'online' | 'offline' | 'auth_failed' | 'degraded' | 'credentials_unreadable' | 'unknown';

export interface HealthConfig {
  intervalMs: number;
  /** ± this fraction of the interval between sweeps, so many gateways don't probe in lockstep. */
  jitter: number;
  concurrency: number;
  probeDeadlineMs: number;
  /** A slower answer than this marks the camera degraded. */
  slowMs: number;
  /** A device clock further off than this marks it degraded (WS-Security and evidence timestamps suffer). */
  maxClockSkewMs: number;
}

/**
 * `reason` starts with a code naming the part that failed: `onvif_*` (device service), `rtsp_*` (stream endpoint),
 * `*_auth_failed`, `stream_port_not_allowed`; then a colon and the detail for operators.
 */
export interface ProbeOutcome {
  state: Exclude<HealthState, 'unknown'>;
  reason: string | null;
}

export type HealthProbe = (t: {
  host: string;
  port: number;
  username: string;
  password: string;
  deadlineMs: number;
  /** The main stream URI as enrolled; null skips the stream check (never probed yet). */
  streamUri?: string | null;
  /** Ports the stream URI may name (its own media ports on top of the configured ones). */
  mediaPorts?: readonly number[];
}) => Promise<ProbeOutcome>;

// A device's health answers are small; anything bigger is refused rather than buffered.
const ONVIF_MAX_BYTES = 256 * 1024;
const RTSP_MAX_BYTES = 64 * 1024;

/**
 * The device service (clock unauthenticated, device information authenticated), then the stream endpoint (RTSP
 * OPTIONS and DESCRIBE with the same credentials), all inside one deadline; every answer bounded in size.
 */
export function cameraHealthProbe(cfg: Pick<HealthConfig, 'slowMs' | 'maxClockSkewMs'> & { mediaPorts?: MediaPortPolicy }): HealthProbe {
  const policy: MediaPortPolicy = cfg.mediaPorts ?? { stream: [554, 8554], snapshot: [], forbidden: [] };
  return async ({ host, port, username, password, deadlineMs, streamUri, mediaPorts }) => {
    const t0 = Date.now();
    const left = () => Math.max(1, deadlineMs - (Date.now() - t0));
    // One deadline for the whole probe: the client's own is per operation, the signal ends both at once.
    const client = new OnvifClient({ host, port, username, password, deadlineMs, maxBytes: ONVIF_MAX_BYTES, signal: AbortSignal.timeout(deadlineMs) });
    let clockOffsetMs: number;
    try {
      ({ clockOffsetMs } = await client.getSystemDateAndTime());
      await client.getDeviceInformation();
    } catch (e) {
      if (e instanceof OnvifError && e.code === 'auth_failed') return { state: 'auth_failed', reason: 'onvif_auth_failed: the device service refused the stored credentials' };
      const code = e instanceof OnvifError ? e.code : 'error';
      return { state: 'offline', reason: `onvif_${code}: ${(e as Error).message}`.slice(0, 300) };
    }
    if (streamUri) {
      const rules = mediaPortRules(policy, { onvifPort: port, mediaPorts });
      const uri = checkMediaUri(streamUri, { host, allowedPorts: rules.stream, forbiddenPorts: rules.forbidden });
      if (!uri.ok) return { state: 'offline', reason: `${uri.code}: ${uri.reason}`.slice(0, 300) };
      const rtsp = await rtspProbe(uri.uri, { username, password, deadlineMs: left(), maxBytes: RTSP_MAX_BYTES });
      if (!rtsp.ok) {
        if (rtsp.code === 'auth_failed') return { state: 'auth_failed', reason: 'rtsp_auth_failed: the stream endpoint refused the stored credentials' };
        return { state: 'offline', reason: `rtsp_${rtsp.code}: ${rtsp.message}`.slice(0, 300) };
      }
    }
    const ms = Date.now() - t0;
    if (ms > cfg.slowMs) return { state: 'degraded', reason: `slow: answered in ${ms} ms` };
    if (Math.abs(clockOffsetMs) > cfg.maxClockSkewMs) return { state: 'degraded', reason: `clock off by ${Math.round(clockOffsetMs / 1000)} s` };
    return { state: 'online', reason: null };
  };
}

// Damping: a camera that changed state this often within the window only reports a change once it held for 2 sweeps.
const FLAP_LIMIT = 3;

/** Periodic health sweeps with bounded concurrency; state changes are stored and pushed as events. */
export function healthMonitor(deps: {
  cameras: CamerasRepository;
  cipher: CredentialCipher;
  events: EventPublisher;
  probe: HealthProbe;
  config: HealthConfig;
  log?: { warn: (o: object, m: string) => void };
}) {
  const { cameras, cipher, events, probe, config } = deps;
  // cameraId → { candidate state, how many sweeps it has held }
  const pending = new Map<string, { state: string; held: number }>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<SweepResult> | null = null;
  let stopped = false;

  interface SweepResult {
    probed: number;
    changed: number;
    ms: number;
    states: Record<string, number>;
  }

  async function sweep(): Promise<SweepResult> {
    const t0 = Date.now();
    let probed = 0;
    let changed = 0;
    const states: Record<string, number> = {};
    let after: string | null = null;
    for (;;) {
      if (stopped) break;
      const page = await cameras.probeTargets(after, 2000);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      let next = 0;
      const worker = async () => {
        while (next < page.length && !stopped) {
          const t = page[next++]!;
          // Not the camera's fault when this stays: a key missing from the ring or a damaged row. Say so, don't call it offline.
          let outcome: ProbeOutcome = { state: 'credentials_unreadable', reason: 'credentials_unreadable: the stored credentials cannot be decrypted with any configured key' };
          let creds: { username: string; password: string } | null = null;
          try {
            creds = cipher.decrypt(t.credentialsEnc);
          } catch {
            creds = null;
          }
          if (creds) {
            const target = { host: t.onvifHost, port: t.onvifPort, ...creds, deadlineMs: config.probeDeadlineMs, streamUri: t.streamUri, mediaPorts: t.mediaPorts };
            try {
              outcome = await probe(target);
              // One quick retry before calling a camera offline: a single lost connection is not an outage.
              if (outcome.state === 'offline' && t.state === 'online') outcome = await probe(target);
            } catch (e) {
              outcome = { state: 'offline', reason: `error: ${(e as Error).message}`.slice(0, 300) };
            }
          }
          probed++;
          states[outcome.state] = (states[outcome.state] ?? 0) + 1;
          if (await apply(t, outcome)) changed++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(config.concurrency, page.length) }, worker));
    }
    return { probed, changed, ms: Date.now() - t0, states };
  }

  async function apply(t: Pick<ProbeTarget, 'id' | 'stationId' | 'state' | 'flaps'>, o: ProbeOutcome): Promise<boolean> {
    if (o.state === t.state) {
      pending.delete(t.id);
      await cameras.setHealth({ cameraId: t.id, state: t.state, reason: o.reason, seen: o.state !== 'offline' && o.state !== 'credentials_unreadable', flaps: Math.max(0, t.flaps - 1) });
      return false;
    }
    if (t.flaps >= FLAP_LIMIT) {
      const p = pending.get(t.id);
      const held = p && p.state === o.state ? p.held + 1 : 1;
      pending.set(t.id, { state: o.state, held });
      if (held < 2) return false;
    }
    pending.delete(t.id);
    await cameras.setHealth({ cameraId: t.id, state: o.state, reason: o.reason, seen: o.state !== 'offline' && o.state !== 'credentials_unreadable', flaps: t.state === 'unknown' ? 0 : t.flaps + 1 });
    events.publish({ type: 'camera.state', stationIds: [t.stationId], payload: { cameraId: t.id, from: t.state, to: o.state, reason: o.reason } });
    return true;
  }

  function schedule() {
    if (stopped) return;
    const spread = config.intervalMs * config.jitter;
    const wait = Math.max(1000, config.intervalMs + (Math.random() * 2 - 1) * spread);
    timer = setTimeout(() => {
      running = sweep()
        .catch((e) => {
          deps.log?.warn({ err: e }, 'health sweep failed');
          return { probed: 0, changed: 0, ms: 0, states: {} };
        })
        .finally(() => {
          running = null;
          schedule();
        });
    }, wait);
    timer.unref();
  }

  return {
    sweep,
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
export type HealthMonitor = ReturnType<typeof healthMonitor>;
