import { describe, expect, it } from 'vitest';
import type { Camera } from '../repositories/cameras.repository.ts';
import type { EnrolInput } from './enrolment.service.ts';
import { diffRow, ownerUsernameFor } from './row-diff.ts';

const existing = {
  name: '张秀英 1排3号', ownerClass: 'household', address: '1排3号', ownerName: '张秀英', ownerPhone: '138 0000 1000', lat: 37.421, lon: 117.841, sharingMode: 'station',
} as Camera;
const row = (over: Partial<EnrolInput> = {}): EnrolInput => ({
  host: 'h', port: 80, username: 'admin', password: 'pw', name: '张秀英 1排3号', ownerClass: 'household', lat: 37.421, lon: 117.841,
  address: '1排3号', ownerName: '张秀英', ownerPhone: '138 0000 1000', sharingMode: 'station', consentDate: '2026-10-01', ...over,
});
const zhang = { username: 'owner-13800001000', phone: '13800001000' };

describe('diffRow', () => {
  it('the same row changes nothing', () => {
    expect(diffRow(existing, row(), zhang, false)).toEqual({ fields: [], ownerChange: null });
  });
  it('a corrected name or a re-formatted phone of the same owner is not an owner change', () => {
    expect(diffRow(existing, row({ ownerName: '张秀英（女）' }), zhang, false)).toEqual({ fields: ['ownerName'], ownerChange: null });
    expect(diffRow(existing, row({ ownerPhone: '13800001000' }), zhang, false).ownerChange).toBeNull();
    // An owner enrolled by hand (account not named after the phone) is recognised by the phone too.
    expect(diffRow(existing, row(), { username: 'lize-xijie.owner', phone: '+86 138-0000-1000' }, false).ownerChange).toBeNull();
  });
  it('another phone is another owner', () => {
    const d = diffRow(existing, row({ ownerName: '李建国', ownerPhone: '13900002000', sharingMode: 'on_request' }), zhang, true);
    expect(d.ownerChange).toEqual({ fromUsername: 'owner-13800001000', toUsername: 'owner-13900002000' });
    expect(d.fields).toEqual(['ownerName', 'ownerPhone', 'sharingMode', 'credentials', 'owner']);
  });
  it('a camera without an owner account gets one', () => {
    expect(diffRow(existing, row(), null, false).ownerChange).toEqual({ fromUsername: null, toUsername: 'owner-13800001000' });
  });
  it('owner usernames are the phone’s digits', () => {
    expect(ownerUsernameFor('+86 138-0000-1000')).toBe('owner-8613800001000');
  });
});
