import { hash } from 'node:crypto';
import { badTextReason, isStorableDate, isUuid } from '../domain/canonical.ts';
import { errors } from '../errors.ts';

/** The fields that are hashed, in a fixed order. */
export interface AuditRecord {
  at: Date;
  actorUserId: string | null;
  actorName: string | null;
  action: string;
  outcome: 'allow' | 'deny' | 'ok' | 'fail' | 'info';
  cameraId: string | null;
  grantId: string | null;
  stationId: string | null;
  caseNo: string | null;
  windowFrom: Date | null;
  windowTo: Date | null;
  reason: string | null;
  details: Record<string, unknown>;
}

export const GENESIS = Buffer.alloc(32);

// Keys sorted recursively so jsonb's own key order never changes the digest.
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, stable((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** Text as PostgreSQL will hand it back: NUL and unpaired surrogates become U+FFFD (the boundary refuses them first). */
export function storedText(s: string): string {
  if (badTextReason(s) === null) return s;
  return s.replaceAll('\u0000', '\ufffd').replace(/\p{Surrogate}/gu, '\ufffd');
}

function storedId(field: string, v: string | null | undefined, invalid: Record<string, string>): string | null {
  if (v === null || v === undefined) return null;
  if (isUuid(v)) return v.toLowerCase();
  // Never reached from the HTTP boundary (ids are validated there); kept rather than lost, outside the uuid column.
  invalid[field] = storedText(String(v)).slice(0, 200);
  return null;
}

function storedDate(field: string, v: Date | null | undefined): Date | null {
  if (v === null || v === undefined) return null;
  if (!(v instanceof Date) || !isStorableDate(v)) throw errors.validation(`audit ${field}: not a date between years 1 and 9999`);
  return new Date(v.getTime());
}

/** A JSON value as jsonb stores it and pg parses it back: no undefined, no NaN, text canonical, Dates as ISO strings. */
export function storedJson(v: unknown, depth = 0): unknown {
  if (depth > 64) return null;
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return storedText(v);
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : null;
  if (Array.isArray(v)) return v.map((x) => (x === undefined || typeof x === 'function' ? null : storedJson(x, depth + 1)));
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      out[storedText(k)] = storedJson(x, depth + 1);
    }
    return out;
  }
  return null;
}

/** The record exactly as PostgreSQL stores it, so the hash computed now is the hash the verifier recomputes. */
export function storedRecord(r: AuditRecord): AuditRecord {
  const invalid: Record<string, string> = {};
  const text = (v: string | null | undefined) => (v === null || v === undefined ? null : storedText(String(v)));
  const out: AuditRecord = {
    at: storedDate('at', r.at) ?? new Date(),
    actorUserId: storedId('actorUserId', r.actorUserId, invalid),
    actorName: text(r.actorName),
    action: storedText(r.action),
    outcome: r.outcome,
    cameraId: storedId('cameraId', r.cameraId, invalid),
    grantId: storedId('grantId', r.grantId, invalid),
    stationId: storedId('stationId', r.stationId, invalid),
    caseNo: text(r.caseNo),
    windowFrom: storedDate('windowFrom', r.windowFrom),
    windowTo: storedDate('windowTo', r.windowTo),
    reason: text(r.reason),
    details: storedJson(r.details ?? {}) as Record<string, unknown>,
  };
  if (Object.keys(invalid).length > 0) out.details = { ...out.details, invalidIds: invalid };
  return out;
}

export function canonical(r: AuditRecord): string {
  return JSON.stringify([
    r.at.toISOString(),
    r.actorUserId,
    r.actorName,
    r.action,
    r.outcome,
    r.cameraId,
    r.grantId,
    r.stationId,
    r.caseNo,
    r.windowFrom ? r.windowFrom.toISOString() : null,
    r.windowTo ? r.windowTo.toISOString() : null,
    r.reason,
    stable(r.details),
  ]);
}

export function chainHash(prev: Buffer, r: AuditRecord): Buffer {
  // one-shot hash of prev ‖ canonical text (UTF-8), as Hash.update(prev).update(text) gives
  return hash('sha256', Buffer.concat([prev, Buffer.from(canonical(r), 'utf8')]), 'buffer');
}
