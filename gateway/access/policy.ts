// The single access decision: who may do what to which camera, station or audit trail.
// Pure and synchronous; every entry point (live edge, playback, export, snapshot, API, ws) calls it.
import type {
  Action,
  AuditResource,
  CameraResource,
  Decision,
  DecisionContext,
  GrantView,
  Resource,
  Role,
  StationResource,
  Subject,
} from '../domain/types.ts';

/** Stable reason codes. Clients and the audit log key on these; never rename one. */
export const REASONS = {
  // allow
  own_station: 'The camera is in your station’s jurisdiction.',
  own_station_household: 'The owner lets police of this station view this home camera.',
  own_camera: 'You own this camera.',
  own_village: 'The camera belongs to your village.',
  delegated_approval: 'The owner delegated approval of requests to the village committee.',
  owner_approval: 'You own this camera and decide on requests for it.',
  station_duty: 'You are on duty for this station.',
  system_admin: 'System administrators manage cameras and stations.',
  auditor: 'Auditors read the audit trail.',
  grant: 'Allowed by an approved grant.',
  // deny: relation
  other_station: 'The camera belongs to another station; a grant is needed.',
  other_village: 'The camera belongs to another village.',
  not_owner: 'Only the camera’s owner may do this.',
  not_delegated: 'The owner has not delegated approval to the village committee.',
  role_cannot: 'Your role does not allow this action.',
  separation_of_duties: 'System administrators manage cameras but never view video.',
  police_camera: 'Village committees have no access to police cameras.',
  committee_view_disabled: 'Village committee viewing is switched off in this deployment.',
  owner_consent_required: 'Home cameras are enrolled, managed and approved by their owner or village committee.',
  action_not_for_resource: 'This action does not apply to this kind of resource.',
  camera_disabled: 'The camera is disabled.',
  ptz_not_allowed: 'Only the owner may move a home camera.',
  // deny: sharing mode
  sharing_mode_on_request_needs_grant: 'The owner shares this camera only on request; a grant is needed.',
  never_live: 'The owner never shares live video or stills from this camera.',
  // deny: grant
  no_grant: 'A grant is needed.',
  grant_not_approved: 'The grant is not approved.',
  grant_revoked: 'The grant was revoked.',
  grant_expired: 'The grant has expired.',
  grant_not_for_user: 'The grant was issued to someone else.',
  grant_not_for_camera: 'The grant does not cover this camera.',
  grant_action_not_allowed: 'The grant does not allow this action.',
  live_window_closed: 'Outside the grant’s live-viewing window.',
  footage_required: 'Say which footage window you want.',
  footage_invalid: 'The footage window ends before it starts.',
  footage_outside_grant: 'The footage asked for lies outside the grant’s window.',
} as const;
export type ReasonCode = keyof typeof REASONS;

const NO_CONSTRAINTS = Object.freeze({});

// One frozen decision per reason: the hot path returns these without allocating.
const allowed = {} as Record<ReasonCode, Decision>;
const denied = {} as Record<ReasonCode, Decision>;
for (const code of Object.keys(REASONS) as ReasonCode[]) {
  allowed[code] = Object.freeze({ allow: true, reason: code, message: REASONS[code], constraints: NO_CONSTRAINTS });
  denied[code] = Object.freeze({ allow: false, reason: code, message: REASONS[code], constraints: NO_CONSTRAINTS });
}

const POLICE_ROLES: ReadonlySet<Role> = new Set(['officer', 'investigator', 'duty_officer']);

const Kind = {
  Watch: 0, // live, snapshot: need the live window
  Footage: 1, // playback, export: need a footage window
  Ptz: 2,
  Admin: 3, // enrol, manage
  Approve: 4,
  Audit: 5,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];
const KIND: Record<Action, Kind> = {
  live: Kind.Watch,
  snapshot: Kind.Watch,
  playback: Kind.Footage,
  export: Kind.Footage,
  ptz: Kind.Ptz,
  enrol: Kind.Admin,
  manage: Kind.Admin,
  approve: Kind.Approve,
  'audit:read': Kind.Audit,
};

/**
 * Choices beyond the brief, each a product decision:
 * - system_admin manages and enrols everything but never sees video (separation of duties).
 * - officers may enrol police cameras of their station (field installs); only duty officers manage them.
 * - duty officers approve and manage police and village cameras of their station, not home cameras:
 *   a home camera's consent belongs to its owner or the committee they delegated to.
 * - grants are honoured for police roles only, and never widen a sharing mode.
 * - leeway defaults to 0 when the context gives none.
 */
