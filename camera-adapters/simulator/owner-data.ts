// Plausible household-owner rows for the bulk-enrolment CSV (Lize station villages, Binzhou); deterministic per index.
import type { SharingMode } from '../../gateway/domain/types.ts';
import { pointInside, type VillageArea } from './village-area.ts';

export interface OwnerRow {
  owner_name: string;
  owner_phone: string;
  house: string;
  lat: string;
  lon: string;
  sharing_mode: SharingMode;
  consent_date: string;
}

const SURNAMES = ['张', '王', '李', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '宋'];
const GIVEN = ['秀英', '桂英', '建国', '建华', '志强', '秀兰', '玉兰', '国庆', '海燕', '丽娟', '明', '伟', '芳', '军', '红梅', '春花', '德胜', '保国', '淑珍', '凤英', '立新', '文华'];
const VILLAGES = ['庄科李村', '西街村', '东街村', '北杨村', '小营村', '大高村', '王家村', '辛集村', '前刘村', '后刘村'];
const PHONE_PREFIXES = ['138', '139', '135', '136', '137', '150', '151', '152', '158', '159', '187', '188', '133', '153', '180', '189'];
const CENTRE = { lat: 37.42, lon: 117.84 };

/** mulberry32: a tiny seeded PRNG so the same index always yields the same owner. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

/** Without `area`, points scatter around Lize station; with it, every point is inside that village's boundary. */
export function ownerFor(index: number, area?: VillageArea): OwnerRow {
  const rand = prng(index * 7919 + 17);
  const village = area?.name ?? VILLAGES[Math.floor(index / 60) % VILLAGES.length] ?? VILLAGES[0];
  const r = rand();
  const sharing: SharingMode = r < 0.6 ? 'station' : r < 0.9 ? 'on_request' : 'never_live';
  const consent = new Date(Date.UTC(2024, 0, 1) + Math.floor(rand() * 700) * 86_400_000);
  const name = pick(rand, SURNAMES) + pick(rand, GIVEN);
  const phone = pick(rand, PHONE_PREFIXES) + String(Math.floor(rand() * 1e8)).padStart(8, '0');
  const house = `${village} ${1 + Math.floor(rand() * 12)}排${1 + Math.floor(rand() * 20)}号`;
  const at = area ? pointInside(area.boundary, rand) : { lat: CENTRE.lat + (rand() - 0.5) * 0.08, lon: CENTRE.lon + (rand() - 0.5) * 0.1 };
  return {
    owner_name: name,
    owner_phone: phone,
    house,
    lat: at.lat.toFixed(6),
    lon: at.lon.toFixed(6),
    sharing_mode: sharing,
    consent_date: consent.toISOString().slice(0, 10),
  };
}

export const ENROLMENT_COLUMNS = [
  'address', 'port', 'username', 'password', 'owner_name', 'owner_phone', 'house', 'lat', 'lon', 'sharing_mode', 'consent_date',
] as const;

function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface EnrolmentCamera {
  host: string;
  httpPort: number;
  username: string;
  password: string;
}

/** RFC 4180 CSV in the bulk-enrolment format, one row per camera; with `area`, every camera inside that village. */
export function enrolmentCsv(cameras: readonly EnrolmentCamera[], area?: VillageArea): string {
  const rows = cameras.map((c, i) => {
    const o = ownerFor(i, area);
    return [c.host, c.httpPort, c.username, c.password, o.owner_name, o.owner_phone, o.house, o.lat, o.lon, o.sharing_mode, o.consent_date]
      .map(csvField)
      .join(',');
  });
  return `${[ENROLMENT_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
