// Canonical forms of values that arrive from outside: one definition for the HTTP boundary and the audit writer,
// so what is validated, what is hashed and what PostgreSQL stores are the same thing.

/** A UUID as PostgreSQL prints it: hyphenated hex. `urn:uuid:`, braces and bare hex are not accepted. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID_RE.test(s);
}

// With the u flag a paired surrogate is one code point, so only unpaired halves match.
export const LONE_SURROGATE = /\p{Surrogate}/u;

/** Why a string cannot be stored as PostgreSQL text exactly as given, or null when it can. */
export function badTextReason(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired surrogate (not valid Unicode)';
  return null;
}

/** PostgreSQL timestamptz accepts far more, but JSON, ISO 8601 and the pg driver agree on years 1–9999 only. */
export const MIN_DATE_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function isStorableDate(d: Date): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && t >= MIN_DATE_MS && t <= MAX_DATE_MS;
}

/**
 * An RFC 3339 date-time JavaScript can represent exactly (no leap second, a real calendar day, years 1–9999).
 * ajv's own check accepts `23:59:60` and other strings `new Date()` turns into Invalid Date.
 */
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
export function isDateTime(s: string): boolean {
  const m = DATE_TIME_RE.exec(s);
  if (!m) return false;
  const [, y, mo, d, h, mi, sec, , tz] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (Number(y) < 1 || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return false;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return false;
  if (tz && tz.length > 1 && (Number(tz.slice(1, 3)) > 23 || Number(tz.slice(4, 6)) > 59)) return false;
  const t = Date.parse(s);
  return isStorableDate(new Date(t));
}
