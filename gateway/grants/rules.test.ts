import { describe, expect, it } from 'vitest';
import { checkAgainstAgreement, hull, intersect, within } from './rules.ts';

const now = new Date('2026-11-23T06:00:00Z');
const h = (n: number) => new Date(now.getTime() + n * 3_600_000);
const agreement = {
  code: 'yanggu-taiqian', allowedActions: ['playback', 'live', 'export', 'snapshot'] as const, maxFootageHours: 72, maxGrantMinutes: 480,
  emergencyAllowed: false, emergencyMinutes: null, active: true, validFrom: h(-1000), validTo: null,
};
const ok = { actions: ['playback' as const], footage: { from: h(-4), to: h(-2) }, lifetimeMinutes: null, emergency: false };

describe('checkAgainstAgreement', () => {
  it.each([
    ['within every limit', {}, null, 480],
    ['window too long', { footage: { from: h(-80), to: h(-1) } }, 'window_too_long', 480],
    ['action not allowed', { actions: ['ptz' as const] }, 'action_not_allowed', 480],
    ['lifetime too long', { lifetimeMinutes: 481 }, 'lifetime_too_long', 481],
    ['shorter lifetime kept', { lifetimeMinutes: 30 }, null, 30],
    ['emergency not allowed', { emergency: true }, 'emergency_not_allowed', 0],
  ] as const)('%s', (_n, over, problem, lifetime) => {
    const r = checkAgainstAgreement({ ...agreement, allowedActions: [...agreement.allowedActions] }, { ...ok, ...over }, now);
    expect(r.problem?.code ?? null).toBe(problem);
    expect(r.lifetimeMinutes).toBe(lifetime);
  });

  it('an agreement out of force refuses everything', () => {
    const r = checkAgainstAgreement({ ...agreement, allowedActions: ['playback'], validTo: h(-1) }, ok, now);
    expect(r.problem?.code).toBe('agreement_not_in_force');
  });

  it('emergency grants get the agreement’s emergency minutes', () => {
    const r = checkAgainstAgreement({ ...agreement, allowedActions: ['live'], emergencyAllowed: true, emergencyMinutes: 30 }, { ...ok, actions: ['live'], emergency: true }, now);
    expect(r).toEqual({ problem: null, lifetimeMinutes: 30 });
  });
});

describe('windows', () => {
  it('within, hull, intersect', () => {
    expect(within({ from: h(-3), to: h(-2) }, { from: h(-4), to: h(-2) })).toBe(true);
    expect(within({ from: h(-5), to: h(-2) }, { from: h(-4), to: h(-2) })).toBe(false);
    expect(hull({ from: h(-3), to: h(-2) }, { from: h(-5), to: h(-4) })).toEqual({ from: h(-5), to: h(-2) });
    expect(intersect({ from: h(-3), to: h(-1) }, { from: h(-2), to: h(0) })).toEqual({ from: h(-2), to: h(-1) });
    expect(intersect({ from: h(-3), to: h(-2) }, { from: h(-1), to: h(0) })).toBeNull();
  });
});
