// Which grant a play token is issued under when the caller named none: the only case that allows it, or none.
import type { Decision, GrantView, Uuid } from '../domain/types.ts';

export interface GrantOption {
  view: GrantView;
  decision: Decision;
}

export type GrantPick =
  | { kind: 'allowed'; view: GrantView; decision: Decision }
  | { kind: 'refused'; view: GrantView; decision: Decision }
  | { kind: 'ambiguous'; grants: Array<{ grantId: Uuid; caseNo: string }> }
  | { kind: 'none' };

/**
 * One case allows it: its first allowing grant. Several cases allow it: ambiguous (the caller must say which).
 * None allows it: the first grant's refusal, so the caller learns why (e.g. footage outside its window).
 */
export function pickGrant(options: readonly GrantOption[]): GrantPick {
  const allowed = options.filter((o) => o.decision.allow);
  const cases = new Set(allowed.map((o) => o.view.caseNo));
  if (cases.size > 1) {
    return { kind: 'ambiguous', grants: allowed.map((o) => ({ grantId: o.view.id, caseNo: o.view.caseNo })) };
  }
  if (allowed.length > 0) return { kind: 'allowed', view: allowed[0]!.view, decision: allowed[0]!.decision };
  if (options.length > 0) return { kind: 'refused', view: options[0]!.view, decision: options[0]!.decision };
  return { kind: 'none' };
}
