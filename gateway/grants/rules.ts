// Pure checks of a request against an agreement, and of a narrowing against a request. No I/O.
import type { Action, TimeWindow } from '../domain/types.ts';
import type { Agreement } from '../repositories/agreements.repository.ts';

export const GRANTABLE_ACTIONS = ['live', 'playback', 'export', 'snapshot', 'ptz'] as const satisfies readonly Action[];
export type GrantableAction = (typeof GRANTABLE_ACTIONS)[number];
export const FOOTAGE_ACTIONS: ReadonlySet<Action> = new Set(['playback', 'export']);
export const WATCH_ACTIONS: ReadonlySet<Action> = new Set(['live', 'snapshot', 'ptz']);

/** Limits for requests inside one's own station (home cameras shared only on request): no agreement applies. */
export const OWN_STATION_LIMITS = { maxFootageHours: 72, maxGrantMinutes: 8 * 60 } as const;

export interface RequestShape {
  actions: readonly Action[];
  footage: TimeWindow | null;
  lifetimeMinutes: number | null;
  emergency: boolean;
}

export type AgreementProblem =
  | { code: 'action_not_allowed'; message: string; actions: Action[] }
  | { code: 'window_too_long'; message: string; hours: number; maxHours: number }
  | { code: 'lifetime_too_long'; message: string; minutes: number; maxMinutes: number }
  | { code: 'emergency_not_allowed'; message: string }
  | { code: 'agreement_not_in_force'; message: string };

const hours = (w: TimeWindow): number => (w.to.getTime() - w.from.getTime()) / 3_600_000;

/** The first way the request breaks the agreement, or null; and the lifetime it will get. */
export function checkAgainstAgreement(
  a: Pick<Agreement, 'code' | 'allowedActions' | 'maxFootageHours' | 'maxGrantMinutes' | 'emergencyAllowed' | 'emergencyMinutes' | 'active' | 'validFrom' | 'validTo'>,
  r: RequestShape,
  now: Date,
): { problem: AgreementProblem | null; lifetimeMinutes: number } {
  const lifetime = r.emergency ? (a.emergencyMinutes ?? 0) : (r.lifetimeMinutes ?? a.maxGrantMinutes);
  const fail = (problem: AgreementProblem) => ({ problem, lifetimeMinutes: lifetime });
  if (!a.active || a.validFrom > now || (a.validTo !== null && a.validTo <= now)) {
    return fail({ code: 'agreement_not_in_force', message: `agreement ${a.code} is not in force` });
  }
  const notAllowed = r.actions.filter((x) => !a.allowedActions.includes(x));
  if (notAllowed.length) {
    return fail({ code: 'action_not_allowed', message: `agreement ${a.code} does not allow: ${notAllowed.join(', ')}`, actions: notAllowed });
  }
  if (r.footage && hours(r.footage) > a.maxFootageHours) {
    return fail({
      code: 'window_too_long',
      message: `footage window of ${hours(r.footage).toFixed(1)} h exceeds agreement ${a.code}'s ${a.maxFootageHours} h`,
      hours: hours(r.footage),
      maxHours: a.maxFootageHours,
    });
  }
  if (r.emergency && !a.emergencyAllowed) {
    return fail({ code: 'emergency_not_allowed', message: `agreement ${a.code} does not allow emergency grants` });
  }
  if (!r.emergency && lifetime > a.maxGrantMinutes) {
    return fail({
      code: 'lifetime_too_long',
      message: `grant lifetime of ${lifetime} min exceeds agreement ${a.code}'s ${a.maxGrantMinutes} min`,
      minutes: lifetime,
      maxMinutes: a.maxGrantMinutes,
    });
  }
  return { problem: null, lifetimeMinutes: lifetime };
}

export const within = (inner: TimeWindow, outer: TimeWindow): boolean =>
  inner.from.getTime() >= outer.from.getTime() && inner.to.getTime() <= outer.to.getTime();

export const overlaps = (a: TimeWindow, b: TimeWindow): boolean =>
  a.from.getTime() < b.to.getTime() && b.from.getTime() < a.to.getTime();

export const hull = (a: TimeWindow, b: TimeWindow): TimeWindow => ({
  from: a.from < b.from ? a.from : b.from,
  to: a.to > b.to ? a.to : b.to,
});

export function intersect(a: TimeWindow, b: TimeWindow): TimeWindow | null {
  const from = a.from > b.from ? a.from : b.from;
  const to = a.to < b.to ? a.to : b.to;
  return from <= to ? { from, to } : null;
}

export const isSubset = <T>(inner: readonly T[], outer: readonly T[]): boolean => inner.every((x) => outer.includes(x));
export const union = <T>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])];
