// Who records, and with what settings: per-class defaults from config, the camera's own overrides merged
// over them, and consent: police and village cameras by default, household only with the owner's consent.
import type { RecordingPolicyRow } from '../../repositories/recordings.repository.ts';

export type OwnerClass = 'police' | 'village' | 'household';

export interface ClassSettings {
  retentionDays: number;
  /** Bytes the class may hold on disk (0 = no quota). */
  quotaBytes: number;
}

export interface RecordingConfig {
  enabled: boolean;
  dir: string;
  segmentSeconds: number;
  /** Below this free space on the store's file system, the oldest unheld footage goes first. */
  minFreeBytes: number;
  classes: Record<OwnerClass, ClassSettings & { record: boolean }>;
}

export interface CameraRecordingPlan {
  cameraId: string;
  ownerClass: OwnerClass;
  record: boolean;
  /** Why not, when not (for the operator's listing). */
  why: 'class_default' | 'camera_setting' | 'consent' | 'no_consent' | 'disabled' | 'recording_off';
  segmentSeconds: number;
  retentionDays: number;
}

export const DEFAULT_RECORDING: RecordingConfig = {
  enabled: false,
  dir: './data/recordings',
  segmentSeconds: 10,
  minFreeBytes: 2 * 1024 ** 3,
  classes: {
    police: { record: true, retentionDays: 30, quotaBytes: 0 },
    village: { record: true, retentionDays: 30, quotaBytes: 0 },
    household: { record: false, retentionDays: 7, quotaBytes: 0 },
  },
};

const num = (v: unknown, min: number, max: number): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : undefined;

export function planFor(row: RecordingPolicyRow, cfg: RecordingConfig): CameraRecordingPlan {
  const cls = (['police', 'village', 'household'].includes(row.ownerClass) ? row.ownerClass : 'household') as OwnerClass;
  const defaults = cfg.classes[cls];
  const o = row.overrides;
  const segmentSeconds = num(o['segmentSeconds'], 2, 60) ?? cfg.segmentSeconds;
  const retentionDays = num(o['retentionDays'], 1, 3650) ?? defaults.retentionDays;
  const base = { cameraId: row.cameraId, ownerClass: cls, segmentSeconds, retentionDays };
  if (!cfg.enabled) return { ...base, record: false, why: 'recording_off' };
  if (!row.enabled) return { ...base, record: false, why: 'disabled' };
  if (cls === 'household') {
    // the owner's consent is the ceiling: no operator setting records a home camera without it
    if (row.consentAllowed !== true) return { ...base, record: false, why: 'no_consent' };
    if (row.cameraAllowed === false) return { ...base, record: false, why: 'camera_setting' };
    return { ...base, record: true, why: 'consent' };
  }
  if (row.cameraAllowed !== null) return { ...base, record: row.cameraAllowed, why: 'camera_setting' };
  return { ...base, record: defaults.record, why: 'class_default' };
}
