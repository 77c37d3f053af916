import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  ROLES,
  SHARING_MODES,
  type Action,
  type AuditResource,
  type CameraResource,
  type DecisionContext,
  type GrantView,
  type Role,
  type Subject,
} from '../domain/types.ts';
import { REASONS, decide } from './policy.ts';

// ---------------------------------------------------------------------------------------------
// The expected outcomes, written as tables. They say what the product promises, not how decide()
// is structured; the exhaustive loop below compares the two.
// ---------------------------------------------------------------------------------------------

type Cam = 'police' | 'village' | 'household:station' | 'household:on_request' | 'household:never_live';
/** Where the camera sits relative to the subject (subject: station S1, village V1). */
type Rel = 'owner' | 'own_village' | 'same_station' | 'other_station';

const VIEW: Action[] = ['live', 'playback', 'export', 'snapshot'];
const VIDEO: Action[] = [...VIEW, 'ptz'];
const HOUSEHOLD: Cam[] = ['household:station', 'household:on_request', 'household:never_live'];
const ALL_CAMS: Cam[] = ['police', 'village', ...HOUSEHOLD];

const STATION: Rel[] = ['owner', 'own_village', 'same_station'];
const VILLAGE: Rel[] = ['owner', 'own_village'];
const ANYWHERE: Rel[] = [...STATION, 'other_station'];

type When = 'always' | 'committee_may_view' | 'delegated';

/** Rights without any grant: [role, cameras, relations, actions, condition]. Anything not listed is denied. */
const OWN_RIGHTS: Array<[Role, Cam[], Rel[], Action[], When]> = [
  ['officer', ['police'], STATION, [...VIDEO, 'enrol'], 'always'],
  ['officer', ['village'], STATION, VIDEO, 'always'],
  ['officer', ['household:station'], STATION, VIEW, 'always'],
  ['investigator', ['police', 'village'], STATION, VIDEO, 'always'],
  ['investigator', ['household:station'], STATION, VIEW, 'always'],
  ['duty_officer', ['police', 'village'], STATION, [...VIDEO, 'enrol', 'manage', 'approve'], 'always'],
  ['duty_officer', ['household:station'], STATION, VIEW, 'always'],
  ['village_committee', ['village', ...HOUSEHOLD], VILLAGE, ['enrol', 'manage'], 'always'],
  ['village_committee', ['village'], VILLAGE, ['live', 'playback', 'snapshot'], 'committee_may_view'],
  ['village_committee', ['household:station', 'household:on_request', 'household:never_live'], VILLAGE, ['approve'], 'delegated'],
  ['household_owner', HOUSEHOLD, ['owner'], [...VIDEO, 'manage'], 'always'],
  ['household_owner', ['household:station', 'household:on_request', 'household:never_live'], ['owner'], ['approve'], 'always'],
  ['system_admin', ALL_CAMS, ANYWHERE, ['enrol', 'manage'], 'always'],
  // auditor: nothing on cameras
];

/** Who can use a grant at all, and what a grant can unlock on each kind of camera. */
const GRANT_HOLDERS: Role[] = ['officer', 'investigator', 'duty_officer'];
const GRANT_CAN_UNLOCK: Record<Cam, Action[]> = {
  police: VIDEO,
  village: VIDEO,
  'household:station': VIEW,
  'household:on_request': VIEW,
  'household:never_live': ['playback', 'export'], // never live, even with a grant
};

type GrantVariant =
  | 'none'
  | 'valid'
  | 'expired'
  | 'other_camera'
  | 'other_user'
  | 'other_action'
  | 'footage_outside'
  | 'no_footage_asked'
  | 'live_window_closed'
  | 'revoked'
  | 'pending';
const GRANT_VARIANTS: GrantVariant[] = [
  'none',
  'valid',
  'expired',
  'other_camera',
  'other_user',
  'other_action',
  'footage_outside',
  'no_footage_asked',
  'live_window_closed',
  'revoked',
  'pending',
];

const FOOTAGE_ACTIONS: Action[] = ['playback', 'export'];
const LIVE_ACTIONS: Action[] = ['live', 'snapshot', 'ptz'];

