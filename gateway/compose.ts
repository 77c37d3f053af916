import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import type { Db } from './db/pool.ts';
import { jurisdictionsRepository } from './repositories/jurisdictions.repository.ts';
import { usersRepository } from './repositories/users.repository.ts';
import { sessionsRepository } from './repositories/sessions.repository.ts';
import { auditRepository } from './repositories/audit.repository.ts';
import { authService } from './auth/auth.service.ts';
import { jurisdictionService } from './services/jurisdiction.service.ts';
import { camerasRepository } from './repositories/cameras.repository.ts';
import { enrolmentService } from './cameras/enrolment.service.ts';
import { healthMonitor, cameraHealthProbe } from './cameras/health-monitor.ts';
import { credentialCipherFrom } from './cameras/credential-key.ts';
import { mediaPortPolicy } from './cameras/media-ports.ts';
import { probeCamera } from '../camera-adapters/onvif/index.ts';
import type { EventPublisher, GatewayEvent } from './events/types.ts';
import { PgBus } from './events/pg-bus.ts';
import { EventHub } from './events/hub.ts';
import { agreementsRepository } from './repositories/agreements.repository.ts';
import { grantsRepository } from './repositories/grants.repository.ts';
import { createAccessRuntime } from './access/runtime.ts';
import { playTokenService } from './access/play-token.service.ts';
import { grantsService } from './grants/grants.service.ts';
import { auditCheckpointsRepository } from './repositories/audit-checkpoints.repository.ts';
import { startCheckpointer } from './audit/checkpoints.ts';
import { RefusalAggregator } from './audit/refusal-aggregator.ts';
import type { CameraResource } from './domain/types.ts';
import { noticesRepository } from './repositories/notices.repository.ts';
import { accountsService } from './auth/accounts.service.ts';
import { createTracing } from './tracing/tracing.ts';
import { camerasWithIndexedArea } from './tracing/indexed-area.ts';

