// Planning a grant request: expand the camera selection, route each camera (pure, planning.ts), group by owning
// station and approver, and check each group against its agreement. Reads only; throws coded refusals.
import type { Action, Subject, TimeWindow, Uuid } from '../domain/types.ts';
import { errors } from '../errors.ts';
import type { Agreement, AgreementsRepository } from '../repositories/agreements.repository.ts';
import { toCameraResource, type Camera, type CamerasRepository } from '../repositories/cameras.repository.ts';
import type { UsersRepository } from '../repositories/users.repository.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import { effectiveFootage, ownerApprover, routeCamera } from './planning.ts';
import { FOOTAGE_ACTIONS, OWN_STATION_LIMITS, checkAgainstAgreement } from './rules.ts';

export interface CameraSelection {
  cameraIds?: Uuid[];
  near?: { lat: number; lon: number; radiusM: number };
  polygon?: [number, number][];
}

export interface GrantRequestInput extends CameraSelection {
  caseNo: string;
  reason: string;
  actions: Action[];
  footage?: TimeWindow | null;
  live?: TimeWindow | null;
  lifetimeMinutes?: number | null;
  emergency?: boolean;
  agreementId?: Uuid | null;
}

export interface ExcludedCamera {
  cameraId: Uuid;
  reason: string;
  message: string;
}

export interface PlannedGroup {
  ownerStationId: Uuid;
  approverKind: 'station' | 'owner';
  approverUserId: Uuid | null;
  approverVillageId: Uuid | null;
  agreement: Agreement | null;
  cameras: Camera[];
  lifetimeMinutes: number;
}

export interface Plan {
  cameras: Camera[];
  groups: PlannedGroup[];
  excluded: ExcludedCamera[];
  /** The footage window that will be asked for (clamped to now if it ended in the future). */
  footage: TimeWindow | null;
  /** What the gateway changed in the request, for the requester to read. */
  notes: Array<{ code: string; message: string }>;
}

const POLICE = new Set(['officer', 'investigator', 'duty_officer']);

