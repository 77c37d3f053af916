import { describe, expect, it } from 'vitest';
import type { CameraResource, Role, Subject } from '../domain/types.ts';
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
    expect(s.cameraFields(home)).toEqual({ owner: false, endpoint: false });
  });
  it('only managers see the device address', () => {
    expect(scope(subj('duty_officer')).cameraFields(cam())).toEqual({ owner: true, endpoint: true });
    expect(scope(subj('officer')).cameraFields(cam())).toEqual({ owner: true, endpoint: false });
    expect(scope(subj('investigator')).cameraFields(home)).toEqual({ owner: true, endpoint: false });
    expect(scope(subj('village_committee')).cameraFields(home).endpoint).toBe(true);
    expect(scope(subj('household_owner')).cameraFields(home).endpoint).toBe(true);
    expect(scope(subj('system_admin')).cameraFields(home)).toEqual({ owner: true, endpoint: true });
    // Out of scope: nothing.
    expect(scope(subj('officer', { stationId: 'S2' })).cameraFields(cam())).toEqual({ owner: false, endpoint: false });
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
