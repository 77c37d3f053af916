// Issue 8 §5: a bounded, seeded fuzz of every route in the OpenAPI document — hostile params, queries, bodies and
// headers, anonymous and logged in — must never produce a 5xx.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { DEMO_PASSWORD } from '../gateway/demo/load-demo.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 8_2026);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2500);

let t: TestGateway;
let dirs: string[] = [];
const tokens: string[] = [];
const USERS = ['shouzhang.officer', 'shouzhang.auditor', 'shouzhang-shouzhang.owner', 'admin', 'lize-xijie.committee', 'shouzhang.investigator'];
const ids: string[] = [];
beforeAll(async () => {
  // Short probe deadline: fuzzed enrolments aim at made-up hosts.
  // With the footage routes (listing, HLS playback, exports, masks) over empty stores, as main.ts registers them.
  dirs = [mkdtempSync(path.join(tmpdir(), 'shouwang-fuzz-rec-')), mkdtempSync(path.join(tmpdir(), 'shouwang-fuzz-exp-'))];
  t = await testGateway({
    footage: { recordingDir: dirs[0]! },
    overrides: { cameras: { probeDeadlineMs: 200, healthEnabled: false }, footage: { exportDir: dirs[1]! } },
  });
  for (const u of USERS) tokens.push(await login(u));
  const cam = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', lat: 35.95, lon: 115.9 });
  // Real sealed credentials, so a fuzzed reprobe reaches the (closed) port instead of failing to decrypt.
  await t.gw.repos.cameras.update(cam, { credentialsEnc: t.gw.cipher.encrypt({ username: 'admin', password: 'x' }) });
  ids.push(cam);
  // No user ids in the pool: a fuzzed password reset or disable would lock the fuzzer's own accounts out.
  ids.push(randomUUID());
  const j = await t.gw.repos.jurisdictions.byCode('37152101');
  ids.push(j!.id);
}, 90_000);
// Each re-login from its own address: the per-address login limit is not what this test is about.
let logins = 0;
async function login(username: string): Promise<string> {
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: DEMO_PASSWORD }, remoteAddress: `172.16.${(++logins >> 8) & 255}.${logins & 255}` });
  return r.statusCode === 200 ? (r.json() as { token: string }).token : '';
}

afterAll(async () => {
  await t?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

const HOSTILE: unknown[] = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', `urn:uuid:${randomUUID()}`, randomUUID().toUpperCase(), `{${randomUUID()}}`,
  '1e20', '-1', 1e20, -1, 2 ** 53, 2 ** 63, -0, 0.5, '../../etc/passwd', '%00', "'; DROP TABLE users;--", 'x'.repeat(5000),
  '2016-12-31T23:59:60Z', '2026-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '2026-11-24T08:00:00+25:00',
  {}, [], [[[[[]]]]], true, false, null, '兖公刑立字〔2026〕118号', '\u202eevil', '😀'.repeat(100), 'NaN', 'Infinity', '0x10', ' 1', '1 ',
  { __proto__: { admin: true } }, { constructor: { prototype: {} } }, '<script>alert(1)</script>', 'rtsp://127.0.0.1:5432/x',
];

type Schema = Record<string, unknown> & { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; anyOf?: Schema[]; oneOf?: Schema[] };

function value(s: Schema | undefined, r: Rng, depth = 0): unknown {
  if (!s || depth > 5 || r.chance(0.08)) return r.pick(HOSTILE);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return value(r.pick(alts), r, depth + 1);
  if (s.enum) return r.chance(0.8) ? r.pick(s.enum) : r.pick(HOSTILE);
  const type = Array.isArray(s.type) ? r.pick(s.type) : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties ?? {})) {
        if ((s.required ?? []).includes(k) ? r.chance(0.95) : r.chance(0.5)) out[k] = value(p, r, depth + 1);
      }
      if (r.chance(0.05)) out[r.pick(['extra', '\u0000', '__proto__', 'constructor'])] = r.pick(HOSTILE);
      return out;
    }
    case 'array':
      return Array.from({ length: r.int(4) }, () => value(s.items, r, depth + 1));
    case 'string':
      if (s.format === 'uuid') return r.chance(0.6) ? r.pick(ids) : r.chance(0.5) ? randomUUID() : r.pick(HOSTILE);
      if (s.format === 'date-time') return r.chance(0.7) ? new Date(Date.now() + (r.next() - 0.7) * 864e5 * 10).toISOString() : r.pick(HOSTILE);
      return r.chance(0.5) ? `fz${r.int(1e6)}` : r.pick(HOSTILE);
    case 'integer':
    case 'number':
      return r.chance(0.7) ? r.int(1000) : r.pick([1e20, -1, 2 ** 53, 1.5, -1e308, 0]);
    case 'boolean':
      return r.chance(0.5);
    case 'null':
      return null;
    default:
      return r.pick(HOSTILE);
  }
}