export function grantPlanner(deps: {
  agreements: AgreementsRepository;
  cameras: CamerasRepository;
  users: UsersRepository;
  jurisdictions: JurisdictionsRepository;
  config: { villageCommitteeMayView: boolean; maxCameras: number };
}) {
  const { config } = deps;
  const ctx = (now: Date) => ({ now, villageCommitteeMayView: config.villageCommitteeMayView });

  async function expand(sel: CameraSelection): Promise<{ cameras: Camera[]; explicit: boolean }> {
    const ways = [sel.cameraIds, sel.near, sel.polygon].filter((x) => x !== undefined).length;
    if (ways !== 1) throw errors.validation('name the cameras one way: cameraIds, near or polygon');
    if (sel.cameraIds) {
      const ids = [...new Set(sel.cameraIds)];
      const found = await deps.cameras.list({ ids, limit: ids.length });
      const missing = ids.filter((id) => !found.some((c) => c.id === id));
      if (missing.length) throw errors.notFound(`no such camera: ${missing.join(', ')}`, { cameraIds: missing });
      return { cameras: found, explicit: true };
    }
    const cams = await deps.cameras.list({ ...(sel.near && { near: sel.near }), ...(sel.polygon && { polygon: sel.polygon }), limit: config.maxCameras + 1 });
    if (cams.length > config.maxCameras) throw errors.validation(`the area holds more than ${config.maxCameras} cameras; draw it smaller`);
    return { cameras: cams.filter((c) => c.enabled), explicit: false };
  }

  /** Groups the cameras by owning station and approver and checks each group against its agreement. Throws coded refusals. */
  async function plan(actor: Subject, input: GrantRequestInput, now: Date): Promise<Plan> {
    if (!POLICE.has(actor.role) || actor.stationId === null) {
      throw errors.forbidden('only police users of a station request grants', { reason: 'role_cannot' });
    }
    const actions = [...new Set(input.actions)];
    if (actions.some((a) => FOOTAGE_ACTIONS.has(a)) && !input.footage) throw errors.validation("playback and export need a 'footage' window");
    if (input.footage && input.footage.from >= input.footage.to) throw errors.validation("'footage.from' must be before 'footage.to'");
    if (input.live && input.live.from >= input.live.to) throw errors.validation("'live.from' must be before 'live.to'");
    const { footage, note } = effectiveFootage(input.footage ?? null, now);
    const emergency = input.emergency === true;
    const { cameras, explicit } = await expand(input);
    if (cameras.length === 0) throw errors.validation('no cameras there', { reason: 'no_cameras' });

    const ownerIds = [...new Set(cameras.map((c) => c.ownerUserId).filter((x): x is Uuid => x !== null))];
    const activeOwners = ownerIds.length ? await deps.users.activeIds(ownerIds) : new Set<Uuid>();
    const homeIds = cameras.filter((c) => c.ownerClass === 'household').map((c) => c.id);
    const bypass = emergency && homeIds.length ? await deps.cameras.emergencyBypass(homeIds) : new Set<Uuid>();

    const excluded: ExcludedCamera[] = [];
    const byStation = new Map<Uuid, Array<{ cam: Camera; to: 'station' | 'owner' }>>();
    for (const cam of cameras) {
      const route = routeCamera(
        { resource: toCameraResource(cam), ownerActive: cam.ownerUserId !== null && activeOwners.has(cam.ownerUserId), emergencyBypass: bypass.has(cam.id) },
        { actor, actions, emergency, context: ctx(now) },
      );
      if ('excluded' in route) {
        if (explicit && route.refuse) throw errors.cameraNotRequestable(`camera ${cam.name}: ${route.message}`, { cameraId: cam.id, reason: route.excluded });
        excluded.push({ cameraId: cam.id, reason: route.excluded, message: route.message });
        continue;
      }
      const list = byStation.get(cam.stationId) ?? [];
      list.push({ cam, to: route.to });
      byStation.set(cam.stationId, list);
    }

    let named: Agreement | null = null;
    if (input.agreementId) {
      named = (await deps.agreements.byId(input.agreementId)) ?? null;
      if (!named) throw errors.notFound('no such agreement');
    }

    const groups: PlannedGroup[] = [];
    for (const [stationId, routed] of byStation) {
      const cams = routed.map((r) => r.cam);
      let agreement: Agreement | null = null;
      let limits: { lifetimeMinutes: number };
      if (stationId === actor.stationId) {
        if (emergency) throw errors.outsideAgreement('emergency grants are for partner stations’ cameras', { reason: 'emergency_not_allowed' });
        const lifetime = input.lifetimeMinutes ?? OWN_STATION_LIMITS.maxGrantMinutes;
        if (footage && (footage.to.getTime() - footage.from.getTime()) / 3_600_000 > OWN_STATION_LIMITS.maxFootageHours) {
          throw errors.outsideAgreement(`footage window exceeds ${OWN_STATION_LIMITS.maxFootageHours} h`, { reason: 'window_too_long' });
        }
        if (lifetime > OWN_STATION_LIMITS.maxGrantMinutes) {
          throw errors.outsideAgreement(`grant lifetime exceeds ${OWN_STATION_LIMITS.maxGrantMinutes} min`, { reason: 'lifetime_too_long' });
        }
        limits = { lifetimeMinutes: lifetime };
      } else {
        const station = await deps.jurisdictions.byId(stationId);
        const inForce = await deps.agreements.between(actor.stationId, stationId, now);
        if (named) {
          if (!inForce.some((a) => a.id === named!.id)) {
            throw errors.outsideAgreement(`camera ${cams[0]!.name} belongs to ${station?.name ?? stationId}, which agreement ${named.code} does not cover`, {
              reason: 'camera_outside_agreement',
              cameraIds: cams.map((c) => c.id),
              stationId,
            });
          }
          agreement = named;
        } else {
          agreement = inForce[0] ?? null;
        }
        if (!agreement) {
          throw errors.noAgreement(`your station has no agreement with ${station?.name ?? stationId}`, {
            reason: 'no_agreement',
            stationId,
            cameraIds: cams.map((c) => c.id),
          });
        }
        const r = checkAgainstAgreement(agreement, { actions, footage, lifetimeMinutes: input.lifetimeMinutes ?? null, emergency }, now);
        if (r.problem) {
          const { code, message, ...rest } = r.problem;
          throw errors.outsideAgreement(message, { reason: code, agreementId: agreement.id, ...rest });
        }
        limits = { lifetimeMinutes: r.lifetimeMinutes };
      }

      // Approvers: the station's duty officers for police and village cameras (and emergencies, reviewed after);
      // a home camera's owner, or the committee they delegated to, for every home camera.
      const stationCams = routed.filter((r) => r.to === 'station').map((r) => r.cam);
      const ownerGroups = new Map<string, Camera[]>();
      for (const { cam } of routed.filter((r) => r.to === 'owner')) {
        const a = ownerApprover(cam);
        const key = `${a.approverUserId ?? ''}|${a.approverVillageId ?? ''}`;
        const list = ownerGroups.get(key) ?? [];
        list.push(cam);
        ownerGroups.set(key, list);
      }
      if (stationCams.length) {
        groups.push({ ownerStationId: stationId, approverKind: 'station', approverUserId: null, approverVillageId: null, agreement, cameras: stationCams, lifetimeMinutes: limits.lifetimeMinutes });
      }
      for (const list of ownerGroups.values()) {
        const c = list[0]!;
        groups.push({
          ownerStationId: stationId,
          approverKind: 'owner',
          ...ownerApprover(c),
          agreement,
          cameras: list,
          lifetimeMinutes: limits.lifetimeMinutes,
        });
      }
    }
    if (groups.length === 0) throw errors.validation('none of these cameras needs or allows a grant', { reason: 'nothing_to_request', excluded });
    return { cameras, groups, excluded, footage, notes: note ? [{ code: note.code, message: note.message }] : [] };
  }

  return { plan };
}
