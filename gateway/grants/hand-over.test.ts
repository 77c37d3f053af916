import { describe, expect, it } from 'vitest';
import type { Action, GrantState } from '../domain/types.ts';
import { covers, ownRequest, planHandOver } from './hand-over.ts';

const T = (h: number) => new Date(Date.UTC(2026, 10, 24, h));
const req = (id: string, cams: string[], actions: Action[] = ['playback'], from = 2, to = 4, state: GrantState = 'pending') => ({
  id, state, requestedCameraIds: cams, requestedActions: actions, requestedFootageFrom: T(from), requestedFootageTo: T(to),
});

describe('hand-over after the first requester withdraws', () => {
  it('the first open member leads', () => {
    expect(planHandOver(null, req('b', ['c1']))).toEqual({ parentId: null, kind: 'promoted' });
  });
  it('a later member rejoins the leader when the leader asked for everything it asked for', () => {
    const lead = req('b', ['c1', 'c2'], ['playback', 'export'], 1, 5);
    expect(planHandOver(lead, req('c', ['c1'], ['playback'], 2, 4))).toEqual({ parentId: 'b', kind: 'rejoined' });
  });
  it('otherwise it stands alone as its own request (its approval task must not depend on the leader’s)', () => {
    const lead = req('b', ['c1']);
    expect(planHandOver(lead, req('c', ['c2']))).toEqual({ parentId: null, kind: 'detached' });
    expect(planHandOver(lead, req('d', ['c1'], ['export']))).toMatchObject({ kind: 'detached' });
    expect(planHandOver(lead, req('e', ['c1'], ['playback'], 1, 4))).toMatchObject({ kind: 'detached' });
  });
  it('decided members follow the leader', () => {
    const lead = req('b', ['c1'], ['playback'], 2, 4, 'approved');
    expect(planHandOver(lead, req('c', ['c2'], ['playback'], 2, 4, 'approved'))).toEqual({ parentId: 'b', kind: 'rejoined' });
  });
  it('covers() and ownRequest()', () => {
    expect(covers(req('a', ['c1', 'c2']), req('b', ['c2']))).toBe(true);
    expect(covers(req('a', ['c1']), { ...req('b', ['c1']), requestedFootageFrom: null, requestedFootageTo: null })).toBe(true);
    expect(ownRequest(req('a', ['c1'], ['export']))).toEqual({ cameraIds: ['c1'], actions: ['export'], footageFrom: T(2), footageTo: T(4) });
  });
});
