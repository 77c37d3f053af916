// The route report: what a case found (sightings, cameras, grants used, evidence exported) as JSON signed
// with the gateway's EdDSA key ring (detached JWS over the canonical JSON, kid in the header, like an
// export manifest), a verify function, and a printable HTML page with an SVG of the route over boundaries.
import { createHash } from 'node:crypto';
import { CompactSign, compactVerify, base64url } from 'jose';
import type { VerificationKeys, KeyRing } from '../access/tokens.ts';

export const REPORT_TYP = 'shouwang-route-report+jws';
export const REPORT_VERSION = 1;

export interface RouteReport {
  version: number;
  generatedAt: string;
  generatedBy: { userId: string; username: string };
  case: { id: string; caseNo: string; title: string; status: string; openedAt: string; ownerStation: { id: string; name: string } };
  members: Array<{ userId: string; username: string; role: string }>;
  sightings: Array<{ id: string; order: number; cameraId: string; seenAt: string; note: string; confidence: number; snapshotSha256: string | null; version: number }>;
  cameras: Array<{ id: string; name: string; lat: number; lon: number; ownerClass: string; ownerStation: { id: string; name: string } }>;
  grants: Array<{ id: string; state: string; ownerStationId: string; requesterUserId: string; cameraIds: string[]; actions: string[]; footage: { from: string; to: string } | null; decidedAt: string | null; dedupParentId: string | null }>;
  /** Evidence exports of the case, from their audit rows: the clip's hash and the Merkle root of its source segments. */
  evidence: Array<{ auditId: number; exportId: string | null; cameraId: string | null; at: string; footage: { from: string; to: string } | null; clipSha256: string | null; merkleRoot: string | null; manifestSha256: string | null; grantId: string | null }>;
  boundaries: Array<{ stationId: string; name: string; rings: Array<Array<[number, number]>> }>;
}

export interface SignedRouteReport {
  report: RouteReport;
  signature: { alg: 'EdDSA'; kid: string; sha256: string; jws: string };
}

/** JSON with object keys sorted and no whitespace: the bytes that are hashed and signed. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export async function signRouteReport(report: RouteReport, ring: KeyRing): Promise<SignedRouteReport> {
  const bytes = new TextEncoder().encode(canonicalJson(report));
  const { kid, key } = ring.signingKey();
  const full = await new CompactSign(bytes).setProtectedHeader({ alg: 'EdDSA', kid, typ: REPORT_TYP }).sign(key);
  const [h, , s] = full.split('.');
  return { report, signature: { alg: 'EdDSA', kid, sha256: createHash('sha256').update(bytes).digest('hex'), jws: `${h}..${s}` } };
}

/** Checks the detached signature against the report as given; any change to the report fails. */
export async function verifyRouteReport(doc: SignedRouteReport, keys: VerificationKeys): Promise<{ valid: true; kid: string } | { valid: false; reason: string }> {
  const parts = typeof doc?.signature?.jws === 'string' ? doc.signature.jws.split('.') : [];
  if (parts.length !== 3 || parts[1] !== '') return { valid: false, reason: 'malformed_signature' };
  let header: { alg?: string; kid?: string; typ?: string };
  try {
    header = JSON.parse(new TextDecoder().decode(base64url.decode(parts[0]!))) as typeof header;
  } catch {
    return { valid: false, reason: 'malformed_signature' };
  }
  if (header.alg !== 'EdDSA' || header.typ !== REPORT_TYP || !header.kid) return { valid: false, reason: 'wrong_header' };
  const key = keys.publicKey(header.kid);
  if (!key) return { valid: false, reason: 'unknown_key' };
  const payload = base64url.encode(new TextEncoder().encode(canonicalJson(doc.report)));
  try {
    await compactVerify(`${parts[0]}.${payload}.${parts[2]}`, key, { algorithms: ['EdDSA'] });
  } catch {
    return { valid: false, reason: 'bad_signature' };
  }
  return { valid: true, kid: header.kid };
}

