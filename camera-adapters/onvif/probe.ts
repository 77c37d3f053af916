import { OnvifClient, type DeviceInformation, type MediaProfile, type OnvifClientOptions } from './client.ts';
import { OnvifError } from './errors.ts';

/** A probe learns the clock offset itself, so it takes everything a client does but that. */
export type ProbeOptions = Omit<OnvifClientOptions, 'clockOffsetMs'>;

export interface ProbedProfile extends MediaProfile {
  streamUri: string;
  /** Null when the device has no snapshot for this profile. */
  snapshotUri: string | null;
}

export interface ProbeResult {
  clockOffsetMs: number;
  device: DeviceInformation;
  profiles: ProbedProfile[];
}

const optional = (err: unknown): boolean =>
  err instanceof OnvifError && (err.code === 'not_supported' || err.code === 'soap_fault');

/** Everything an enrolment needs from one camera; any refused URI fails the whole probe (`uri_rejected`). */
export async function probeCamera(options: ProbeOptions): Promise<ProbeResult> {
  const client = new OnvifClient(options);
  try {
    await client.getSystemDateAndTime();
  } catch (err) {
    if (!optional(err)) throw err; // a device that faults on the clock may still accept offset 0
  }
  const device = await client.getDeviceInformation();
  const profiles: ProbedProfile[] = [];
  for (const profile of await client.getProfiles()) {
    const streamUri = await client.getStreamUri(profile.token);
    let snapshotUri: string | null = null;
    try {
      snapshotUri = await client.getSnapshotUri(profile.token);
    } catch (err) {
      if (!optional(err)) throw err;
    }
    profiles.push({ ...profile, streamUri, snapshotUri });
  }
  return { clockOffsetMs: client.clockOffsetMs, device, profiles };
}
