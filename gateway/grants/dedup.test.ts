import { describe, expect, it } from 'vitest';
import type { Agreement } from '../repositories/agreements.repository.ts';
import { matchCandidate } from './dedup.ts';

const T = (h: number) => new Date(Date.UTC(2026, 10, 24, h));
const NOW = T(12);
const pending = {
  state: 'pending' as const, requestedCameraIds: ['c1', 'c2'], cameraIds: ['c1', 'c2'], requestedActions: ['playback' as const], actions: ['playback' as const],
  requestedFootageFrom: T(2), requestedFootageTo: T(4), footageFrom: T(2), footageTo: T(4), lifetimeMinutes: 60,
};
const agreement = { code: 'A', allowedActions: ['playback', 'export'], maxFootageHours: 3, maxGrantMinutes: 120, emergencyAllowed: false, emergencyMinutes: null, active: true, validFrom: T(0), validTo: null } as unknown as Agreement;

describe('matchCandidate', () => {
  it('a request inside an open one is contained (join it)', () => {
    expect(matchCandidate(pending, { cameraIds: ['c1'], actions: ['playback'], footage: { from: T(2), to: T(3) } }, agreement, NOW)).toEqual({ kind: 'contained' });
  });
  it('an overlapping request widens a pending one when the agreement allows the hull', () => {
    expect(matchCandidate(pending, { cameraIds: ['c2', 'c3'], actions: ['export'], footage: { from: T(3), to: T(5) } }, agreement, NOW)).toEqual({
      kind: 'extend', cameraIds: ['c1', 'c2', 'c3'], actions: ['playback', 'export'], footage: { from: T(2), to: T(5) }, addedCameraIds: ['c3'],
    });
  });
  it('not when the widened window breaks the agreement, nor when nothing is shared, nor for an approved grant', () => {
    expect(matchCandidate(pending, { cameraIds: ['c2'], actions: ['playback'], footage: { from: T(3), to: T(6) } }, agreement, NOW)).toBeNull();
    expect(matchCandidate(pending, { cameraIds: ['c9'], actions: ['playback'], footage: { from: T(2), to: T(3) } }, agreement, NOW)).toBeNull();
    expect(matchCandidate({ ...pending, state: 'approved' }, { cameraIds: ['c2', 'c3'], actions: ['playback'], footage: { from: T(2), to: T(3) } }, agreement, NOW)).toBeNull();
  });
  it('an approved grant is compared with what was granted, not what was asked', () => {
    const approved = { ...pending, state: 'approved' as const, cameraIds: ['c1'] };
    expect(matchCandidate(approved, { cameraIds: ['c2'], actions: ['playback'], footage: { from: T(2), to: T(3) } }, agreement, NOW)).toBeNull();
    expect(matchCandidate(approved, { cameraIds: ['c1'], actions: ['playback'], footage: { from: T(2), to: T(3) } }, agreement, NOW)).toEqual({ kind: 'contained' });
  });
});
