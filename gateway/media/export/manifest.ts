// Evidence manifests: canonical JSON, a Merkle root over the source segments, an EdDSA JWS by the gateway's
// signing key (the play-token key ring, so `GET /api/v1/play-tokens/jwks` verifies it), and offline verification.
import { createHash } from 'node:crypto';
import { CompactSign, compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';

export const MANIFEST_TYPE = 'shouwang-evidence-manifest/1';

export interface ManifestSegment {
  id: string;
  start: string;
  end: string;
  bytes: number;
  sha256: string;
}

export interface EvidenceManifest {
  type: typeof MANIFEST_TYPE;
  exportId: string;
  camera: { id: string; name: string; ownerClass: string; ownerStation: { id: string; code: string | null; name: string | null } };
  stream: string;
  source: 'gateway' | 'camera';
  requested: { from: string; to: string };
  allowed: { from: string; to: string } | null;
  actual: { firstFrame: string; lastFrame: string };
  gaps: Array<{ from: string; to: string; reason: string }>;
  segments: ManifestSegment[];
  /** RFC 6962-style root over the segments' SHA-256 in time order. */
  merkleRoot: string;
  clip: { file: string; format: 'mp4'; bytes: number; sha256: string };
  transform: {
    cut: string;
    /** Camera-side footage: the recording and the RTSP Range the camera replayed. */
    replay: { recordingToken: string; range: string } | null;
    ffmpeg: { args: string[] };
    watermark: { text: string } | null;
    masks: Array<{ version: number; rects: Array<{ x: number; y: number; w: number; h: number }> }>;
    maskLifted: { grantId: string; maskVersion: number; liftedBy: string } | null;
  };
  grant: { id: string; caseNo: string; requester: { id: string; name: string | null }; approver: { id: string; name: string | null } | null } | null;
  requester: { id: string; name: string };
  caseNo: string | null;
  exportedAt: string;
  auditId: number | null;
}

export interface SignedManifest {
  manifest: EvidenceManifest;
  /** Compact JWS whose payload is the canonical JSON of `manifest`. */
  signature: { alg: 'EdDSA'; kid: string; jws: string };
}

/** JSON with object keys sorted and no whitespace: one byte sequence per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('non-finite number in a manifest');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

const sha = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Leaves H(0x00 ‖ segment hash), nodes H(0x01 ‖ left ‖ right), an odd node carried up; empty → H(""). */
export function merkleRoot(hexHashes: readonly string[]): string {
  if (hexHashes.length === 0) return sha().toString('hex');
  let level = hexHashes.map((h) => sha(Buffer.from([0]), Buffer.from(h, 'hex')));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? sha(Buffer.from([1]), level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!.toString('hex');
}

export async function signManifest(manifest: EvidenceManifest, key: { kid: string; key: CryptoKey }): Promise<SignedManifest> {
  const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(manifest)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'shouwang-evidence+jws' })
    .sign(key.key);
  return { manifest, signature: { alg: 'EdDSA', kid: key.kid, jws } };
}

export interface VerifyReport {
  ok: boolean;
  checks: Array<{ check: string; ok: boolean; detail: string }>;
}

/** Checks a clip and its signed manifest offline from public keys (a JWKS). Never throws on bad input. */
export async function verifyEvidence(clip: Buffer, manifestText: string, jwks: { keys: JWK[] }): Promise<VerifyReport> {
  const checks: VerifyReport['checks'] = [];
  const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
  let signed: SignedManifest;
  try {
    signed = JSON.parse(manifestText) as SignedManifest;
    if (!signed?.manifest || !signed.signature?.jws) throw new Error('missing manifest or signature');
  } catch (e) {
    add('manifest', false, `not a signed manifest: ${(e as Error).message}`);
    return { ok: false, checks };
  }
  const m = signed.manifest;
  const jwk = jwks.keys.find((k) => k.kid === signed.signature.kid);
  if (!jwk) {
    add('signature', false, `no public key with kid ${String(signed.signature.kid)} in the key set`);
  } else {
    try {
      const key = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JWK, 'EdDSA')) as CryptoKey;
      const { payload, protectedHeader } = await compactVerify(signed.signature.jws, key, { algorithms: ['EdDSA'] });
      if (protectedHeader.kid !== signed.signature.kid) add('signature', false, 'the JWS header names another key');
      else if (Buffer.from(payload).toString('utf8') !== canonicalJson(m)) add('signature', false, 'the manifest was changed after signing');
      else add('signature', true, `EdDSA signature by key ${signed.signature.kid}`);
    } catch (e) {
      add('signature', false, `signature does not verify: ${(e as Error).message}`);
    }
  }
  const clipHash = createHash('sha256').update(clip).digest('hex');
  add('clip.sha256', clipHash === m.clip?.sha256, clipHash === m.clip?.sha256 ? clipHash : `clip hashes to ${clipHash}, manifest says ${String(m.clip?.sha256)}`);
  add('clip.bytes', clip.length === m.clip?.bytes, `${clip.length} bytes (manifest: ${String(m.clip?.bytes)})`);
  try {
    const root = merkleRoot((m.segments ?? []).map((s) => s.sha256));
    add('merkleRoot', root === m.merkleRoot, root === m.merkleRoot ? root : `segments give ${root}, manifest says ${String(m.merkleRoot)}`);
  } catch (e) {
    add('merkleRoot', false, (e as Error).message);
  }
  return { ok: checks.every((c) => c.ok), checks };
}
