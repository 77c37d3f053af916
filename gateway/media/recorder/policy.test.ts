import { describe, it, expect } from 'vitest';
import { DEFAULT_RECORDING, planFor } from './policy.ts';

const on = { ...DEFAULT_RECORDING, enabled: true };
const row = (o: Partial<Parameters<typeof planFor>[0]>) => ({
  cameraId: 'c', ownerClass: 'police', cameraAllowed: null, consentAllowed: null, overrides: {}, enabled: true, ...o,
});

describe('recording policy', () => {
  it.each([
    [row({}), true, 'class_default'],
    [row({ ownerClass: 'village' }), true, 'class_default'],
    [row({ cameraAllowed: false }), false, 'camera_setting'],
    [row({ ownerClass: 'household' }), false, 'no_consent'],
    [row({ ownerClass: 'household', cameraAllowed: true }), false, 'no_consent'],
    [row({ ownerClass: 'household', consentAllowed: true }), true, 'consent'],
    [row({ ownerClass: 'household', consentAllowed: true, cameraAllowed: false }), false, 'camera_setting'],
    [row({ enabled: false }), false, 'disabled'],
  ])('%o → %s (%s)', (r, record, why) => {
    expect(planFor(r, on)).toMatchObject({ record, why });
  });
  it('per-camera overrides merge over class defaults; bad values are ignored; off globally records nothing', () => {
    expect(planFor(row({ overrides: { retentionDays: 90, segmentSeconds: 4 } }), on)).toMatchObject({ retentionDays: 90, segmentSeconds: 4 });
    expect(planFor(row({ overrides: { retentionDays: -1, segmentSeconds: 'x' } }), on)).toMatchObject({ retentionDays: 30, segmentSeconds: 10 });
    expect(planFor(row({}), DEFAULT_RECORDING)).toMatchObject({ record: false, why: 'recording_off' });
  });
});
