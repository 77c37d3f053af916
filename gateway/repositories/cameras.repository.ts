import type { Queryable } from '../db/pool.ts';
import type { CameraResource, OwnerClass, SharingMode, Uuid } from '../domain/types.ts';

export interface CameraProfile {
  token: string;
  name: string;
  encoding: string;
  width: number;
  height: number;
  fps: number | null;
  bitrateKbps: number | null;
  streamUri: string;
  snapshotUri: string | null;
}

export interface Camera {
  id: Uuid;
  deviceId: string;
  name: string;
  ownerClass: OwnerClass;
  stationId: Uuid;
  villageId: Uuid | null;
  ownerUserId: Uuid | null;
  ownerName: string | null;
  ownerPhone: string | null;
  address: string | null;
  sharingMode: SharingMode | null;
  delegatedToCommittee: boolean;
  lat: number;
  lon: number;
  jurisdictionOverride: string | null;
  onvifHost: string;
  onvifPort: number;
  credentialsEnc: string;
  deviceInfo: Record<string, unknown>;
  clockOffsetMs: number;
  profiles: CameraProfile[];
  /** Media ports the operator allowed for this camera at enrolment (on top of cameras.mediaPorts). */
  mediaPorts: number[];
  enabled: boolean;
  enrolledBy: Uuid | null;
  createdAt: Date;
  updatedAt: Date;
  removedAt: Date | null;
  /** From camera_health; 'unknown' until the first probe. */
  state: string;
  stateReason: string | null;
  lastSeenAt: Date | null;
}

export type CameraWrite = Omit<Camera, 'id' | 'deviceId' | 'createdAt' | 'updatedAt' | 'removedAt' | 'state' | 'stateReason' | 'lastSeenAt' | 'mediaPorts'> & {
  mediaPorts?: number[];
  /** 13 digits: station centre code, industry, type; the 7-digit serial comes from a sequence. */
  deviceIdPrefix: string;
};

const COLS = `c.id, c.device_id AS "deviceId", c.name, c.owner_class AS "ownerClass", c.station_id AS "stationId",
  c.village_id AS "villageId", c.owner_user_id AS "ownerUserId", c.owner_name AS "ownerName", c.owner_phone AS "ownerPhone",
  c.address, c.sharing_mode AS "sharingMode", c.delegated_to_committee AS "delegatedToCommittee", c.lat, c.lon,
  c.jurisdiction_override AS "jurisdictionOverride", c.onvif_host AS "onvifHost", c.onvif_port AS "onvifPort",
  c.credentials_enc AS "credentialsEnc", c.device_info AS "deviceInfo", c.clock_offset_ms AS "clockOffsetMs", c.profiles,
  c.enabled, c.enrolled_by AS "enrolledBy", c.created_at AS "createdAt", c.updated_at AS "updatedAt", c.removed_at AS "removedAt",
  COALESCE(h.state, 'unknown') AS state, h.reason AS "stateReason", h.last_seen_at AS "lastSeenAt", c.media_ports AS "mediaPorts"`;
const FROM = `cameras c LEFT JOIN camera_health h ON h.camera_id = c.id`;

export function toCameraResource(c: Pick<Camera, 'id' | 'ownerClass' | 'stationId' | 'villageId' | 'ownerUserId' | 'sharingMode' | 'delegatedToCommittee' | 'enabled' | 'removedAt'>): CameraResource {
  return {
    kind: 'camera',
    id: c.id,
    ownerClass: c.ownerClass,
    stationId: c.stationId,
    villageId: c.villageId,
    ownerUserId: c.ownerUserId,
    sharingMode: c.sharingMode,
    delegatedToCommittee: c.delegatedToCommittee,
    enabled: c.enabled && !c.removedAt,
  };
}

export interface CameraFilter {
  stationId?: Uuid;
  villageId?: Uuid;
  ownerUserId?: Uuid;
  ownerClasses?: OwnerClass[];
  ids?: Uuid[];
  /** Within radius (metres) of a point. */
  near?: { lat: number; lon: number; radiusM: number };
  /** Inside a polygon ring of [lon, lat]. */
  polygon?: [number, number][];
  includeRemoved?: boolean;
  limit?: number;
  afterId?: Uuid;
}