/** An ISO instant as police read it: Beijing wall-clock time with the offset ("2026-11-24 02:05:00 +08:00"). */
export function beijing(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(Date.parse(iso) + 8 * 3_600_000);
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().slice(0, 19).replace('T', ' ')} +08:00`;
}

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** An SVG of station boundaries, cameras and the route, projected equirectangularly onto a 800×500 box. */
export function routeSvg(r: RouteReport): string {
  const camById = new Map(r.cameras.map((c) => [c.id, c]));
  const route = r.sightings.map((s) => camById.get(s.cameraId)).filter((c): c is RouteReport['cameras'][number] => !!c);
  // framed on the cameras (with a margin) so the route is legible; boundaries only frame an empty case
  const pts: Array<[number, number]> = [...r.cameras.map((c): [number, number] => [c.lon, c.lat])];
  if (pts.length === 0) for (const b of r.boundaries) for (const ring of b.rings) pts.push(...ring);
  else {
    const lo = pts.reduce((m, p) => [Math.min(m[0], p[0]), Math.min(m[1], p[1])], [Infinity, Infinity]);
    const hi = pts.reduce((m, p) => [Math.max(m[0], p[0]), Math.max(m[1], p[1])], [-Infinity, -Infinity]);
    const pad = Math.max(0.01, (hi[0] - lo[0]) * 0.25, (hi[1] - lo[1]) * 0.25);
    pts.push([lo[0] - pad, lo[1] - pad], [hi[0] + pad, hi[1] + pad]);
  }
  if (pts.length === 0) return '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="500" role="img" aria-label="no route"></svg>';
  const lons = pts.map((p) => p[0]);
  const lats = pts.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const kx = Math.cos((((minY + maxY) / 2) * Math.PI) / 180);
  const w = Math.max(1e-6, (maxX - minX) * kx);
  const h = Math.max(1e-6, maxY - minY);
  const scale = Math.min(760 / w, 460 / h);
  const px = (lon: number, lat: number) => `${(20 + (lon - minX) * kx * scale).toFixed(1)},${(20 + (maxY - lat) * scale).toFixed(1)}`;
  const out: string[] = ['<svg xmlns="http://www.w3.org/2000/svg" width="800" height="500" viewBox="0 0 800 500" role="img" aria-label="route map">'];
  out.push('<rect width="800" height="500" fill="#fff"/>');
  for (const b of r.boundaries) {
    for (const ring of b.rings) out.push(`<polygon points="${ring.map(([x, y]) => px(x, y)).join(' ')}" fill="#f4f6f8" stroke="#8a96a3" stroke-width="1"><title>${esc(b.name)}</title></polygon>`);
  }
  // each station named beside its first camera on the map
  const named = new Set<string>();
  for (const c of r.cameras) {
    if (named.has(c.ownerStation.id)) continue;
    named.add(c.ownerStation.id);
    const [x, y] = px(c.lon, c.lat).split(',');
    out.push(`<text x="${x}" y="${(Number(y) - 12).toFixed(1)}" font-size="12" text-anchor="middle" fill="#52606d">${esc(c.ownerStation.name)}</text>`);
  }
  for (const c of r.cameras) {
    const [x, y] = px(c.lon, c.lat).split(',');
    out.push(`<circle cx="${x}" cy="${y}" r="3" fill="#4a6fa5"><title>${esc(c.name)} (${esc(c.ownerStation.name)})</title></circle>`);
  }
  if (route.length > 1) out.push(`<polyline points="${route.map((c) => px(c.lon, c.lat)).join(' ')}" fill="none" stroke="#c0392b" stroke-width="2.5"/>`);
  route.forEach((c, i) => {
    const [x, y] = px(c.lon, c.lat).split(',');
    out.push(`<circle cx="${x}" cy="${y}" r="7" fill="#c0392b"/><text x="${x}" y="${Number(y) + 4}" font-size="9" text-anchor="middle" fill="#fff">${i + 1}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

/**
 * The report page's only styles, in one block and no style attributes: the web viewer opens the page from a blob
 * under its own CSP, which allows exactly this block by its hash (see gateway/http/web-viewer.ts).
 */
