import { describe, expect, it } from 'vitest';
import { mayReceive } from './hub.ts';

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
