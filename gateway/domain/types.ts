// Shared domain vocabulary. Plain data: no I/O, no classes.

export type Uuid = string;

export const JURISDICTION_KINDS = ['province', 'city', 'county', 'station', 'village'] as const;
export type JurisdictionKind = (typeof JURISDICTION_KINDS)[number];

export const ROLES = [
  'officer',
  'duty_officer',
  'investigator',
  'village_committee',
  'household_owner',
  'auditor',
  'system_admin',
] as const;
export type Role = (typeof ROLES)[number];

export const OWNER_CLASSES = ['police', 'village', 'household'] as const;
export type OwnerClass = (typeof OWNER_CLASSES)[number];

/** Household cameras only: what the owner agreed to. */
export const SHARING_MODES = ['station', 'on_request', 'never_live'] as const;
export type SharingMode = (typeof SHARING_MODES)[number];

export const ACTIONS = [
  'live',
  'playback',
  'export',
  'snapshot',
  'ptz',
  'enrol',
  'manage',
  'approve',
  'audit:read',
] as const;
export type Action = (typeof ACTIONS)[number];

/** Actions that put video (or a still) in front of someone. */
export const VIDEO_ACTIONS: readonly Action[] = ['live', 'playback', 'export', 'snapshot'];

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** Who is asking. `stationId` is the police station the user belongs to (null for roles bound above or below one). */
export interface Subject {
  userId: Uuid;
  role: Role;
  /** The jurisdiction the user is bound to (station for police roles, village for committees and owners). */
  jurisdictionId: Uuid;
  /** Station that contains the user's jurisdiction, if any. */
  stationId: Uuid | null;
  /** Village the user is bound to (committee members, household owners), if any. */
  villageId: Uuid | null;
}

/** The camera facts the access policy needs. */
export interface CameraResource {
  kind: 'camera';
  id: Uuid;
  ownerClass: OwnerClass;
  stationId: Uuid;
  villageId: Uuid | null;
  /** Household owner's user id (household cameras). */
  ownerUserId: Uuid | null;
  /** Household cameras only; null for police and village cameras. */
  sharingMode: SharingMode | null;
  /** Household owner let the village committee approve requests on their behalf. */
  delegatedToCommittee: boolean;
  enabled: boolean;
}

export interface StationResource {
  kind: 'station';
  id: Uuid;
}

export interface AuditResource {
  kind: 'audit';
  /** Camera whose history is read, when the read is scoped to one camera (owners' view). */
  camera: CameraResource | null;
}

export type Resource = CameraResource | StationResource | AuditResource;

export const GRANT_STATES = ['pending', 'approved', 'denied', 'revoked', 'expired', 'withdrawn'] as const;
export type GrantState = (typeof GRANT_STATES)[number];

/**
 * A grant as the policy sees it: already checked for signature (token) or read from the database.
 * Only approved, unexpired, unrevoked grants should reach `decide()`; decide re-checks time anyway.
 */
export interface GrantView {
  id: Uuid;
  state: GrantState;
  granteeUserId: Uuid;
  cameraIds: ReadonlySet<Uuid>;
  actions: ReadonlySet<Action>;
  footage: TimeWindow | null;
  /** Live viewing allowed while now is inside this window. */
  live: TimeWindow | null;
  expiresAt: Date;
  emergency: boolean;
  caseNo: string;
}

export interface DecisionContext {
  now: Date;
  /** Grant presented with the request (from a play token or looked up), if any. */
  grant?: GrantView | null;
  /** Footage window asked for (playback, export). */
  footage?: TimeWindow | null;
  /** Config: may village committee members view their village's village-class cameras. */
  villageCommitteeMayView: boolean;
  /** Clock leeway in milliseconds for window/expiry checks. */
  leewayMs?: number;
}

export interface Constraints {
  /** Access must end by this time (grant expiry, live window end). */
  until?: Date;
  /** Footage may only be served inside this window. */
  footage?: TimeWindow;
  grantId?: Uuid;
}

export interface Decision {
  allow: boolean;
  /** Stable, machine-readable reason: 'own_station', 'grant', 'no_grant', 'sharing_mode_never_live', … */
  reason: string;
  /** One sentence for people. */
  message: string;
  constraints: Constraints;
}