/** What a grant variant does when the policy consults it: null = allow, else the denial reason. */
function grantOutcome(variant: Exclude<GrantVariant, 'none'>, action: Action): string | null {
  const footage = FOOTAGE_ACTIONS.includes(action);
  const live = LIVE_ACTIONS.includes(action);
  const table: Record<Exclude<GrantVariant, 'none'>, string | null> = {
    valid: null,
    expired: 'grant_expired',
    other_camera: 'grant_not_for_camera',
    other_user: 'grant_not_for_user',
    other_action: 'grant_action_not_allowed',
    footage_outside: footage ? 'footage_outside_grant' : null,
    no_footage_asked: footage ? 'footage_required' : null,
    live_window_closed: live ? 'live_window_closed' : null,
    revoked: 'grant_revoked',
    pending: 'grant_not_approved',
  };
  return table[variant];
}

/** Reason when a grant could help but none was presented. */
function missingGrantReason(cam: Cam, rel: Rel): string {
  if (rel === 'other_station') return 'other_station';
  if (cam === 'household:on_request') return 'sharing_mode_on_request_needs_grant';
  return 'no_grant';
}

/** Key denials with a fixed reason; undefined = denied, reason not pinned. */
function denialReason(role: Role, cam: Cam, rel: Rel, action: Action): string | undefined {
  const police = GRANT_HOLDERS.includes(role);
  if (role === 'auditor') return 'role_cannot';
  if (role === 'system_admin' && VIDEO.includes(action)) return 'separation_of_duties';
  if (police && cam === 'household:never_live' && (action === 'live' || action === 'snapshot')) return 'never_live';
  if (police && cam.startsWith('household') && action === 'ptz') return 'ptz_not_allowed';
  if (police && (action === 'approve' || action === 'manage') && role !== 'duty_officer') return 'role_cannot';
  if (role === 'household_owner' && rel !== 'owner') return 'not_owner';
  if (role === 'village_committee' && cam === 'police') return 'police_camera';
  if (role === 'village_committee' && (rel === 'same_station' || rel === 'other_station')) return 'other_village';
  return undefined;
}

interface Case {
  role: Role;
  cam: Cam;
  rel: Rel;
  enabled: boolean;
  delegated: boolean;
  committeeMayView: boolean;
  action: Action;
  grant: GrantVariant;
}
interface Expected {
  allow: boolean;
  reason?: string;
  viaGrant?: boolean;
}