export function decide(subject: Subject, action: Action, resource: Resource, context: DecisionContext): Decision {
  switch (resource.kind) {
    case 'camera':
      return decideCamera(subject, action, resource, context);
    case 'station':
      return decideStation(subject, action, resource);
    case 'audit':
      return decideAudit(subject, action, resource);
  }
}

function decideStation(subject: Subject, action: Action, station: StationResource): Decision {
  if (subject.role === 'system_admin') return action === 'manage' ? allowed.system_admin : denied.role_cannot;
  if (action !== 'approve') return denied.role_cannot;
  if (subject.role !== 'duty_officer') return denied.role_cannot;
  return subject.stationId === station.id ? allowed.station_duty : denied.other_station;
}

function decideAudit(subject: Subject, action: Action, audit: AuditResource): Decision {
  if (action !== 'audit:read') return denied.action_not_for_resource;
  switch (subject.role) {
    case 'auditor':
      return allowed.auditor;
    case 'system_admin':
      return allowed.system_admin;
    case 'household_owner':
      // Owners see who viewed their own camera, never the whole trail.
      if (audit.camera === null) return denied.role_cannot;
      return audit.camera.ownerUserId === subject.userId ? allowed.own_camera : denied.not_owner;
    default:
      return denied.role_cannot;
  }
}

function decideCamera(subject: Subject, action: Action, camera: CameraResource, context: DecisionContext): Decision {
  const kind = KIND[action];
  if (kind === Kind.Audit) return denied.action_not_for_resource;
  const video = kind === Kind.Watch || kind === Kind.Footage || kind === Kind.Ptz;
  if (video && !camera.enabled) return denied.camera_disabled;

  switch (subject.role) {
    case 'officer':
    case 'investigator':
    case 'duty_officer':
      return video ? policeVideo(subject, action, kind, camera, context) : policeAdmin(subject, action, camera);
    case 'village_committee':
      return committee(subject, action, kind, camera, context);
    case 'household_owner':
      return owner(subject, action, kind, camera);
    case 'system_admin':
      if (kind === Kind.Admin) return allowed.system_admin;
      return video ? denied.separation_of_duties : denied.role_cannot;
    case 'auditor':
      return denied.role_cannot;
  }
}

function policeVideo(subject: Subject, action: Action, kind: Kind, camera: CameraResource, context: DecisionContext): Decision {
  const sameStation = subject.stationId !== null && subject.stationId === camera.stationId;
  if (camera.ownerClass !== 'household') {
    return sameStation ? allowed.own_station : viaGrant(subject, action, kind, camera, context, denied.other_station);
  }
  // Home cameras: the owner's sharing mode bounds everything, grants included.
  if (kind === Kind.Ptz) return denied.ptz_not_allowed;
  switch (camera.sharingMode) {
    case 'station':
      return sameStation ? allowed.own_station_household : viaGrant(subject, action, kind, camera, context, denied.other_station);
    case 'never_live':
      if (kind === Kind.Watch) return denied.never_live;
      return viaGrant(subject, action, kind, camera, context, sameStation ? denied.no_grant : denied.other_station);
    case 'on_request':
    default: // unknown or missing mode: treat as the strictest that still permits requests
      return viaGrant(
        subject,
        action,
        kind,
        camera,
        context,
        sameStation ? denied.sharing_mode_on_request_needs_grant : denied.other_station,
      );
  }
}

/** Enrol and manage by police roles; approve by duty officers. */
function policeAdmin(subject: Subject, action: Action, camera: CameraResource): Decision {
  const sameStation = subject.stationId !== null && subject.stationId === camera.stationId;
  if (action === 'approve') {
    if (subject.role !== 'duty_officer') return denied.role_cannot;
    if (!sameStation) return denied.other_station;
    // Household consent belongs to the owner (or the committee they delegated to), not the station.
    return camera.ownerClass === 'household' ? denied.owner_consent_required : allowed.station_duty;
  }
  // enrol / manage
  if (subject.role === 'duty_officer') {
    if (!sameStation) return denied.other_station;
    return camera.ownerClass === 'household' ? denied.owner_consent_required : allowed.station_duty;
  }
  // Officers install police cameras in the field, so they may enrol (not reconfigure) them.
  if (subject.role === 'officer' && action === 'enrol' && camera.ownerClass === 'police') {
    return sameStation ? allowed.own_station : denied.other_station;
  }
  return denied.role_cannot;
}

