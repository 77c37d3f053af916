import type { CamerasRepository } from '../repositories/cameras.repository.ts';
import type { EventPublisher } from '../events/types.ts';
import type { CredentialCipher } from './credentials.ts';
import { OnvifClient, OnvifError } from '../../camera-adapters/onvif/index.ts';

export type HealthState = 'online' | 'offline' | 'auth_failed' | 'degraded' | 'unknown';

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

export interface ProbeOutcome {
  state: Exclude<HealthState, 'unknown'>;
  reason: string | null;
}

export type HealthProbe = (t: { host: string; port: number; username: string; password: string; deadlineMs: number }) => Promise<ProbeOutcome>;

/** One authenticated ONVIF round trip: clock (unauthenticated) then device information (authenticated). */
export function onvifHealthProbe(cfg: Pick<HealthConfig, 'slowMs' | 'maxClockSkewMs'>): HealthProbe {
  return async ({ host, port, username, password, deadlineMs }) => {
    const t0 = Date.now();
    const client = new OnvifClient({ host, port, username, password, deadlineMs, maxBytes: 256 * 1024 });
    try {
      const { clockOffsetMs } = await client.getSystemDateAndTime();
      await client.getDeviceInformation();
      const ms = Date.now() - t0;
      if (ms > cfg.slowMs) return { state: 'degraded', reason: `slow: answered in ${ms} ms` };
      if (Math.abs(clockOffsetMs) > cfg.maxClockSkewMs) return { state: 'degraded', reason: `clock off by ${Math.round(clockOffsetMs / 1000)} s` };
      return { state: 'online', reason: null };
    } catch (e) {
      if (e instanceof OnvifError && e.code === 'auth_failed') return { state: 'auth_failed', reason: 'camera refused the stored credentials' };
      const code = e instanceof OnvifError ? e.code : 'error';
      return { state: 'offline', reason: `${code}: ${(e as Error).message}`.slice(0, 300) };
    }
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
          let outcome: ProbeOutcome;
          try {
            const creds = cipher.decrypt(t.credentialsEnc);
            outcome = await probe({ host: t.onvifHost, port: t.onvifPort, ...creds, deadlineMs: config.probeDeadlineMs });
            // One quick retry before calling a camera offline: a single lost connection is not an outage.
            if (outcome.state === 'offline' && t.state === 'online') {
              outcome = await probe({ host: t.onvifHost, port: t.onvifPort, ...creds, deadlineMs: config.probeDeadlineMs });
            }
          } catch (e) {
            outcome = { state: 'offline', reason: (e as Error).message };
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

  async function apply(t: { id: string; stationId: string; state: string; flaps: number }, o: ProbeOutcome): Promise<boolean> {
    if (o.state === t.state) {
      pending.delete(t.id);
      await cameras.setHealth({ cameraId: t.id, state: t.state, reason: o.reason, seen: o.state !== 'offline', flaps: Math.max(0, t.flaps - 1) });
      return false;
    }
    if (t.flaps >= FLAP_LIMIT) {
      const p = pending.get(t.id);
      const held = p && p.state === o.state ? p.held + 1 : 1;
      pending.set(t.id, { state: o.state, held });
      if (held < 2) return false;
    }
    pending.delete(t.id);
    await cameras.setHealth({ cameraId: t.id, state: o.state, reason: o.reason, seen: o.state !== 'offline', flaps: t.state === 'unknown' ? 0 : t.flaps + 1 });
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
