// The one-pass canonical text and one-shot hash are exactly what the chain has always hashed:
// JSON.stringify([..., stable(details)]) and sha256(prev ‖ text) through Hash.update.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { canonical, chainHash, stable, stableJson, type AuditRecord } from './chain.ts';

const json = fc.jsonValue({ maxDepth: 4 });
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
const id = fc.option(fc.uuid(), { nil: null });
const date = fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true });

const record: fc.Arbitrary<AuditRecord> = fc.record({
  at: date,
  actorUserId: id,
  actorName: fc.option(text, { nil: null }),
  action: text,
  outcome: fc.constantFrom('allow', 'deny', 'ok', 'fail', 'info'),
  cameraId: id,
  grantId: id,
  stationId: id,
  caseNo: fc.option(text, { nil: null }),
  windowFrom: fc.option(date, { nil: null }),
  windowTo: fc.option(date, { nil: null }),
  reason: fc.option(text, { nil: null }),
  details: fc.dictionary(text, json, { maxKeys: 8 }),
});

function canonicalBefore(r: AuditRecord): string {
  return JSON.stringify([
    r.at.toISOString(), r.actorUserId, r.actorName, r.action, r.outcome, r.cameraId, r.grantId, r.stationId, r.caseNo,
    r.windowFrom ? r.windowFrom.toISOString() : null, r.windowTo ? r.windowTo.toISOString() : null, r.reason, stable(r.details),
  ]);
}

describe('audit chain canonical form', () => {
  it('stableJson(v) is JSON.stringify(stable(v)) for any JSON value, nested objects included', () => {
    fc.assert(fc.property(json, (v) => stableJson(v) === JSON.stringify(stable(v))), { numRuns: 2000 });
    expect(stableJson({ b: [1, { d: 'x', c: -0 }], a: 'é\u2028' })).toBe('{"a":"é\u2028","b":[1,{"c":0,"d":"x"}]}');
    // integer-like keys come first, ascending, as any JS object lists them (found by the property above)
    expect(stableJson({ '': '', b: 1, 10: 'x', 2: 'y', '01': 'z' })).toBe(JSON.stringify(stable({ '': '', b: 1, 10: 'x', 2: 'y', '01': 'z' })));
    expect(stableJson({ '': '', b: 1, 10: 'x', 2: 'y', '01': 'z' })).toBe('{"2":"y","10":"x","":"","01":"z","b":1}');
  });

  it('canonical() and chainHash() give what the chain has always hashed', () => {
    fc.assert(fc.property(record, fc.uint8Array({ minLength: 32, maxLength: 32 }), (r, prev) => {
      const before = canonicalBefore(r);
      expect(canonical(r)).toBe(before);
      const p = Buffer.from(prev);
      expect(chainHash(p, r).equals(createHash('sha256').update(p).update(before).digest())).toBe(true);
    }), { numRuns: 1000 });
  });
});
