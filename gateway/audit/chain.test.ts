// The one-shot hash is exactly what the chain has always hashed: sha256(prev ‖ canonical text) through Hash.update.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { canonical, chainHash, type AuditRecord } from './chain.ts';

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


describe('audit chain hash', () => {
  it('chainHash() gives what the chain has always hashed', () => {
    fc.assert(fc.property(record, fc.uint8Array({ minLength: 32, maxLength: 32 }), (r, prev) => {
      const p = Buffer.from(prev);
      expect(chainHash(p, r).equals(createHash('sha256').update(p).update(canonical(r)).digest())).toBe(true);
    }), { numRuns: 1000 });
  });
});