/** Builds every component from config and a database pool; the only place that wires them. */
export async function composeGateway(opts: { config: Config; db: Db; log: Logger; ephemeralKeys?: boolean }) {
  const { config, db, log } = opts;
  const repos = {
    jurisdictions: jurisdictionsRepository(db),
    users: usersRepository(db),
    sessions: sessionsRepository(db),
    audit: auditRepository(db),
    cameras: camerasRepository(db),
    agreements: agreementsRepository(db),
    grants: grantsRepository(db),
    auditCheckpoints: auditCheckpointsRepository(db),
    notices: noticesRepository(db),
  };
  const closers: Array<() => Promise<void>> = [];
  // One LISTEN connection per process: revocations, cache invalidations and ws events reach every gateway process.
  const bus = new PgBus(db, log);
  await bus.start();
  closers.push(() => bus.close());
  const auth = authService({
    db, users: repos.users, sessions: repos.sessions, audit: repos.audit, config: config.auth,
    onLogout: (c) => void bus.publish('session', { op: 'logout', ...c, at: new Date().toISOString() }),
  });
  const jurisdictions = jurisdictionService({ repo: repos.jurisdictions, db });

  // Local listeners of gateway events (the ws hub and cross-process bus subscribe here).
  const eventListeners = new Set<(e: GatewayEvent) => void>();
  const events: EventPublisher & { subscribe(fn: (e: GatewayEvent) => void): () => void } = {
    publish(e) {
      const stamped = { ...e, at: e.at ?? new Date().toISOString() };
      for (const l of eventListeners) l(stamped);
    },
    subscribe(fn) {
      eventListeners.add(fn);
      return () => eventListeners.delete(fn);
    },
  };
  // Access-relevant camera changes (sharing, jurisdiction, disable, remove): the media edge re-checks open sessions.
  const cameraChangeListeners = new Set<(cameraId: string) => void>();
  // Events go out through the bus, which delivers locally at once and to other processes by NOTIFY.
  events.subscribe((e) => void bus.publish('event', e as unknown as Record<string, unknown>));
  cameraChangeListeners.add((cameraId) => void bus.publish('camera', { op: 'changed', cameraId }));
  // Camera events are routed by scope(), which needs the camera's facts (the access runtime's cache, built below).
  let cameraFacts: ((id: string) => Promise<CameraResource | null>) | null = null;
  const hub = new EventHub(bus, log, { camera: async (id) => (cameraFacts ? cameraFacts(id) : null) });
  closers.push(async () => hub.close());

  const cipher = credentialCipherFrom(config, { ephemeral: opts.ephemeralKeys ?? config.profile === 'test' });
  // Bound once the grants service exists (below): an owner change re-addresses the camera's pending requests.
  let rerouteOwnerChange: ((cameraId: string) => Promise<unknown>) | null = null;
  const enrolment = enrolmentService({
    db, cameras: repos.cameras, users: repos.users, audit: repos.audit, jurisdictions, jurisdictionsRepo: repos.jurisdictions,
    cipher, probe: probeCamera, events, probeDeadlineMs: config.cameras.probeDeadlineMs, mediaPorts: mediaPortPolicy(config),
    onCameraChanged: (id) => {
      for (const l of cameraChangeListeners) l(id);
    },
    onOwnerChanged: async (id) => {
      // The owner change is committed either way; a failure here leaves the request with the old owner until it lapses.
      await rerouteOwnerChange?.(id).catch((err: unknown) => log.warn({ err, cameraId: id }, 're-addressing pending requests after an owner change failed'));
    },
  });
  const health = healthMonitor({
    cameras: repos.cameras, cipher, events, log,
    probe: cameraHealthProbe({ slowMs: config.cameras.healthSlowMs, maxClockSkewMs: config.cameras.healthMaxClockSkewMs, mediaPorts: mediaPortPolicy(config) }),
    config: {
      intervalMs: config.cameras.healthIntervalMs, jitter: config.cameras.healthJitter, concurrency: config.cameras.healthConcurrency,
      probeDeadlineMs: config.cameras.healthDeadlineMs, slowMs: config.cameras.healthSlowMs, maxClockSkewMs: config.cameras.healthMaxClockSkewMs,
    },
  });
  closers.push(() => health.stop());

  const access = await createAccessRuntime({
    db, log, bus, users: repos.users, cameras: repos.cameras, grants: repos.grants, jurisdictions: repos.jurisdictions,
    // Test gateways share one database with throwaway credential keys, so their signing key is stored unsealed.
    cipher: config.profile === 'test' ? null : cipher,
    config: {
      villageCommitteeMayView: config.access.villageCommitteeMayView,
      tokenLeewaySeconds: config.access.tokenLeewaySeconds,
      playTokenTtlSeconds: config.access.playTokenTtlSeconds,
      revocationDeafSeconds: config.access.revocationDeafSeconds,
    },
  });
  closers.push(() => access.close());
  cameraFacts = (id) => access.camera(id);
  const grants = grantsService({
    db, log, grants: repos.grants, agreements: repos.agreements, cameras: camerasWithIndexedArea(repos.cameras, (sel, limit) => tracing.area(sel, limit)), users: repos.users,
    jurisdictions: repos.jurisdictions, audit: repos.audit, access, events, bus,
    config: { villageCommitteeMayView: config.access.villageCommitteeMayView, requestTtlMinutes: 24 * 60, maxCameras: 500 },
  });
  rerouteOwnerChange = (id) => grants.rerouteForOwnerChange(id);
  const accounts = accountsService({ db, users: repos.users, audit: repos.audit, bus, events });
  const playTokens = playTokenService({ access, grants: repos.grants, audit: repos.audit, ttlSeconds: config.access.playTokenTtlSeconds });
  // Every process sweeps; rows are claimed with SKIP LOCKED, so they never expire a grant twice.
  const sweep = setInterval(() => void grants.expireDue().catch((err: unknown) => log.warn({ err }, 'grant expiry sweep failed')), 15_000);
  sweep.unref();
  closers.push(async () => clearInterval(sweep));
  // Signed audit checkpoints on a timer and at shutdown; closed after the aggregator so its last rows are covered.
  const checkpointer = startCheckpointer({
    repo: repos.auditCheckpoints, ring: () => access.keyRing, intervalMs: config.audit.checkpointIntervalSeconds * 1000, log,
  });
  closers.push(() => checkpointer.stop());
  const refusals = new RefusalAggregator({
    intervalMs: config.audit.refusalIntervalSeconds * 1000,
    maxAddresses: config.audit.refusalMaxAddresses,
    write: (rows) => repos.audit.append(rows).catch((err: unknown) => log.error({ err }, 'audit of aggregated refusals failed')),
  });
  closers.push(() => refusals.close());
  const housekeeping = setInterval(() => void accounts.prune().catch((err: unknown) => log.warn({ err }, 'account housekeeping failed')), 3_600_000);
  housekeeping.unref();
  closers.push(async () => clearInterval(housekeeping));
  const tracing = createTracing({ db, log, bus, config: config.tracing, access, grants, repos });
  closers.push(() => tracing.close());

  return {
    config,
    db,
    log,
    repos,
    auth,
    jurisdictions,
    events,
    cipher,
    enrolment,
    health,
    bus,
    hub,
    access,
    grants,
    playTokens,
    checkpointer,
    refusals,
    accounts,
    tracing,
    onCameraChanged(fn: (cameraId: string) => void): () => void {
      cameraChangeListeners.add(fn);
      return () => cameraChangeListeners.delete(fn);
    },
    async close(): Promise<void> {
      for (const c of closers.reverse()) await c().catch((e) => log.warn({ err: e }, 'close failed'));
    },
  };
}
export type Gateway = Awaited<ReturnType<typeof composeGateway>>;
