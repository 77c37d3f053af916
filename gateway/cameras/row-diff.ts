// What a CSV row would change on an already-enrolled camera, pure: shown per row by the dry run, applied by the commit.
import type { Camera } from '../repositories/cameras.repository.ts';
import type { EnrolInput } from './enrolment.service.ts';

/** The account name a household owner gets from their phone number (digits only). */
export function ownerUsernameFor(phone: string): string {
  return `owner-${phone.replace(/[^0-9]/g, '')}`;
}

export interface RowDiff {
  /** Camera fields the row changes (credentials named, never shown). */
  fields: string[];
  /** A different person owns the camera now: new account, new consent, the old owner loses access. */
  ownerChange: { fromUsername: string | null; toUsername: string } | null;
}

/**
 * `currentOwner` is the camera's owner account (null when it has none). The owner is the same person when the row's
 * phone maps to that account or matches its phone; a changed name alone is a correction, not a new owner.
 */
export function diffRow(
  existing: Camera,
  i: EnrolInput,
  currentOwner: { username: string; phone: string | null } | null,
  credsChanged: boolean,
): RowDiff {
  const currentOwnerUsername = currentOwner?.username ?? null;
  const digits = (p: string | null | undefined) => (p ?? '').replace(/[^0-9]/g, '');
  const fields: string[] = [];
  if (i.name && i.name !== existing.name) fields.push('name');
  if ((i.address ?? null) !== existing.address) fields.push('address');
  if ((i.ownerName ?? null) !== existing.ownerName) fields.push('ownerName');
  if ((i.ownerPhone ?? null) !== existing.ownerPhone) fields.push('ownerPhone');
  if (Math.abs(i.lat - existing.lat) > 1e-9 || Math.abs(i.lon - existing.lon) > 1e-9) fields.push('location');
  if (existing.ownerClass === 'household' && i.sharingMode && i.sharingMode !== existing.sharingMode) fields.push('sharingMode');
  if (credsChanged) fields.push('credentials');
  let ownerChange: RowDiff['ownerChange'] = null;
  if (existing.ownerClass === 'household' && i.ownerClass === 'household' && !i.ownerUserId && i.ownerPhone) {
    const to = ownerUsernameFor(i.ownerPhone);
    const phone = digits(i.ownerPhone);
    const samePerson = to === currentOwnerUsername || (currentOwner !== null && phone !== '' && (digits(currentOwner.phone) === phone || digits(existing.ownerPhone) === phone));
    if (!samePerson) {
      ownerChange = { fromUsername: currentOwnerUsername, toUsername: to };
      if (!fields.includes('owner')) fields.push('owner');
    }
  }
  return { fields, ownerChange };
}
