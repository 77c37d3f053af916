import { describe, expect, it } from 'vitest';
import type { CameraResource, GrantView, Role, Subject } from '../domain/types.ts';
import { scope } from './scope.ts';

const subj = (role: Role, over: Partial<Subject> = {}): Subject => ({
  userId: `u-${role}`, role, jurisdictionId: 'j', stationId: ['auditor', 'system_admin'].includes(role) ? null : 'S1',
  villageId: ['village_committee', 'household_owner'].includes(role) ? 'V1' : null, ...over,
});
const cam = (over: Partial<CameraResource> = {}): CameraResource => ({
  kind: 'camera', id: 'c', ownerClass: 'police', stationId: 'S1', villageId: null, ownerUserId: null, sharingMode: null, delegatedToCommittee: false, enabled: true, ...over,
});
const home = cam({ ownerClass: 'household', villageId: 'V1', ownerUserId: 'u-household_owner', sharingMode: 'on_request' });
const villageCam = cam({ ownerClass: 'village', villageId: 'V1' });

describe('scope: cameras', () => {
  it('a committee lists its village’s village and home cameras, never a police camera', () => {
    const s = scope(subj('village_committee'));
    expect(s.cameras).toEqual({ villageId: 'V1', ownerClasses: ['village', 'household'] });
    expect(s.seesCamera(home)).toBe(true);
    expect(s.seesCamera(villageCam)).toBe(true);
    expect(s.seesCamera(cam({ villageId: 'V1' }))).toBe(false);
    expect(s.seesCamera({ ...home, villageId: 'V2' })).toBe(false);
  });
  it('police list their station; owners their own cameras', () => {
    expect(scope(subj('officer')).seesCamera(cam({ stationId: 'S2' }))).toBe(false);
    expect(scope(subj('household_owner')).seesCamera(home)).toBe(true);
    expect(scope(subj('household_owner', { userId: 'u-other' })).seesCamera(home)).toBe(false);
  });
  it('an auditor lists every camera but never owners’ names or addresses, nor device addresses', () => {
    const s = scope(subj('auditor'));
    expect(s.seesCamera(cam({ stationId: 'S9' }))).toBe(true);
    expect(s.cameraFields(home)).toEqual({ owner: false, endpoint: false, health: true });
  });
  it('only managers see the device address', () => {
    expect(scope(subj('duty_officer')).cameraFields(cam())).toEqual({ owner: true, endpoint: true, health: true });
    expect(scope(subj('officer')).cameraFields(cam())).toEqual({ owner: true, endpoint: false, health: true });
    expect(scope(subj('investigator')).cameraFields(home)).toEqual({ owner: true, endpoint: false, health: true });
    expect(scope(subj('village_committee')).cameraFields(home).endpoint).toBe(true);
    expect(scope(subj('household_owner')).cameraFields(home).endpoint).toBe(true);
    expect(scope(subj('system_admin')).cameraFields(home)).toEqual({ owner: true, endpoint: true, health: true });
    // Out of scope: nothing.
    expect(scope(subj('officer', { stationId: 'S2' })).cameraFields(cam())).toEqual({ owner: false, endpoint: false, health: false });
  });
});

describe('scope: grants', () => {
  const g = { requesterUserId: 'u-req', ownerStationId: 'S1', approverUserId: null, approverVillageId: null };
  it('requester, the owning station’s duty officer, approvers and auditors see a grant; others do not', () => {
    expect(scope(subj('investigator', { userId: 'u-req', stationId: 'S2' })).seesGrant(g)).toBe(true);
    expect(scope(subj('duty_officer')).seesGrant(g)).toBe(true);
    expect(scope(subj('auditor')).seesGrant(g)).toBe(true);
    expect(scope(subj('officer')).seesGrant(g)).toBe(false);
    expect(scope(subj('household_owner')).seesGrant({ ...g, approverUserId: 'u-household_owner' })).toBe(true);
    expect(scope(subj('village_committee')).seesGrant({ ...g, approverVillageId: 'V1' })).toBe(true);
  });
  it('grant views map to filters, or to nothing', () => {
    expect(scope(subj('duty_officer')).grants('inbox')).toEqual({ ownerStationId: 'S1', approverKind: 'station', topLevel: true });
    expect(scope(subj('officer')).grants('inbox')).toBeNull();
    expect(scope(subj('officer')).grants('station')).toBeNull();
    expect(scope(subj('officer')).grants('mine')).toEqual({ requesterUserId: 'u-officer' });
  });
});

describe('scope: cameras granted to the subject', () => {
  const now = new Date('2026-11-24T10:00:00Z');
  const partner = cam({ id: 'p1', stationId: 'S2' });
  const grant = (over: Partial<GrantView> = {}): GrantView => ({
    id: 'g', state: 'approved', granteeUserId: 'u-investigator', cameraIds: new Set(['p1']), actions: new Set(['playback']),
    footage: { from: new Date('2026-11-24T01:00:00Z'), to: new Date('2026-11-24T02:00:00Z') }, live: null,
    expiresAt: new Date('2026-11-24T12:00:00Z'), emergency: false, caseNo: 'C1', ...over,
  });
  it('an approved, unexpired grant issued to the subject and naming the camera lets the record be read, with no fields', () => {
    const s = scope(subj('investigator'));
    expect(s.seesCamera(partner)).toBe(false);
    expect(s.seesGrantedCamera(partner, [grant()], now)).toBe(true);
    expect(s.cameraFields(partner)).toEqual({ owner: false, endpoint: false, health: false });
  });
  it('not a pending, revoked or expired grant, one issued to someone else, or one for other cameras; not for non-police', () => {
    const s = scope(subj('investigator'));
    expect(s.seesGrantedCamera(partner, [], now)).toBe(false);
    for (const state of ['pending', 'revoked', 'expired', 'denied', 'withdrawn'] as const) expect(s.seesGrantedCamera(partner, [grant({ state })], now), state).toBe(false);
    expect(s.seesGrantedCamera(partner, [grant({ expiresAt: now })], now)).toBe(false);
    expect(s.seesGrantedCamera(partner, [grant({ granteeUserId: 'u-officer' })], now)).toBe(false);
    expect(s.seesGrantedCamera(partner, [grant({ cameraIds: new Set(['p2']) })], now)).toBe(false);
    expect(scope(subj('village_committee', { userId: 'u-investigator' })).seesGrantedCamera(partner, [grant()], now)).toBe(false);
  });
});
