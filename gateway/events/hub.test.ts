import { describe, expect, it } from 'vitest';
import { eventFor, mayReceive } from './hub.ts';

const duty = { userId: 'u-duty', role: 'duty_officer', stationId: 'st-chengguan' };
const officer = { userId: 'u-off', role: 'officer', stationId: 'st-chengguan' };
const other = { userId: 'u-x', role: 'duty_officer', stationId: 'st-shouzhang' };
const auditor = { userId: 'u-aud', role: 'auditor', stationId: null };

describe('event routing', () => {
  it.each([
    ['station + role: the station’s duty officer', duty, { stationIds: ['st-chengguan'], roles: ['duty_officer'] }, true],
    ['station + role: not an officer of the station', officer, { stationIds: ['st-chengguan'], roles: ['duty_officer'] }, false],
    ['station, any role', officer, { stationIds: ['st-chengguan'] }, true],
    ['another station', other, { stationIds: ['st-chengguan'] }, false],
    ['named user', other, { userIds: ['u-x'] }, true],
    ['named user, even outside the station filter', other, { userIds: ['u-x'], stationIds: ['st-chengguan'], roles: ['duty_officer'] }, true],
    ['no station, not named', auditor, { stationIds: ['st-chengguan'] }, false],
    ['no audience: nobody', duty, {}, false],
  ] as const)('%s', (_n, r, audience, expected) => {
    expect(mayReceive(r, { type: 'x', payload: {}, ...audience } as never)).toBe(expected);
  });
});

describe('camera events follow scope()', () => {
  const home = { kind: 'camera', id: 'cam-home', ownerClass: 'household', stationId: 'st-lize', villageId: 'v-xijie', ownerUserId: 'u-owner', sharingMode: 'on_request', delegatedToCommittee: false, enabled: true } as const;
  const police = { ...home, id: 'cam-police', ownerClass: 'police', villageId: null, ownerUserId: null, sharingMode: null } as const;
  const e = { type: 'camera.state', stationIds: ['st-lize'], payload: { cameraId: 'cam-home', from: 'online', to: 'offline', reason: 'ONVIF 10.0.0.7:80 timed out' } };
  const at = (userId: string, role: string, villageId: string | null = null) => ({ userId, role, stationId: 'st-lize', villageId });

  it.each([
    ['the camera’s owner', at('u-owner', 'household_owner', 'v-xijie'), true],
    ['another owner of the station', at('u-neighbour', 'household_owner', 'v-dongjie'), false],
    ['the village’s committee', at('u-c1', 'village_committee', 'v-xijie'), true],
    ['another village’s committee', at('u-c2', 'village_committee', 'v-dongjie'), false],
    ['the auditor', at('u-aud', 'auditor'), false],
    ['the station’s officer', at('u-off', 'officer'), true],
  ] as const)('home camera state reaches %s: %s', (_n, r, expected) => {
    expect(mayReceive(r, e as never, home as never)).toBe(expected);
  });

  it('a committee does not hear about police cameras', () => {
    expect(mayReceive(at('u-c1', 'village_committee', 'v-xijie'), { ...e, payload: { ...e.payload, cameraId: 'cam-police' } } as never, police as never)).toBe(false);
  });

  it('only those who manage the camera read the failure detail (it names the device address)', () => {
    expect(eventFor(at('u-owner', 'household_owner', 'v-xijie'), e as never, home as never).payload.reason).toBe('ONVIF 10.0.0.7:80 timed out');
    expect(eventFor(at('u-c1', 'village_committee', 'v-xijie'), e as never, home as never).payload.reason).toBe('ONVIF 10.0.0.7:80 timed out');
    expect(eventFor(at('u-off', 'officer'), e as never, home as never).payload.reason).toBeNull();
    expect(eventFor(at('u-duty', 'duty_officer'), e as never, police as never).payload.reason).toBe('ONVIF 10.0.0.7:80 timed out');
    expect(eventFor(at('u-off', 'officer'), e as never, police as never).payload.reason).toBeNull();
  });

  it('an unknown camera reaches named users only', () => {
    expect(mayReceive(at('u-off', 'officer'), e as never, null)).toBe(false);
    expect(mayReceive(at('u-off', 'officer'), { ...e, userIds: ['u-off'] } as never, null)).toBe(true);
  });
});