function expected(c: Case): Expected {
  if (c.action === 'audit:read') return { allow: false, reason: 'action_not_for_resource' };
  if (!c.enabled && VIDEO.includes(c.action)) return { allow: false, reason: 'camera_disabled' };

  const own = OWN_RIGHTS.some(
    ([role, cams, rels, actions, when]) =>
      role === c.role &&
      cams.includes(c.cam) &&
      rels.includes(c.rel) &&
      actions.includes(c.action) &&
      (when === 'always' || (when === 'committee_may_view' && c.committeeMayView) || (when === 'delegated' && c.delegated)),
  );
  if (own) return { allow: true };

  if (GRANT_HOLDERS.includes(c.role) && GRANT_CAN_UNLOCK[c.cam].includes(c.action)) {
    if (c.grant === 'none') return { allow: false, reason: missingGrantReason(c.cam, c.rel) };
    const outcome = grantOutcome(c.grant, c.action);
    return outcome === null ? { allow: true, viaGrant: true } : { allow: false, reason: outcome };
  }
  const reason = denialReason(c.role, c.cam, c.rel, c.action);
  return reason === undefined ? { allow: false } : { allow: false, reason };
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const NOW = new Date('2025-03-01T02:30:00Z');
const at = (minutes: number): Date => new Date(NOW.getTime() + minutes * 60_000);
const ME = 'user-me';
const SOMEONE_ELSE = 'user-other';

function subjectFor(role: Role): Subject {
  const police = GRANT_HOLDERS.includes(role);
  const local = role === 'village_committee' || role === 'household_owner';
  return {
    userId: ME,
    role,
    jurisdictionId: police ? 'S1' : local ? 'V1' : 'province',
    stationId: police || local ? 'S1' : null,
    villageId: local ? 'V1' : null,
  };
}

function cameraFor(cam: Cam, rel: Rel, enabled: boolean, delegated: boolean): CameraResource {
  const household = cam.startsWith('household');
  const place = {
    owner: { stationId: 'S1', villageId: 'V1' },
    own_village: { stationId: 'S1', villageId: 'V1' },
    same_station: { stationId: 'S1', villageId: 'V2' },
    other_station: { stationId: 'S2', villageId: 'V9' },
  }[rel];
  return {
    kind: 'camera',
    id: 'cam-1',
    ownerClass: household ? 'household' : (cam as 'police' | 'village'),
    stationId: place.stationId,
    villageId: cam === 'police' ? null : place.villageId,
    ownerUserId: household ? (rel === 'owner' ? ME : SOMEONE_ELSE) : null,
    sharingMode: household ? (cam.split(':')[1] as CameraResource['sharingMode']) : null,
    delegatedToCommittee: household && delegated,
    enabled,
  };
}

const ASKED_FOOTAGE = { from: at(-25), to: at(-10) };

function grantFor(variant: GrantVariant, action: Action): GrantView | null {
  if (variant === 'none') return null;
  const base: GrantView = {
    id: 'grant-1',
    state: 'approved',
    granteeUserId: ME,
    cameraIds: new Set(['cam-1', 'cam-2']),
    actions: new Set(VIDEO),
    footage: { from: at(-30), to: at(0) },
    live: { from: at(-5), to: at(20) },
    expiresAt: at(60),
    emergency: false,
    caseNo: 'YG-2025-0301',
  };
  switch (variant) {
    case 'valid':
    case 'no_footage_asked':
      return base;
    case 'expired':
      return { ...base, expiresAt: at(-1) };
    case 'other_camera':
      return { ...base, cameraIds: new Set(['cam-2']) };
    case 'other_user':
      return { ...base, granteeUserId: SOMEONE_ELSE };
    case 'other_action':
      return { ...base, actions: new Set(VIDEO.filter((a) => a !== action)) };
    case 'footage_outside':
      return { ...base, footage: { from: at(-20), to: at(0) } };
    case 'live_window_closed':
      return { ...base, live: { from: at(-120), to: at(-60) } };
    case 'revoked':
      return { ...base, state: 'revoked' };
    case 'pending':
      return { ...base, state: 'pending' };
  }
}

function contextFor(c: Case): DecisionContext {
  return {
    now: NOW,
    grant: grantFor(c.grant, c.action),
    footage: c.grant === 'no_footage_asked' ? null : ASKED_FOOTAGE,
    villageCommitteeMayView: c.committeeMayView,
    leewayMs: 0,
  };
}

function* allCases(): Generator<Case> {
  for (const role of ROLES)
    for (const cam of ALL_CAMS)
      for (const rel of ANYWHERE) {
        if (rel === 'owner' && !cam.startsWith('household')) continue; // only home cameras have owners
        for (const enabled of [true, false])
          for (const delegated of cam.startsWith('household') ? [false, true] : [false])
            for (const committeeMayView of [false, true])
              for (const action of ACTIONS)
                for (const grant of GRANT_VARIANTS) yield { role, cam, rel, enabled, delegated, committeeMayView, action, grant };
      }
}

// ---------------------------------------------------------------------------------------------

describe('decide() on cameras: exhaustive table', () => {
  const cases = [...allCases()];

  it('matches the expected-outcome table for every combination', () => {
    const mismatches: string[] = [];
    for (const c of cases) {
      const want = expected(c);
      const got = decide(subjectFor(c.role), c.action, cameraFor(c.cam, c.rel, c.enabled, c.delegated), contextFor(c));
      const bad =
        got.allow !== want.allow ||
        (want.reason !== undefined && got.reason !== want.reason) ||
        (want.viaGrant === true && got.reason !== 'grant') ||
        (want.allow && want.viaGrant !== true && got.reason === 'grant');
      if (bad) mismatches.push(`${JSON.stringify(c)} → got ${got.allow}/${got.reason}, want ${want.allow}/${want.reason ?? '*'}`);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(cases.length).toBeGreaterThan(50_000);
  });

  it('covers every role, sharing mode and action, with allows and denies for each role', () => {
    const seen = new Map<Role, { allow: number; deny: number }>();
    for (const c of cases) {
      const s = seen.get(c.role) ?? { allow: 0, deny: 0 };
      if (expected(c).allow) s.allow++;
      else s.deny++;
      seen.set(c.role, s);
    }
    for (const role of ROLES) {
      expect(seen.get(role)?.deny).toBeGreaterThan(0);
      if (role !== 'auditor') expect(seen.get(role)?.allow, role).toBeGreaterThan(0);
    }
    for (const mode of SHARING_MODES) expect(cases.some((c) => c.cam === `household:${mode}`)).toBe(true);
    for (const action of ACTIONS) expect(cases.some((c) => c.action === action)).toBe(true);
  });

  it('every decision carries a known reason code and a message', () => {
    const known = new Set(Object.keys(REASONS));
    for (const c of cases.filter((_, i) => i % 7 === 0)) {
      const got = decide(subjectFor(c.role), c.action, cameraFor(c.cam, c.rel, c.enabled, c.delegated), contextFor(c));
      expect(known.has(got.reason), got.reason).toBe(true);
      expect(got.message.length).toBeGreaterThan(5);
    }
  });
});

describe('decide() on cameras: key cases spelled out', () => {
  const ctx = (over: Partial<DecisionContext> = {}): DecisionContext => ({
    now: NOW,
    villageCommitteeMayView: false,
    leewayMs: 0,
    ...over,
  });
  const officer = subjectFor('officer');

  it('an officer watches live and moves a police camera of their own station', () => {
    const cam = cameraFor('police', 'same_station', true, false);
    expect(decide(officer, 'live', cam, ctx())).toMatchObject({ allow: true, reason: 'own_station' });
    expect(decide(officer, 'ptz', cam, ctx())).toMatchObject({ allow: true, reason: 'own_station' });
  });

  it('scenario 1: a partner investigator plays back 02:00-04:00 under an approved grant, constrained to it', () => {
    const inv = subjectFor('investigator');
    const cam = cameraFor('police', 'other_station', true, false);
    const grant = grantFor('valid', 'playback')!;
    const d = decide(inv, 'playback', cam, ctx({ grant, footage: ASKED_FOOTAGE }));
    expect(d).toMatchObject({ allow: true, reason: 'grant' });
    expect(d.constraints).toEqual({ until: grant.expiresAt, footage: grant.footage, grantId: 'grant-1' });
    expect(decide(inv, 'playback', cam, ctx({ footage: ASKED_FOOTAGE })).reason).toBe('other_station');
  });

  it('live under a grant is bounded by the earlier of expiry and live-window end', () => {
    const cam = cameraFor('police', 'other_station', true, false);
    const grant = grantFor('valid', 'live')!;
    expect(decide(officer, 'live', cam, ctx({ grant })).constraints).toEqual({ until: at(20), grantId: 'grant-1' });
    const short = { ...grant, expiresAt: at(10) };
    expect(decide(officer, 'live', cam, ctx({ grant: short })).constraints.until).toEqual(at(10));
  });

  it('leeway applies to expiry, live window and footage window edges', () => {
    const cam = cameraFor('police', 'other_station', true, false);
    const grant = { ...grantFor('valid', 'live')!, expiresAt: at(-0.5) }; // expired 30 s ago
    expect(decide(officer, 'live', cam, ctx({ grant })).reason).toBe('grant_expired');
    expect(decide(officer, 'live', cam, ctx({ grant, leewayMs: 60_000 })).allow).toBe(true);
    const slightlyEarly = { from: at(-30.5), to: at(-10) };
    expect(decide(officer, 'playback', cam, ctx({ grant: grantFor('valid', 'playback'), footage: slightlyEarly })).reason).toBe(
      'footage_outside_grant',
    );
    expect(
      decide(officer, 'playback', cam, ctx({ grant: grantFor('valid', 'playback'), footage: slightlyEarly, leewayMs: 60_000 })).allow,
    ).toBe(true);
    // exactly at expiry counts as expired
    const edge = { ...grantFor('valid', 'live')!, expiresAt: NOW };
    expect(decide(officer, 'live', cam, ctx({ grant: edge })).reason).toBe('grant_expired');
  });

  it('a footage window that ends before it starts is refused', () => {
    const cam = cameraFor('police', 'other_station', true, false);
    const d = decide(officer, 'export', cam, ctx({ grant: grantFor('valid', 'export'), footage: { from: at(-10), to: at(-20) } }));
    expect(d.reason).toBe('footage_invalid');
  });

  it('never_live: a grant cannot open live or stills, only footage; the owner still watches live', () => {
    const cam = cameraFor('household:never_live', 'same_station', true, false);
    const grant = grantFor('valid', 'live');
    expect(decide(officer, 'live', cam, ctx({ grant })).reason).toBe('never_live');
    expect(decide(officer, 'snapshot', cam, ctx({ grant })).reason).toBe('never_live');
    expect(decide(officer, 'playback', cam, ctx({ grant, footage: ASKED_FOOTAGE })).reason).toBe('grant');
    const owner = subjectFor('household_owner');
    const own = cameraFor('household:never_live', 'owner', true, false);
    expect(decide(owner, 'live', own, ctx()).reason).toBe('own_camera');
  });

  it('scenario 3: "police of my station may view" vs "only on request"', () => {
    const station = cameraFor('household:station', 'same_station', true, false);
    const onRequest = cameraFor('household:on_request', 'same_station', true, false);
    expect(decide(officer, 'live', station, ctx())).toMatchObject({ allow: true, reason: 'own_station_household' });
    expect(decide(officer, 'ptz', station, ctx()).reason).toBe('ptz_not_allowed');
    expect(decide(officer, 'live', onRequest, ctx()).reason).toBe('sharing_mode_on_request_needs_grant');
    expect(decide(officer, 'live', onRequest, ctx({ grant: grantFor('valid', 'live') })).reason).toBe('grant');
    expect(decide(officer, 'live', cameraFor('household:station', 'other_station', true, false), ctx()).reason).toBe(
      'other_station',
    );
  });

  it('a disabled camera shows no video to anyone, owner included, but can still be managed', () => {
    const cam = cameraFor('household:station', 'owner', false, false);
    expect(decide(subjectFor('household_owner'), 'live', cam, ctx()).reason).toBe('camera_disabled');
    expect(decide(subjectFor('household_owner'), 'manage', cam, ctx()).allow).toBe(true);
  });

  it('village committee: enrols and manages its village, views village cameras only when configured, never police', () => {
    const vc = subjectFor('village_committee');
    const villageCam = cameraFor('village', 'own_village', true, false);
    expect(decide(vc, 'enrol', cameraFor('household:on_request', 'own_village', true, false), ctx()).allow).toBe(true);
    expect(decide(vc, 'live', villageCam, ctx()).reason).toBe('committee_view_disabled');
    expect(decide(vc, 'live', villageCam, ctx({ villageCommitteeMayView: true })).reason).toBe('own_village');
    expect(decide(vc, 'export', villageCam, ctx({ villageCommitteeMayView: true })).allow).toBe(false);
    expect(decide(vc, 'live', cameraFor('police', 'own_village', true, false), ctx({ villageCommitteeMayView: true })).reason).toBe(
      'police_camera',
    );
    expect(decide(vc, 'manage', cameraFor('village', 'same_station', true, false), ctx()).reason).toBe('other_village');
  });

  it('approval routing: owner, delegated committee, duty officer for station cameras only', () => {
    const onReq = cameraFor('household:on_request', 'owner', true, false);
    const onReqDelegated = cameraFor('household:on_request', 'own_village', true, true);
    expect(decide(subjectFor('household_owner'), 'approve', onReq, ctx()).reason).toBe('owner_approval');
    expect(decide(subjectFor('village_committee'), 'approve', onReq, ctx()).reason).toBe('not_delegated');
    expect(decide(subjectFor('village_committee'), 'approve', onReqDelegated, ctx()).reason).toBe('delegated_approval');
    expect(decide(subjectFor('duty_officer'), 'approve', onReqDelegated, ctx()).reason).toBe('owner_consent_required');
    expect(decide(subjectFor('duty_officer'), 'approve', cameraFor('police', 'same_station', true, false), ctx()).reason).toBe(
      'station_duty',
    );
    expect(decide(subjectFor('duty_officer'), 'approve', cameraFor('police', 'other_station', true, false), ctx()).reason).toBe(
      'other_station',
    );
    expect(decide(subjectFor('officer'), 'approve', cameraFor('police', 'same_station', true, false), ctx()).reason).toBe('role_cannot');
  });

  it('system admin manages everything but sees no video', () => {
    const admin = subjectFor('system_admin');
    const cam = cameraFor('police', 'other_station', true, false);
    expect(decide(admin, 'manage', cam, ctx()).allow).toBe(true);
    expect(decide(admin, 'live', cam, ctx({ grant: { ...grantFor('valid', 'live')!, granteeUserId: ME } })).reason).toBe(
      'separation_of_duties',
    );
  });

  it('returns the same frozen object for repeated plain decisions (no allocation on the hot path)', () => {
    const cam = cameraFor('police', 'same_station', true, false);
    const a = decide(officer, 'live', cam, ctx());
    expect(decide(officer, 'live', cam, ctx())).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('decide() on stations and audit trails', () => {
  const ctx: DecisionContext = { now: NOW, villageCommitteeMayView: true };
  const station = { kind: 'station', id: 'S1' } as const;
  const otherStation = { kind: 'station', id: 'S2' } as const;
  const ownCamera = cameraFor('household:on_request', 'owner', true, false);
  const othersCamera = cameraFor('household:on_request', 'own_village', true, false);
  const auditAll: AuditResource = { kind: 'audit', camera: null };
  const auditOwn: AuditResource = { kind: 'audit', camera: ownCamera };
  const auditOthers: AuditResource = { kind: 'audit', camera: othersCamera };

  // [role, resource, action, allow]
  const TABLE: Array<[Role, 'own_station' | 'other_station' | 'audit_all' | 'audit_own' | 'audit_others', Action, boolean]> = [
    ['duty_officer', 'own_station', 'approve', true],
    ['duty_officer', 'other_station', 'approve', false],
    ['officer', 'own_station', 'approve', false],
    ['investigator', 'own_station', 'approve', false],
    ['village_committee', 'own_station', 'approve', false],
    ['system_admin', 'own_station', 'manage', true],
    ['system_admin', 'own_station', 'approve', false],
    ['auditor', 'own_station', 'approve', false],
    ['auditor', 'audit_all', 'audit:read', true],
    ['auditor', 'audit_own', 'audit:read', true],
    ['system_admin', 'audit_all', 'audit:read', true],
    ['household_owner', 'audit_own', 'audit:read', true],
    ['household_owner', 'audit_others', 'audit:read', false],
    ['household_owner', 'audit_all', 'audit:read', false],
    ['officer', 'audit_all', 'audit:read', false],
    ['duty_officer', 'audit_own', 'audit:read', false],
    ['village_committee', 'audit_all', 'audit:read', false],
    ['auditor', 'audit_all', 'live', false],
  ];
  const resources = { own_station: station, other_station: otherStation, audit_all: auditAll, audit_own: auditOwn, audit_others: auditOthers };

  it.each(TABLE)('%s on %s: %s → %s', (role, res, action, allow) => {
    expect(decide(subjectFor(role), action, resources[res], ctx).allow).toBe(allow);
  });

  it('every role × action on a station or audit resource gets a defined answer', () => {
    for (const role of ROLES)
      for (const action of ACTIONS)
        for (const r of Object.values(resources)) {
          const d = decide(subjectFor(role), action, r, ctx);
          expect(typeof d.allow).toBe('boolean');
          expect(d.reason in REASONS).toBe(true);
        }
  });
});
