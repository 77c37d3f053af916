// The report's signature: verifies with the ring's public keys, fails on any change, on another key, on a forged header.
import { describe, expect, it } from 'vitest';
import { KeyRing, PublicKeySet } from '../access/tokens.ts';
import { canonicalJson, routeReportHtml, signRouteReport, verifyRouteReport, type RouteReport } from './route-report.ts';

const report = (): RouteReport => ({
  version: 1,
  generatedAt: '2026-11-23T08:00:00.000Z',
  generatedBy: { userId: 'u1', username: 'shouzhang.investigator' },
  case: { id: 'c1', caseNo: '阳公（刑）立字〔2026〕1123号', title: '<script>alert(1)</script>', status: 'open', openedAt: '2026-11-23T01:30:00.000Z', ownerStation: { id: 's1', name: '寿张派出所' } },
  members: [{ userId: 'u1', username: 'shouzhang.investigator', role: 'owner' }],
  sightings: [
    { id: 'x1', order: 1, cameraId: 'k1', seenAt: '2026-11-23T02:05:00.000Z', note: 'white car', confidence: 0.9, snapshotSha256: null, version: 1 },
    { id: 'x2', order: 2, cameraId: 'k2', seenAt: '2026-11-23T02:08:00.000Z', note: '"quoted" & <b>', confidence: 0.7, snapshotSha256: 'a'.repeat(64), version: 2 },
  ],
  cameras: [
    { id: 'k1', name: 'Shouzhang G220', lat: 35.952, lon: 115.884, ownerClass: 'police', ownerStation: { id: 's1', name: '寿张派出所' } },
    { id: 'k2', name: 'Chengguan bridge', lat: 35.955, lon: 115.872, ownerClass: 'police', ownerStation: { id: 's2', name: '城关派出所' } },
  ],
  grants: [],
  evidence: [{ auditId: 7, exportId: 'e1', cameraId: 'k2', at: '2026-11-23T09:00:00.000Z', footage: null, clipSha256: 'b'.repeat(64), merkleRoot: 'c'.repeat(64), manifestSha256: null, grantId: null }],
  boundaries: [{ stationId: 's1', name: '寿张', rings: [[[115.8, 35.9], [115.95, 35.9], [115.95, 36.0], [115.8, 36.0], [115.8, 35.9]]] }],
});

describe('route report signature', () => {
  it('verifies with the public keys only; key order in the JSON does not matter', async () => {
    const ring = await KeyRing.generate();
    const doc = await signRouteReport(report(), ring);
    const pub = await PublicKeySet.fromJwks(ring.publicJwks().keys);
    expect(await verifyRouteReport(doc, pub)).toEqual({ valid: true, kid: ring.activeKid });
    const reordered = JSON.parse(JSON.stringify({ signature: doc.signature, report: Object.fromEntries(Object.entries(doc.report).reverse()) }));
    expect(await verifyRouteReport(reordered, pub)).toMatchObject({ valid: true });
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('fails on a changed field, another key, a forged header or a missing signature', async () => {
    const ring = await KeyRing.generate();
    const doc = await signRouteReport(report(), ring);
    const changed = structuredClone(doc);
    changed.report.sightings[0]!.seenAt = '2026-11-23T02:06:00.000Z';
    expect(await verifyRouteReport(changed, ring)).toEqual({ valid: false, reason: 'bad_signature' });
    const other = await KeyRing.generate();
    expect(await verifyRouteReport(doc, other)).toEqual({ valid: false, reason: 'unknown_key' });
    // Our kid in the header, another key's signature.
    const forged = await signRouteReport(report(), other);
    const [h] = doc.signature.jws.split('.');
    expect(await verifyRouteReport({ ...doc, signature: { ...doc.signature, jws: `${h}..${forged.signature.jws.split('.')[2]}` } }, ring)).toEqual({ valid: false, reason: 'bad_signature' });
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', kid: ring.activeKid, typ: 'shouwang-route-report+jws' })).toString('base64url');
    expect(await verifyRouteReport({ ...doc, signature: { ...doc.signature, jws: `${noneHeader}..${doc.signature.jws.split('.')[2]}` } }, ring)).toEqual({ valid: false, reason: 'wrong_header' });
    expect(await verifyRouteReport({ ...doc, signature: { ...doc.signature, jws: 'x' } }, ring)).toEqual({ valid: false, reason: 'malformed_signature' });
  });

  it('prints escaped text, the route over boundaries, and evidence hashes', async () => {
    const doc = await signRouteReport(report(), await KeyRing.generate());
    const html = routeReportHtml(doc, new Map([['x2', Buffer.from([0xff, 0xd8, 0xff, 0xd9])]]));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('&quot;quoted&quot; &amp; &lt;b&gt;');
    expect(html).toMatch(/<polygon points="[^"]+"/);
    expect(html).toMatch(/<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
    expect(html).toContain('b'.repeat(64));
    expect(html).toContain('c'.repeat(64));
    expect(html).toContain('data:image/jpeg;base64,/9j/2Q==');
    // times in Beijing time with the offset, as police read them; the signed JSON keeps the instants
    expect(html).toContain('2026-11-23 10:05:00 +08:00');
    expect(html).not.toContain('2026-11-23T02:05:00.000Z');
  });
});