/** The scope filter of the map's listing as SQL ($1–$4). */
function mapWhere(f: CameraFilter): { where: string; values: unknown[] } {
  // A scope filter that grew a condition this does not apply must fail loudly, never list too much.
  if (f.ids || f.near || f.polygon || f.includeRemoved) throw new Error('map listing: unsupported camera filter');
  return {
    where: `c.removed_at IS NULL AND ($1::uuid IS NULL OR c.station_id = $1) AND ($2::uuid IS NULL OR c.village_id = $2)
            AND ($3::uuid IS NULL OR c.owner_user_id = $3) AND ($4::text[] IS NULL OR c.owner_class = ANY($4))`,
    values: [f.stationId ?? null, f.villageId ?? null, f.ownerUserId ?? null, f.ownerClasses ?? null],
  };
}

export function camerasRepository(db: Queryable) {
  return {
    async insert(c: CameraWrite, q: Queryable = db): Promise<Uuid> {
      const { rows } = await q.query<{ id: Uuid }>(
        `INSERT INTO cameras (device_id, name, owner_class, station_id, village_id, owner_user_id, owner_name, owner_phone, address,
           sharing_mode, delegated_to_committee, lat, lon, jurisdiction_override, onvif_host, onvif_port, credentials_enc,
           device_info, clock_offset_ms, profiles, enabled, enrolled_by, media_ports)
         VALUES ($1 || lpad(nextval('camera_device_serial')::text, 7, '0'),$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23) RETURNING id`,
        [c.deviceIdPrefix, c.name, c.ownerClass, c.stationId, c.villageId, c.ownerUserId, c.ownerName, c.ownerPhone, c.address,
         c.sharingMode, c.delegatedToCommittee, c.lat, c.lon, c.jurisdictionOverride, c.onvifHost, c.onvifPort, c.credentialsEnc,
         JSON.stringify(c.deviceInfo), c.clockOffsetMs, JSON.stringify(c.profiles), c.enabled, c.enrolledBy, c.mediaPorts ?? []],
      );
      await q.query(`INSERT INTO camera_health (camera_id, state) VALUES ($1, 'unknown') ON CONFLICT DO NOTHING`, [rows[0]!.id]);
      return rows[0]!.id;
    },

    async update(id: Uuid, patch: Partial<CameraWrite>, q: Queryable = db): Promise<void> {
      const map: Record<string, string> = {
        name: 'name', ownerClass: 'owner_class', stationId: 'station_id', villageId: 'village_id', ownerUserId: 'owner_user_id',
        ownerName: 'owner_name', ownerPhone: 'owner_phone', address: 'address', sharingMode: 'sharing_mode',
        delegatedToCommittee: 'delegated_to_committee', lat: 'lat', lon: 'lon', jurisdictionOverride: 'jurisdiction_override',
        credentialsEnc: 'credentials_enc', deviceInfo: 'device_info', clockOffsetMs: 'clock_offset_ms', profiles: 'profiles',
        enabled: 'enabled', mediaPorts: 'media_ports',
      };
      const sets: string[] = [];
      const vals: unknown[] = [id];
      for (const [k, v] of Object.entries(patch)) {
        const col = map[k];
        if (!col || v === undefined) continue;
        vals.push(k === 'deviceInfo' || k === 'profiles' ? JSON.stringify(v) : v);
        sets.push(`${col} = $${vals.length}`);
      }
      if (sets.length === 0) return;
      await q.query(`UPDATE cameras SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, vals);
    },

    async markRemoved(id: Uuid, q: Queryable = db): Promise<boolean> {
      const r = await q.query(`UPDATE cameras SET removed_at = now(), enabled = false, updated_at = now() WHERE id = $1 AND removed_at IS NULL`, [id]);
      return (r.rowCount ?? 0) > 0;
    },

    async byId(id: Uuid, q: Queryable = db): Promise<Camera | undefined> {
      const { rows } = await q.query<Camera>(`SELECT ${COLS} FROM ${FROM} WHERE c.id = $1`, [id]);
      return rows[0];
    },

    async byEndpoint(host: string, port: number, q: Queryable = db): Promise<Camera | undefined> {
      const { rows } = await q.query<Camera>(
        `SELECT ${COLS} FROM ${FROM} WHERE c.onvif_host = $1 AND c.onvif_port = $2 AND c.removed_at IS NULL`,
        [host, port],
      );
      return rows[0];
    },

    async list(f: CameraFilter = {}): Promise<Camera[]> {
      const vals: unknown[] = [];
      const where: string[] = [];
      const p = (v: unknown) => {
        vals.push(v);
        return `$${vals.length}`;
      };
      if (!f.includeRemoved) where.push('c.removed_at IS NULL');
      if (f.stationId) where.push(`c.station_id = ${p(f.stationId)}`);
      if (f.villageId) where.push(`c.village_id = ${p(f.villageId)}`);
      if (f.ownerUserId) where.push(`c.owner_user_id = ${p(f.ownerUserId)}`);
      if (f.ownerClasses) where.push(`c.owner_class = ANY(${p(f.ownerClasses)}::text[])`);
      if (f.ids) where.push(`c.id = ANY(${p(f.ids)}::uuid[])`);
      if (f.afterId) where.push(`c.id > ${p(f.afterId)}`);
      if (f.near) {
        // Degrees box first (index), then great-circle distance.
        const dLat = f.near.radiusM / 111_320;
        const dLon = f.near.radiusM / (111_320 * Math.max(0.01, Math.cos((f.near.lat * Math.PI) / 180)));
        where.push(`point(c.lon, c.lat) <@ box(point(${p(f.near.lon - dLon)}, ${p(f.near.lat - dLat)}), point(${p(f.near.lon + dLon)}, ${p(f.near.lat + dLat)}))`);
        where.push(`2 * 6371000 * asin(sqrt(power(sin(radians(c.lat - ${p(f.near.lat)}) / 2), 2) + cos(radians(c.lat)) * cos(radians(${p(f.near.lat)})) * power(sin(radians(c.lon - ${p(f.near.lon)}) / 2), 2))) <= ${p(f.near.radiusM)}`);
      }
      if (f.polygon) {
        const poly = '(' + f.polygon.map(([x, y]) => `(${x},${y})`).join(',') + ')';
        where.push(`${p(poly)}::polygon @> point(c.lon, c.lat)`);
      }
      const { rows } = await db.query<Camera>(
        `SELECT ${COLS} FROM ${FROM} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY c.id LIMIT ${p(Math.min(f.limit ?? 1000, 100_000))}`,
        vals,
      );
      return rows;
    },

    /**
     * What the map draws, for a scope's listing filter, a page in id order: only the columns the map needs, as tuples
     * (no per-row objects, no credentials or device data read at all).
     */
    async mapRows(f: CameraFilter & { limit: number }): Promise<MapRow[]> {
      const w = mapWhere(f);
      const { rows } = await db.query<MapRow>({
        text: `SELECT c.id, c.name, c.owner_class, c.station_id, c.village_id, c.sharing_mode, c.lon, c.lat, c.enabled, COALESCE(h.state, 'unknown')
               FROM ${FROM} WHERE ${w.where} AND ($5::uuid IS NULL OR c.id > $5) ORDER BY c.id LIMIT $6`,
        values: [...w.values, f.afterId ?? null, f.limit],
        rowMode: 'array',
      });
      return rows;
    },

    /**
     * Changes whenever the page mapRows would return for the same arguments changes: every UPDATE gives a row a new
     * xmin, and the health state is hashed itself (camera_health rows are rewritten by every sweep); a row entering
     * or leaving the page changes the count or the sum. Read it before the rows, so a commit in between makes the
     * stored page look older, never newer.
     */
    async mapVersion(f: CameraFilter & { limit: number }): Promise<string> {
      const w = mapWhere(f);
      const { rows } = await db.query<{ v: string }>(
        `SELECT count(*)::text || ':' || COALESCE(sum(hashtextextended(x.v, 0)), 0)::text AS v FROM (
           SELECT c.xmin::text || ':' || COALESCE(h.state, '') AS v FROM ${FROM}
           WHERE ${w.where} AND ($5::uuid IS NULL OR c.id > $5) ORDER BY c.id LIMIT $6) x`,
        [...w.values, f.afterId ?? null, f.limit],
      );
      return rows[0]!.v;
    },

    async count(f: { stationId?: Uuid } = {}): Promise<number> {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM cameras WHERE removed_at IS NULL AND ($1::uuid IS NULL OR station_id = $1)`,
        [f.stationId ?? null],
      );
      return rows[0]!.n;
    },

    async addConsent(
      c: { cameraId: Uuid; sharingMode: SharingMode; consentDate: string; recordedBy: Uuid | null; documentRef: string | null; emergencyBypass?: boolean; ownerUserId?: Uuid | null },
      q: Queryable = db,
    ): Promise<void> {
      await q.query(
        `INSERT INTO camera_consents (camera_id, sharing_mode, consent_date, recorded_by, document_ref, emergency_bypass, owner_user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [c.cameraId, c.sharingMode, c.consentDate, c.recordedBy, c.documentRef, c.emergencyBypass ?? false, c.ownerUserId ?? null],
      );
    },

    /** Cameras whose latest consent lets an emergency grant bypass the owner's sharing choice. */
    async emergencyBypass(cameraIds: Uuid[], q: Queryable = db): Promise<Set<Uuid>> {
      const { rows } = await q.query<{ id: Uuid }>(
        `SELECT id FROM (
           SELECT DISTINCT ON (camera_id) camera_id AS id, emergency_bypass FROM camera_consents
            WHERE camera_id = ANY($1::uuid[]) ORDER BY camera_id, recorded_at DESC, id DESC
         ) latest WHERE emergency_bypass`,
        [cameraIds],
      );
      return new Set(rows.map((r) => r.id));
    },

    async consents(cameraId: Uuid): Promise<Array<{ sharingMode: SharingMode; consentDate: string; recordedBy: Uuid | null; documentRef: string | null; emergencyBypass: boolean; ownerUserId: Uuid | null; recordedAt: Date }>> {
      const { rows } = await db.query(
        `SELECT sharing_mode AS "sharingMode", to_char(consent_date, 'YYYY-MM-DD') AS "consentDate", recorded_by AS "recordedBy",
                document_ref AS "documentRef", emergency_bypass AS "emergencyBypass", owner_user_id AS "ownerUserId", recorded_at AS "recordedAt"
         FROM camera_consents WHERE camera_id = $1 ORDER BY recorded_at`,
        [cameraId],
      );
      return rows;
    },

    /** Health row write; returns the previous state. */
    async setHealth(h: { cameraId: Uuid; state: string; reason: string | null; seen: boolean; flaps: number }): Promise<void> {
      await db.query(
        `INSERT INTO camera_health (camera_id, state, reason, last_seen_at, checked_at, changed_at, flaps)
         VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END, now(), now(), $5)
         ON CONFLICT (camera_id) DO UPDATE SET
           changed_at = CASE WHEN camera_health.state <> EXCLUDED.state THEN now() ELSE camera_health.changed_at END,
           state = EXCLUDED.state, reason = EXCLUDED.reason, checked_at = now(), flaps = EXCLUDED.flaps,
           last_seen_at = CASE WHEN $4 THEN now() ELSE camera_health.last_seen_at END`,
        [h.cameraId, h.state, h.reason, h.seen, h.flaps],
      );
    },

    /** Enabled cameras to probe, a page at a time (only what the health sweep needs). */
    async probeTargets(afterId: Uuid | null, limit: number, opts: { includeDisabled?: boolean } = {}): Promise<ProbeTarget[]> {
      const { rows } = await db.query(
        `SELECT c.id, c.onvif_host AS "onvifHost", c.onvif_port AS "onvifPort", c.station_id AS "stationId",
                c.credentials_enc AS "credentialsEnc", COALESCE(h.state, 'unknown') AS state, COALESCE(h.flaps, 0) AS flaps,
                c.profiles -> 0 ->> 'streamUri' AS "streamUri", c.media_ports AS "mediaPorts"
         FROM ${FROM} WHERE c.removed_at IS NULL AND (c.enabled OR $3) AND ($1::uuid IS NULL OR c.id > $1) ORDER BY c.id LIMIT $2`,
        [afterId, limit, opts.includeDisabled ?? false],
      );
      return rows as never;
    },
  };
}
export type CamerasRepository = ReturnType<typeof camerasRepository>;

/** What a health sweep needs of one camera. */
export interface ProbeTarget {
  id: Uuid;
  onvifHost: string;
  onvifPort: number;
  stationId: Uuid;
  credentialsEnc: string;
  state: string;
  flaps: number;
  /** The main profile's stream URI; null before the first successful probe. */
  streamUri: string | null;
  mediaPorts: number[];
}

/** One camera as the map draws it: id, name, ownerClass, stationId, villageId, sharingMode, lon, lat, enabled, state. */
export type MapRow = [Uuid, string, OwnerClass, Uuid, Uuid | null, SharingMode | null, number, number, boolean, string];
