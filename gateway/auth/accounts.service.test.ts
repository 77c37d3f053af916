import { describe, expect, it } from 'vitest';
import { passwordRule } from './accounts.service.ts';

const owner = (activated: boolean) => ({ role: 'household_owner' as const, jurisdictionId: 'v1', activated });

describe('passwordRule', () => {
  it('a committee activates its own village’s never-activated owners', () => {
    expect(passwordRule({ role: 'village_committee', villageId: 'v1' }, owner(false))).toEqual({ allow: true, kind: 'activate' });
  });
  it('a committee may not reset an owner who already activated (it could then act as them)', () => {
    expect(passwordRule({ role: 'village_committee', villageId: 'v1' }, owner(true))).toMatchObject({ allow: false, reason: 'account_already_active' });
  });
  it('a committee may not touch another village’s owners or anyone else', () => {
    expect(passwordRule({ role: 'village_committee', villageId: 'v2' }, owner(false))).toMatchObject({ allow: false, reason: 'not_own_village_owner' });
    expect(passwordRule({ role: 'village_committee', villageId: 'v1' }, { role: 'officer', jurisdictionId: 'v1', activated: false })).toMatchObject({ allow: false });
  });
  it('a system admin activates or resets; other roles never', () => {
    expect(passwordRule({ role: 'system_admin', villageId: null }, owner(true))).toEqual({ allow: true, kind: 'reset' });
    expect(passwordRule({ role: 'system_admin', villageId: null }, owner(false))).toEqual({ allow: true, kind: 'activate' });
    expect(passwordRule({ role: 'duty_officer', villageId: null }, owner(false))).toMatchObject({ allow: false, reason: 'role_cannot' });
  });
});