function enc(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  try {
    return encodeURIComponent(s);
  } catch {
    // Lone surrogates cannot be encoded: send the raw UTF-8 of one instead.
    return '%ED%A0%80';
  }
}

interface Op { method: string; path: string; params: Schema[]; query: Schema | undefined; body: Schema | undefined }

function operations(doc: { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema: Schema; required?: boolean }>; requestBody?: { content?: Record<string, { schema: Schema }> } }>> }): Op[] {
  const ops: Op[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const ps = op.parameters ?? [];
      const query: Schema = { type: 'object', properties: {}, required: [] };
      for (const p of ps.filter((x) => x.in === 'query')) {
        query.properties![p.name] = p.schema;
        if (p.required) query.required!.push(p.name);
      }
      ops.push({
        method: method.toUpperCase(),
        path,
        params: ps.filter((x) => x.in === 'path').map((p) => ({ ...p.schema, name: p.name })),
        query,
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

function request(op: Op, r: Rng) {
  let url = op.path;
  for (const p of op.params) url = url.replace(`{${String(p.name)}}`, enc(value(p, r)));
  const q: string[] = [];
  for (const [k, s] of Object.entries(op.query?.properties ?? {})) if (r.chance(0.5)) q.push(`${k}=${enc(value(s, r))}`);
  if (r.chance(0.1)) q.push(`${r.pick(['x', 'token', '%00', 'limit', 'limit'])}=${enc(r.pick(HOSTILE))}`);
  if (q.length) url += `?${q.join('&')}`;
  const headers: Record<string, string> = {};
  const who = r.int(tokens.length + 2);
  if (who < tokens.length && tokens[who]) headers.authorization = `Bearer ${tokens[who]}`;
  else if (who === tokens.length) headers.authorization = r.pick(['Bearer ', 'Bearer x.y.z', 'Basic Zm9vOmJhcg==', 'Bearer \u00ff']);
  const as = who < tokens.length ? who : -1;
  let payload: string | undefined;
  if (op.method !== 'GET' && op.method !== 'HEAD') {
    const kind = r.int(10);
    headers['content-type'] = kind === 0 ? r.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'garbage']) : 'application/json';
    payload = kind === 1 ? r.pick(['{', '[1,', '{"a":1}{', '\u0000', '', 'null', '{"__proto__":{"x":1}}', '{"a":"\\ud800"}']) : JSON.stringify(value(op.body, r)) ?? 'null';
  }
  // Fuzzed calls come from many addresses, so per-address limits do not shut the fuzzer (or the re-logins) out.
  const remoteAddress = `10.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`;
  return { as, req: { method: op.method as 'GET', url, headers, remoteAddress, ...(payload !== undefined ? { payload } : {}) } };
}

describe('fuzzing every route', () => {
  it(`${REQUESTS} seeded hostile requests (seed ${SEED}) produce no 5xx`, async () => {
    const doc = (await t.app.inject({ url: '/api/docs/json' })).json();
    const ops = operations(doc).filter((o) => !o.path.startsWith('/api/docs'));
    expect(ops.length).toBeGreaterThan(30);
    for (const footage of ['/api/v1/exports', '/api/v1/cameras/{id}/masks', '/media/playback/{cameraId}/index.m3u8']) expect(ops.map((o) => o.path)).toContain(footage);
    const r = prng(SEED);
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    for (let i = 0; i < REQUESTS; i++) {
      const op = ops[i % ops.length]!;
      const { as, req } = request(op, r);
      const res = await t.app.inject(req);
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 500 && failures.length < 20) failures.push(`${res.statusCode} ${req.method} ${req.url} ${req.payload ?? ''} → ${res.body.slice(0, 200)}`);
      // A fuzzed logout ends the session: log back in so later requests still reach authenticated code.
      if (as >= 0 && res.statusCode === 401) tokens[as] = await login(USERS[as]!);
    }
    if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify(statuses), tokens.map((x) => x.length));
    expect(failures).toEqual([]);
    expect(Object.keys(statuses).some((s) => s.startsWith('2'))).toBe(true);
  }, 120_000);
});
