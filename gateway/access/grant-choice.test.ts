import { describe, expect, it } from 'vitest';
import type { Decision, GrantView } from '../domain/types.ts';
import { pickGrant } from './grant-choice.ts';

const view = (id: string, caseNo: string): GrantView => ({
  id, caseNo, state: 'approved', granteeUserId: 'u', cameraIds: new Set(['c']), actions: new Set(['playback']),
  footage: null, live: null, expiresAt: new Date(0), emergency: false,
});
const allow: Decision = { allow: true, reason: 'grant', message: '', constraints: {} };
const deny: Decision = { allow: false, reason: 'footage_outside_grant', message: 'no', constraints: {} };

describe('pickGrant', () => {
  it('no grants: none', () => {
    expect(pickGrant([]).kind).toBe('none');
  });
  it('one case allows (even through two grants): its first allowing grant', () => {
    const p = pickGrant([{ view: view('g0', 'A'), decision: deny }, { view: view('g1', 'A'), decision: allow }, { view: view('g2', 'A'), decision: allow }]);
    expect(p).toMatchObject({ kind: 'allowed', view: { id: 'g1' } });
  });
  it('two cases allow: ambiguous, listing the allowing grants with their cases', () => {
    const p = pickGrant([{ view: view('g1', 'A'), decision: allow }, { view: view('g2', 'B'), decision: allow }, { view: view('g3', 'C'), decision: deny }]);
    expect(p).toEqual({ kind: 'ambiguous', grants: [{ grantId: 'g1', caseNo: 'A' }, { grantId: 'g2', caseNo: 'B' }] });
  });
  it('a refusing grant of another case does not make it ambiguous', () => {
    expect(pickGrant([{ view: view('g1', 'A'), decision: allow }, { view: view('g2', 'B'), decision: deny }]).kind).toBe('allowed');
  });
  it('none allows: the first refusal, so the caller learns why', () => {
    expect(pickGrant([{ view: view('g1', 'A'), decision: deny }])).toMatchObject({ kind: 'refused', decision: { reason: 'footage_outside_grant' } });
  });
});