function committee(subject: Subject, action: Action, kind: Kind, camera: CameraResource, context: DecisionContext): Decision {
  if (camera.ownerClass === 'police') return denied.police_camera;
  if (subject.villageId === null || camera.villageId !== subject.villageId) return denied.other_village;
  switch (kind) {
    case Kind.Admin:
      return allowed.own_village;
    case Kind.Approve:
      if (camera.ownerClass !== 'household') return denied.role_cannot;
      // 'station' consent covers the owning station only: a partner's request still needs the owner (or delegate).
      return camera.delegatedToCommittee ? allowed.delegated_approval : denied.not_delegated;
    case Kind.Watch:
    case Kind.Footage:
      if (action === 'export') return denied.role_cannot;
      if (camera.ownerClass !== 'village') return denied.not_owner;
      return context.villageCommitteeMayView ? allowed.own_village : denied.committee_view_disabled;
    default:
      return denied.role_cannot;
  }
}

function owner(subject: Subject, action: Action, kind: Kind, camera: CameraResource): Decision {
  if (camera.ownerClass !== 'household' || camera.ownerUserId !== subject.userId) return denied.not_owner;
  switch (kind) {
    case Kind.Approve:
      return allowed.owner_approval;
    case Kind.Admin:
      // manage (sharing mode, consent) yes; enrolment is the committee's job.
      return action === 'manage' ? allowed.own_camera : denied.role_cannot;
    default:
      return allowed.own_camera;
  }
}

function viaGrant(
  subject: Subject,
  action: Action,
  kind: Kind,
  camera: CameraResource,
  context: DecisionContext,
  withoutGrant: Decision,
): Decision {
  const grant = context.grant;
  if (grant === undefined || grant === null) return withoutGrant;
  return checkGrant(subject, action, kind, camera, grant, context);
}

/** Why this grant does not cover this subject and camera at all, whatever the action; null when it does. */
function grantDenial(subject: Subject, camera: CameraResource, grant: GrantView): Decision | null {
  if (!POLICE_ROLES.has(subject.role)) return denied.role_cannot;
  if (grant.state !== 'approved') {
    if (grant.state === 'revoked') return denied.grant_revoked;
    if (grant.state === 'expired') return denied.grant_expired;
    return denied.grant_not_approved;
  }
  if (grant.granteeUserId !== subject.userId) return denied.grant_not_for_user;
  if (!grant.cameraIds.has(camera.id)) return denied.grant_not_for_camera;
  return null;
}

/**
 * Does an approved, unexpired grant issued to this subject name this camera (for some action and window)? What
 * decide() checks of a grant before the action and its windows: scope() lets a grantee read the camera's record.
 */
export function grantCoversCamera(subject: Subject, camera: CameraResource, grant: GrantView, now: Date): boolean {
  return grantDenial(subject, camera, grant) === null && now.getTime() < grant.expiresAt.getTime();
}

function checkGrant(
  subject: Subject,
  action: Action,
  kind: Kind,
  camera: CameraResource,
  grant: GrantView,
  context: DecisionContext,
): Decision {
  const notCovered = grantDenial(subject, camera, grant);
  if (notCovered) return notCovered;
  if (!grant.actions.has(action)) return denied.grant_action_not_allowed;

  const now = context.now.getTime();
  const leeway = context.leewayMs ?? 0;
  const expires = grant.expiresAt.getTime();
  if (now >= expires + leeway) return denied.grant_expired;

  if (kind === Kind.Footage) {
    const asked = context.footage;
    if (asked === undefined || asked === null) return denied.footage_required;
    const from = asked.from.getTime();
    const to = asked.to.getTime();
    if (to < from) return denied.footage_invalid;
    const window = grant.footage;
    if (window === null || from < window.from.getTime() - leeway || to > window.to.getTime() + leeway) {
      return denied.footage_outside_grant;
    }
    return { allow: true, reason: 'grant', message: REASONS.grant, constraints: { until: grant.expiresAt, footage: window, grantId: grant.id } };
  }

  // live, snapshot, ptz: only while the live window is open
  const live = grant.live;
  if (live === null) return denied.live_window_closed;
  const liveEnd = live.to.getTime();
  if (now < live.from.getTime() - leeway || now > liveEnd + leeway) return denied.live_window_closed;
  return {
    allow: true,
    reason: 'grant',
    message: REASONS.grant,
    constraints: { until: liveEnd < expires ? live.to : grant.expiresAt, grantId: grant.id },
  };
}
