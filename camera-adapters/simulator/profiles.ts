// The two media profiles every simulated camera offers (ONVIF tokens `main` and `sub`).

export type ProfileToken = 'main' | 'sub';

export interface MediaProfile {
  token: ProfileToken;
  name: string;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
}

export const PROFILES: Readonly<Record<ProfileToken, MediaProfile>> = {
  main: { token: 'main', name: 'MainStream', width: 1280, height: 720, fps: 25, bitrateKbps: 1024 },
  sub: { token: 'sub', name: 'SubStream', width: 640, height: 360, fps: 15, bitrateKbps: 256 },
};

export const PROFILE_TOKENS: readonly ProfileToken[] = ['main', 'sub'];

/** The profiles with the main stream's bitrate overridden (benchmarks stream 2 Mbit/s; the default stays 1 Mbit/s). */
export function profilesWith(o: { mainBitrateKbps?: number } = {}): Readonly<Record<ProfileToken, MediaProfile>> {
  if (o.mainBitrateKbps === undefined || o.mainBitrateKbps === PROFILES.main.bitrateKbps) return PROFILES;
  return { main: { ...PROFILES.main, bitrateKbps: o.mainBitrateKbps }, sub: PROFILES.sub };
}

export function isProfileToken(value: string): value is ProfileToken {
  return value === 'main' || value === 'sub';
}
