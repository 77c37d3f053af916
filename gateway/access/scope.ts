// What a user is shown: which cameras, grants and events reach them, and which camera fields. One place for
// every list, detail route and the ws hub, so no route filters by hand. Pure: callers load the rows.
import type { CameraResource, Subject } from '../domain/types.ts';
import type { CameraFilter } from '../repositories/cameras.repository.ts';
import type { Grant, GrantFilter } from '../repositories/grants.repository.ts';
import type { GatewayEvent } from '../events/types.ts';
import type { GrantView } from '../domain/types.ts';
import { decide, grantCoversCamera } from './policy.ts';

export type GrantListView = 'mine' | 'inbox' | 'review' | 'station';
type CameraFacts = Pick<CameraResource, 'ownerClass' | 'stationId' | 'villageId' | 'ownerUserId'>;

/** Personal data and the device address, by who may read them. */
export interface CameraFieldRights {
  /** The owner's name and address (household privacy). */
  owner: boolean;
  /** The device's host:port: only those who manage the camera. */
  endpoint: boolean;
  /** The health reason as the role reads it (stateReasonFor); otherwise only which part failed. */
  health: boolean;
}

const NOTHING: CameraFieldRights = { owner: false, endpoint: false, health: false };

export interface Scope {
  /** The listing filter, or null when the subject lists no cameras at all. */
  readonly cameras: CameraFilter | null;
  seesCamera(c: CameraFacts): boolean;
  /**
   * A camera outside the listing that one of these grants names for this subject (approved, unexpired, issued to
   * them): its record is readable with no owner data, device address or health detail (cameraFields gives none).
   */
  seesGrantedCamera(c: CameraResource, grants: readonly GrantView[], now: Date): boolean;
  cameraFields(c: CameraResource): CameraFieldRights;
  /** The grant filter for one of the grant views, or null when that view is empty for this subject. */
  grants(view: GrantListView): GrantFilter | null;
  /** Agreements listed: every one (auditors, admins, users above stations), or those covering the user's station. */
  agreements(): { all: true } | { stationId: string };
  seesGrant(g: Pick<Grant, 'requesterUserId' | 'ownerStationId' | 'approverUserId' | 'approverVillageId'>): boolean;
  /**
   * Whether an event reaches this subject. Events about a camera (payload.cameraId) also need the camera in
   * the subject's scope, so its facts are passed; addressing (userIds/stationIds/roles) still applies.
   */
  seesEvent(e: Pick<GatewayEvent, 'userIds' | 'stationIds' | 'roles'>, camera?: CameraFacts | null): boolean;
}

export function scope(s: Subject): Scope {
  const cameras = cameraFilter(s);
  return {
    cameras,
    seesCamera(c) {
      return cameras !== null
        && (!cameras.stationId || cameras.stationId === c.stationId)
        && (!cameras.villageId || cameras.villageId === c.villageId)
        && (!cameras.ownerUserId || cameras.ownerUserId === c.ownerUserId)
        && (!cameras.ownerClasses || cameras.ownerClasses.includes(c.ownerClass));
    },
    seesGrantedCamera(c, grants, now) {
      return grants.some((g) => grantCoversCamera(s, c, g, now));
    },
    cameraFields(c) {
      if (!this.seesCamera(c)) return NOTHING;
      const manages = s.role === 'system_admin' || decide(s, 'manage', c, { now: new Date(), villageCommitteeMayView: false }).allow;
      // Auditors check the trail, not households: no names or addresses. Everyone else in scope serves them.
      return { owner: s.role !== 'auditor', endpoint: manages, health: true };
    },
    grants(view) {
      switch (view) {
        case 'mine':
          return { requesterUserId: s.userId };
        case 'inbox':
          if (s.role === 'duty_officer' && s.stationId) return { ownerStationId: s.stationId, approverKind: 'station', topLevel: true };
          if (s.role === 'household_owner') return { approverUserId: s.userId, topLevel: true };
          if (s.role === 'village_committee' && s.villageId) return { approverVillageId: s.villageId, topLevel: true };
          return null;
        case 'review':
          return s.role === 'duty_officer' && s.stationId ? { ownerStationId: s.stationId, reviewState: 'pending_review' } : null;
        case 'station':
          return s.role === 'duty_officer' && s.stationId ? { ownerStationId: s.stationId } : null;
      }
    },
    agreements() {
      return s.role === 'auditor' || s.role === 'system_admin' || !s.stationId ? { all: true } : { stationId: s.stationId };
    },
    seesGrant(g) {
      return g.requesterUserId === s.userId
        || s.role === 'auditor'
        || (s.role === 'duty_officer' && s.stationId === g.ownerStationId)
        || (g.approverUserId !== null && g.approverUserId === s.userId)
        || (s.role === 'village_committee' && g.approverVillageId !== null && g.approverVillageId === s.villageId);
    },
    seesEvent(e, camera) {
      const addressed = e.userIds?.includes(s.userId)
        || (s.stationId !== null && e.stationIds?.includes(s.stationId) === true && (e.roles === undefined || e.roles.length === 0 || e.roles.includes(s.role)));
      if (!addressed) return false;
      // Camera events to a station reach only those whose camera list holds the camera (a named user always).
      if (camera === undefined || e.userIds?.includes(s.userId)) return true;
      // Auditors check the record; they do not follow cameras' health.
      return camera !== null && s.role !== 'auditor' && this.seesCamera(camera);
    },
  };
}

/** Listing: own station for police, own village's non-police cameras for committees, own cameras for owners. */
function cameraFilter(s: Subject): CameraFilter | null {
  switch (s.role) {
    case 'system_admin':
    case 'auditor':
      return {};
    case 'officer':
    case 'duty_officer':
    case 'investigator':
      return s.stationId ? { stationId: s.stationId } : null;
    case 'village_committee':
      return s.villageId ? { villageId: s.villageId, ownerClasses: ['village', 'household'] } : null;
    case 'household_owner':
      return { ownerUserId: s.userId };
  }
}
