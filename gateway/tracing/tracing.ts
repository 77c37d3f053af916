// Wires the route-tracing services from the gateway's repositories, access runtime, grants service and bus.
import type { Logger } from 'pino';
import type { Db } from '../db/pool.ts';
import type { Config } from '../config/schema.ts';
import type { PgBus } from '../events/pg-bus.ts';
import type { AccessRuntime } from '../access/runtime.ts';
import type { GrantsService } from '../grants/grants.service.ts';
import type { AuditRepository } from '../repositories/audit.repository.ts';
import type { AgreementsRepository } from '../repositories/agreements.repository.ts';
import type { CamerasRepository } from '../repositories/cameras.repository.ts';
import type { GrantsRepository } from '../repositories/grants.repository.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import type { UsersRepository } from '../repositories/users.repository.ts';
import { casesRepository } from '../repositories/cases.repository.ts';
import { sightingsRepository } from '../repositories/sightings.repository.ts';
import { cameraPositionsRepository } from '../repositories/camera-positions.repository.ts';
import { casesService } from './cases.service.ts';
import { sightingsService } from './sightings.service.ts';
import { syncedCameraIndex } from './index-sync.ts';
import { reachableService } from './reachable.service.ts';
import { caseRequestsService } from './case-requests.service.ts';
import { routeReportService } from './route-report.service.ts';

export function createTracing(deps: {
  db: Db;
  log: Logger;
  bus: PgBus;
  config: Config['tracing'];
  access: AccessRuntime;
  grants: GrantsService;
  repos: { audit: AuditRepository; agreements: AgreementsRepository; cameras: CamerasRepository; grants: GrantsRepository; jurisdictions: JurisdictionsRepository; users: UsersRepository };
}) {
  const { db, repos, access } = deps;
  const casesRepo = casesRepository(db);
  const sightingsRepo = sightingsRepository(db);
  const positions = cameraPositionsRepository(db);
  const index = syncedCameraIndex({ repo: positions, bus: deps.bus, log: deps.log });
  const cases = casesService({ db, cases: casesRepo, sightings: sightingsRepo, users: repos.users, agreements: repos.agreements, jurisdictions: repos.jurisdictions, grants: repos.grants, audit: repos.audit, access });
  const sightings = sightingsService({ db, sightings: sightingsRepo, positions, grants: repos.grants, audit: repos.audit, access, cases });
  const reachable = reachableService({ index, cases, casesRepo, sightings: sightingsRepo, grants: repos.grants, agreements: repos.agreements, jurisdictions: repos.jurisdictions, users: repos.users, access, config: deps.config });
  const requests = caseRequestsService({ index, cases, grants: deps.grants, grantsRepo: repos.grants, access, config: deps.config });
  const reports = routeReportService({ cases, casesRepo, sightings: sightingsRepo, sightingsService: sightings, grants: repos.grants, cameras: repos.cameras, jurisdictions: repos.jurisdictions, audit: repos.audit, access });
  /** The grants service's radius/polygon selection, through the same index (enabled cameras only, as before). */
  async function area(sel: { near?: { lat: number; lon: number; radiusM: number }; polygon?: [number, number][] }, limit: number): Promise<string[]> {
    const idx = await index.get();
    if (sel.near) return idx.nearest(sel.near, sel.near.radiusM, limit).items.map((h) => h.cam.id);
    if (sel.polygon) return idx.inPolygon(sel.polygon, limit).items.map((c) => c.id);
    return [];
  }
  return { index, positions, cases, sightings, reachable, requests, reports, area, close: async () => index.close() };
}
export type Tracing = ReturnType<typeof createTracing>;
