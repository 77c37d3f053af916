// Cameras straight into the database, for tests that need cameras but not enrolment.
import type { Gateway } from '../../gateway/compose.ts';
import type { OwnerClass, SharingMode, Uuid } from '../../gateway/domain/types.ts';

let seq = 0;

export interface TestCameraInput {
  stationCode: string;
  ownerClass: OwnerClass;
  sharingMode?: SharingMode | null;
  lat: number;
  lon: number;
  /** Household owner (a demo username); their village becomes the camera's village. */
  ownerUsername?: string;
  villageCode?: string;
  delegatedToCommittee?: boolean;
  name?: string;
}

export async function insertTestCamera(gw: Gateway, c: TestCameraInput): Promise<Uuid> {
  const station = await gw.repos.jurisdictions.byCode(c.stationCode);
  if (!station) throw new Error(`no station ${c.stationCode}`);
  const owner = c.ownerUsername ? await gw.repos.users.byUsername(c.ownerUsername) : undefined;
  if (c.ownerUsername && !owner) throw new Error(`no user ${c.ownerUsername}`);
  const village = c.villageCode ? await gw.repos.jurisdictions.byCode(c.villageCode) : undefined;
  const n = ++seq;
  return gw.repos.cameras.insert({
    deviceIdPrefix: `${c.stationCode.padEnd(8, '0').slice(0, 8)}00131`,
    name: c.name ?? `test camera ${n}`,
    ownerClass: c.ownerClass,
    stationId: station.id,
    villageId: c.ownerClass === 'police' ? null : (village?.id ?? owner?.jurisdictionId ?? null),
    ownerUserId: owner?.id ?? null,
    ownerName: null,
    ownerPhone: null,
    address: null,
    sharingMode: c.ownerClass === 'household' ? (c.sharingMode ?? 'on_request') : null,
    delegatedToCommittee: c.delegatedToCommittee ?? false,
    lat: c.lat,
    lon: c.lon,
    jurisdictionOverride: null,
    onvifHost: '127.0.0.1',
    onvifPort: 20000 + n,
    credentialsEnc: 'test.not.a.secret',
    deviceInfo: {},
    clockOffsetMs: 0,
    profiles: [],
    enabled: true,
    enrolledBy: null,
  });
}

/** Enrols simulator camera `c` through the API as `as` (demo password), its RTSP port allowed; returns the camera id. */
export async function enrolSimulated(
  t: { app: { inject: (o: object) => Promise<{ statusCode: number; body: string; json(): unknown }> }; login(u: string): Promise<string> },
  c: { host: string; httpPort: number; rtspPort: number },
  as: string,
  body: Record<string, unknown>,
): Promise<Uuid> {
  const r = await t.app.inject({
    method: 'POST', url: '/api/v1/cameras', headers: { authorization: `Bearer ${await t.login(as)}` },
    payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', mediaPorts: [c.rtspPort], ...body },
  });
  if (r.statusCode !== 201 && r.statusCode !== 200) throw new Error(`enrol ${as}: ${r.statusCode} ${r.body}`);
  return (r.json() as { id: Uuid }).id;
}