export const REPORT_CSS = 'body{font:13px/1.45 system-ui,"Noto Sans CJK SC",sans-serif;margin:24px;color:#222}table{border-collapse:collapse;width:100%;margin:8px 0 20px}'
  + 'td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}h1{font-size:20px}h2{font-size:15px;margin-top:22px}'
  + 'code{font-size:11px}code.jws{word-break:break-all}@media print{body{margin:10mm}section{break-inside:avoid}}';

/** The printable page. Every value is escaped; snapshots are embedded as data: URIs (only those the reader may view). */
export function routeReportHtml(doc: SignedRouteReport, snapshots: Map<string, Buffer>): string {
  const r = doc.report;
  const cam = new Map(r.cameras.map((c) => [c.id, c]));
  const row = (cells: unknown[]) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  const sightings = r.sightings.map((s) => {
    const c = cam.get(s.cameraId);
    const img = snapshots.get(s.id);
    return row([s.order, esc(beijing(s.seenAt)), esc(c?.name ?? s.cameraId), esc(c?.ownerStation.name ?? ''), esc(s.confidence), esc(s.note),
      img ? `<img alt="snapshot" src="data:image/jpeg;base64,${img.toString('base64')}" width="240">` : s.snapshotSha256 ? `<code>${esc(s.snapshotSha256.slice(0, 16))}…</code>` : '']);
  }).join('');
  const grants = r.grants.map((g) => row([`<code>${esc(g.id)}</code>`, esc(g.state), esc(g.cameraIds.map((id) => cam.get(id)?.name ?? id).join(', ')), esc(g.actions.join(', ')), g.footage ? `${esc(beijing(g.footage.from))} – ${esc(beijing(g.footage.to))}` : '', g.dedupParentId ? `joined <code>${esc(g.dedupParentId)}</code>` : ''])).join('');
  const evidence = r.evidence.map((e) => row([esc(beijing(e.at)), esc(e.cameraId ? (cam.get(e.cameraId)?.name ?? e.cameraId) : ''), e.footage ? `${esc(beijing(e.footage.from))} – ${esc(beijing(e.footage.to))}` : '',
    `<code>${esc(e.exportId ?? '')}</code>`, `clip <code>${esc(e.clipSha256 ?? '')}</code><br>segments (Merkle) <code>${esc(e.merkleRoot ?? '')}</code>${e.manifestSha256 ? `<br>manifest <code>${esc(e.manifestSha256)}</code>` : ''}`])).join('');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Route report ${esc(r.case.caseNo)}</title>
<style>${REPORT_CSS}</style></head><body>
<h1>循线追踪报告 Route report — ${esc(r.case.caseNo)}</h1>
<p>${esc(r.case.title)} · ${esc(r.case.ownerStation.name)} · status ${esc(r.case.status)} · opened ${esc(beijing(r.case.openedAt))}<br>
Generated ${esc(beijing(r.generatedAt))} by ${esc(r.generatedBy.username)}</p>
<section><h2>Route</h2>${routeSvg(r)}</section>
<section><h2>Sightings</h2><table><tr><th>#</th><th>time</th><th>camera</th><th>station</th><th>confidence</th><th>note</th><th>snapshot</th></tr>${sightings}</table></section>
<section><h2>Grants used</h2><table><tr><th>grant</th><th>state</th><th>cameras</th><th>actions</th><th>footage window</th><th></th></tr>${grants}</table></section>
<section><h2>Evidence clips</h2><table><tr><th>exported</th><th>camera</th><th>footage</th><th>export</th><th>SHA-256</th></tr>${evidence}</table></section>
<section><h2>Signature</h2><p>EdDSA (Ed25519), key <code>${esc(doc.signature.kid)}</code>; SHA-256 of the canonical JSON <code>${esc(doc.signature.sha256)}</code>.
Verify the JSON (<code>report.json</code>) against the gateway's public keys (<code>/api/v1/play-tokens/jwks</code>).</p>
<p><code class="jws">${esc(doc.signature.jws)}</code></p></section>
</body></html>`;
}
