import { describe, expect, it } from 'vitest';
import type { Action, CameraResource, SharingMode, Subject } from '../domain/types.ts';
import { effectiveFootage, routeCamera, type CameraFacts } from './planning.ts';

const NOW = new Date('2026-11-24T03:00:00Z');
const partner: Subject = { userId: 'me', role: 'investigator', jurisdictionId: 'S2', stationId: 'S2', villageId: null };
const own: Subject = { ...partner, jurisdictionId: 'S1', stationId: 'S1' };

function cam(over: Partial<CameraResource> = {}, facts: Partial<Omit<CameraFacts, 'resource'>> = {}): CameraFacts {
  return {
    resource: { kind: 'camera', id: 'c1', ownerClass: 'police', stationId: 'S1', villageId: null, ownerUserId: null, sharingMode: null, delegatedToCommittee: false, enabled: true, ...over },
    ownerActive: true,
    emergencyBypass: false,
    ...facts,
  };
}
const home = (mode: SharingMode, facts: Partial<Omit<CameraFacts, 'resource'>> = {}, over: Partial<CameraResource> = {}) =>
  cam({ ownerClass: 'household', villageId: 'V1', ownerUserId: 'owner', sharingMode: mode, ...over }, facts);
const route = (c: CameraFacts, actions: Action[], emergency = false, actor = partner) =>
  routeCamera(c, { actor, actions, emergency, context: { now: NOW, villageCommitteeMayView: true } });

describe('routeCamera', () => {
  it('police cameras of a partner go to the station; of one’s own station they are not needed', () => {
    expect(route(cam(), ['playback'])).toEqual({ to: 'station' });
    expect(route(cam(), ['playback'], false, own)).toMatchObject({ excluded: 'not_needed', refuse: false });
  });
  it('a disabled camera is refused when named', () => {
    expect(route(cam({ enabled: false }), ['playback'])).toMatchObject({ excluded: 'camera_disabled', refuse: true });
  });
  it('never_live refuses live and stills at request time (named: refused), footage still goes to the owner', () => {
    expect(route(home('never_live'), ['live'])).toMatchObject({ excluded: 'never_live', refuse: true });
    expect(route(home('never_live'), ['snapshot', 'playback'])).toMatchObject({ excluded: 'never_live' });
    expect(route(home('never_live'), ['playback'])).toEqual({ to: 'owner' });
    // Not even an emergency with the owner's bypass: never_live stays live-proof.
    expect(route(home('never_live', { emergencyBypass: true }), ['live'], true)).toMatchObject({ excluded: 'never_live', refuse: false });
  });
  it('a home camera whose owner never activated an account and delegated nobody: no_approver, nothing is sent', () => {
    expect(route(home('on_request', { ownerActive: false }), ['playback'])).toMatchObject({ excluded: 'no_approver', refuse: false });
    expect(route(home('on_request', { ownerActive: false }, { ownerUserId: null }), ['playback'])).toMatchObject({ excluded: 'no_approver' });
    expect(route(home('on_request', { ownerActive: false }, { delegatedToCommittee: true }), ['playback'])).toEqual({ to: 'owner' });
    expect(route(home('on_request'), ['playback'])).toEqual({ to: 'owner' });
  });
  it('an emergency covers a home camera only if the owner allowed emergencies to bypass their choice', () => {
    for (const mode of ['on_request', 'station'] as const) {
      expect(route(home(mode), ['live', 'playback'], true)).toMatchObject({ excluded: 'owner_not_asked', refuse: false });
      expect(route(home(mode, { emergencyBypass: true }), ['live', 'playback'], true)).toEqual({ to: 'station' });
    }
    expect(route(cam(), ['live'], true)).toEqual({ to: 'station' });
  });
});

describe('effectiveFootage', () => {
  const h = (n: number) => new Date(NOW.getTime() + n * 3_600_000);
  it('a past window is kept as asked', () => {
    expect(effectiveFootage({ from: h(-3), to: h(-1) }, NOW)).toEqual({ footage: { from: h(-3), to: h(-1) }, note: null });
  });
  it('a window ending in the future is clamped to now, and says so', () => {
    const r = effectiveFootage({ from: h(-1), to: h(2) }, NOW);
    expect(r.footage).toEqual({ from: h(-1), to: NOW });
    expect(r.note).toMatchObject({ code: 'footage_clamped_to_now', requestedTo: h(2) });
  });
  it('a window starting now or later is refused', () => {
    expect(() => effectiveFootage({ from: h(1), to: h(2) }, NOW)).toThrow(/future/);
    expect(() => effectiveFootage({ from: NOW, to: h(2) }, NOW)).toThrow(/future/);
  });
  it('no window: nothing to do', () => {
    expect(effectiveFootage(null, NOW)).toEqual({ footage: null, note: null });
  });
});
