import { createHash } from 'node:crypto';

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
  return createHash('sha256').update(prev).update(canonical(r)).digest();
}
