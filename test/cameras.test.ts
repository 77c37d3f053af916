import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import iconv from 'iconv-lite';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';
import type { GatewayEvent } from '../gateway/events/types.ts';

let t: TestGateway;
let sim: Simulator;
const events: GatewayEvent[] = [];

beforeAll(async () => {
  t = await testGateway();
  t.gw.events.subscribe((e) => events.push(e));
  sim = await startSimulator({
    cameras: [
      { id: 'cam-a', name: 'Shouzhang crossroads' },
      { id: 'cam-b', username: 'admin', password: '守望2024' },
      ...Array.from({ length: 8 }, (_, i) => ({ id: `home-${i}` })),
    ],
    addressMode: 'per-camera-ip',
    baseAddress: `127.${200 + (process.pid % 50)}.0.1`,
    username: 'admin',
    password: 'pw-1234',
    nameOverlay: false,
  });
});
afterAll(async () => {
  await sim?.close();
  await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const cam = (id: string) => sim.camera(id)!;

describe('enrol one camera over ONVIF', () => {
  it('probes, assigns the station from the location, stores; never returns credentials or stream URIs', async () => {
    const token = await t.login('shouzhang.officer');
    const c = cam('cam-a');
    const r = await t.app.inject({
      method: 'POST', url: '/api/v1/cameras', headers: auth(token),
      payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.95, lon: 115.9, name: '寿张十字路口' },
    });
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json();
    expect(body.name).toBe('寿张十字路口');
    expect(body.deviceId).toMatch(/^37152101\d{12}$/);
    expect(body.profiles.length).toBeGreaterThanOrEqual(2);
    expect(body.profiles[0]).toMatchObject({ encoding: 'H264' });
    expect(r.body).not.toContain('pw-1234');
    expect(r.body).not.toContain('rtsp://');
    const stored = await t.gw.repos.cameras.byId(body.id);
    expect(stored!.profiles[0]!.streamUri).toMatch(/^rtsp:\/\/127\./);
    expect(stored!.credentialsEnc).not.toContain('pw-1234');
    expect(t.gw.cipher.decrypt(stored!.credentialsEnc)).toEqual({ username: 'admin', password: 'pw-1234' });
    const audit = await t.gw.repos.audit.query({ cameraId: body.id });
    expect(audit.map((a) => a.action)).toContain('camera.enrol');
    // The same address again is a conflict.
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.95, lon: 115.9 } });
    expect(again.statusCode).toBe(409);
  });

  it('non-ASCII password works; wrong password, unreachable, outside every station and another station are refused with codes', async () => {
    const token = await t.login('shouzhang.duty');
    const b = cam('cam-b');
    const base = { host: b.host, port: b.httpPort, username: 'admin', ownerClass: 'police', lat: 35.96, lon: 115.9 };
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: { ...base, password: 'nope' } });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error.code).toBe('camera_auth_failed');
    expect(await t.gw.repos.cameras.byEndpoint(b.host, b.httpPort)).toBeUndefined();
    const down = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: { ...base, host: '127.255.9.9', password: 'x' } });
    expect(down.json().error.code).toBe('camera_unreachable');
    const sea = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: { ...base, password: '守望2024', lat: 10, lon: 10 } });
    expect(sea.json().error.code).toBe('outside_jurisdiction');
    const taiqian = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: { ...base, password: '守望2024', lat: 35.97, lon: 115.85 } });
    expect(taiqian.statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/cameras', headers: auth(token), payload: { ...base, password: '守望2024' } });
    expect(ok.statusCode, ok.body).toBe(201);
  });
});

function csvFor(rows: Array<Partial<Record<string, string | number>>>): string {
  const cols = ['address', 'port', 'username', 'password', 'owner_name', 'owner_phone', 'house', 'lat', 'lon', 'sharing_mode', 'consent_date'];
  return [cols.join(','), ...rows.map((r) => cols.map((c) => String(r[c] ?? '')).join(','))].join('\n') + '\n';
}

describe('bulk enrolment from a village committee CSV', () => {
  const homes = () => Array.from({ length: 6 }, (_, i) => {
    const c = cam(`home-${i}`);
    return { address: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', owner_name: ['张秀英', '李建国', '王桂兰', '刘海涛', '陈玉梅', '赵立新'][i], owner_phone: `1380000${1000 + i}`, house: `西街村 ${i + 1}排3号`, lat: 37.421 + i * 0.001, lon: 117.841, sharing_mode: ['station', 'on_request', 'never_live'][i % 3], consent_date: '2026-10-0' + (i + 1) };
  });

  it('dry-run, commit, re-run: per-row results, bad rows rejected with reasons, nothing half-stored', async () => {
    const token = await t.login('lize-xijie.committee');
    const bad = [
      { ...homes()[0], lat: 'north' },                                     // bad coordinates
      { ...homes()[1] },                                                    // duplicate of row 2
      { ...homes()[0], address: cam('home-6').host, port: cam('home-6').httpPort, password: 'wrong' }, // wrong password
      { ...homes()[0], address: cam('home-7').host, port: cam('home-7').httpPort, lat: 37.42, lon: 117.87 }, // 东街村: not this committee's village
      { ...homes()[0], address: cam('home-7').host, port: cam('home-7').httpPort + 1, sharing_mode: 'public' },
    ];
    const csv = csvFor([...homes(), ...bad]);
    const dry = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=true', headers: { ...auth(token), 'content-type': 'text/csv' }, payload: csv });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().counts).toMatchObject({ valid: 6, rejected: 5 });
    expect(await t.gw.repos.cameras.count()).toBeGreaterThanOrEqual(0);
    const before = (await t.gw.repos.cameras.list({})).length;

    const commit = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=false', headers: { ...auth(token), 'content-type': 'text/csv' }, payload: csv });
    const res = commit.json();
    expect(res.counts).toMatchObject({ enrolled: 6, rejected: 5 });
    const byRow = Object.fromEntries(res.rows.map((r: { row: number }) => [r.row, r]));
    expect(byRow[7]).toMatchObject({ status: 'rejected', code: 'validation_failed' });
    expect(byRow[7].reason).toContain('latitude');
    expect(byRow[8]).toMatchObject({ status: 'rejected', code: 'duplicate_in_file' });
    expect(byRow[9]).toMatchObject({ status: 'rejected', code: 'camera_auth_failed' });
    expect(byRow[10]).toMatchObject({ status: 'rejected', code: 'forbidden' });
    expect(byRow[11].reason).toContain('sharing_mode');
    expect((await t.gw.repos.cameras.list({})).length).toBe(before + 6);

    const stored = await t.gw.repos.cameras.byId(byRow[1].cameraId);
    expect(stored).toMatchObject({ ownerClass: 'household', ownerName: '张秀英', sharingMode: 'station' });
    const xijie = await t.gw.repos.jurisdictions.byCode('3716710102');
    expect(stored!.villageId).toBe(xijie!.id);
    expect(await t.gw.repos.cameras.consents(stored!.id)).toEqual([expect.objectContaining({ sharingMode: 'station', consentDate: '2026-10-01' })]);
    // The owner got an account (no password until activated) and is the camera's owner.
    const owner = await t.gw.repos.users.byId(stored!.ownerUserId!);
    expect(owner).toMatchObject({ role: 'household_owner', displayName: '张秀英' });

    const rerun = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=false', headers: { ...auth(token), 'content-type': 'text/csv' }, payload: csv });
    expect(rerun.json().counts).toMatchObject({ enrolled: 0, updated: 0, unchanged: 6, rejected: 5 });
    expect((await t.gw.repos.cameras.list({})).length).toBe(before + 6);
    expect(events.some((e) => e.type === 'enrolment.progress')).toBe(true);
  });

  it('reads GBK files, streams NDJSON progress, and refuses wrong columns', async () => {
    const token = await t.login('lize-xijie.committee');
    const rows = homes().slice(0, 2).map((r) => ({ ...r, house: r.house + ' 改' }));
    const gbk = iconv.encode(csvFor(rows), 'gbk');
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=false', headers: { ...auth(token), 'content-type': 'text/csv', accept: 'application/x-ndjson' }, payload: gbk });
    const lines = r.body.trim().split('\n').map((l) => JSON.parse(l));
    const result = lines.at(-1);
    expect(result.type).toBe('result');
    expect(result.encoding).toBe('gbk');
    expect(result.counts).toMatchObject({ updated: 2 });
    expect(lines.some((l) => l.type === 'progress')).toBe(true);
    const cams = await t.gw.repos.cameras.list({});
    expect(cams.some((c) => c.address === '西街村 1排3号 改')).toBe(true);
    const wrongCols = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=true', headers: { ...auth(token), 'content-type': 'text/csv' }, payload: 'ip,user\n1,2\n' });
    expect(wrongCols.statusCode).toBe(400);
    expect(wrongCols.json().error.message).toContain('missing: address');
    const officer = await t.login('chengguan.officer');
    const notHis = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=false', headers: { ...auth(officer), 'content-type': 'text/csv' }, payload: csvFor(homes().slice(0, 1)) });
    expect(notHis.json().counts.unchanged + notHis.json().counts.rejected).toBe(1);
  });

  it('owner changes the sharing mode; lists are scoped', async () => {
    const committee = await t.login('lize-xijie.committee');
    const list = (await t.app.inject({ url: '/api/v1/cameras', headers: auth(committee) })).json().items;
    expect(list.length).toBeGreaterThanOrEqual(6);
    const officerTq = await t.login('chengguan.officer');
    expect((await t.app.inject({ url: '/api/v1/cameras', headers: auth(officerTq) })).json().items).toEqual([]);
    const target = list.find((c: { sharingMode: string }) => c.sharingMode === 'station');
    const r = await t.app.inject({ method: 'PUT', url: `/api/v1/cameras/${target.id}/sharing`, headers: auth(committee), payload: { sharingMode: 'on_request', consentDate: '2026-11-01' } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().sharingMode).toBe('on_request');
    expect((await t.gw.repos.cameras.consents(target.id)).length).toBe(2);
  });
});

describe('household owner accounts', () => {
  it('the committee activates an owner enrolled from the CSV; the owner sees their camera and its access history', async () => {
    const committee = await t.login('lize-xijie.committee');
    const owner = (await t.gw.repos.users.byUsername('owner-13800001000'))!;
    expect(owner.role).toBe('household_owner');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: owner.username, password: 'anything-at-all' } })).statusCode).toBe(401);
    const set = await t.app.inject({ method: 'PUT', url: `/api/v1/users/${owner.id}/password`, headers: auth(committee), payload: { password: 'zhang-xiuying-2026' } });
    expect(set.statusCode, set.body).toBe(200);
    const other = await t.login('lize-dongjie.committee');
    expect((await t.app.inject({ method: 'PUT', url: `/api/v1/users/${owner.id}/password`, headers: auth(other), payload: { password: 'hijacked-0000' } })).statusCode).toBe(403);
    const token = await t.login(owner.username, 'zhang-xiuying-2026');
    const mine = (await t.app.inject({ url: '/api/v1/cameras', headers: auth(token) })).json().items;
    expect(mine).toHaveLength(1);
    expect(mine[0].ownerName).toBe('张秀英');
    const accesses = await t.app.inject({ url: `/api/v1/my/cameras/${mine[0].id}/accesses`, headers: auth(token) });
    expect(accesses.statusCode, accesses.body).toBe(200);
    const notMine = (await t.gw.repos.cameras.list({})).find((c) => c.ownerUserId && c.ownerUserId !== owner.id)!;
    expect((await t.app.inject({ url: `/api/v1/my/cameras/${notMine.id}/accesses`, headers: auth(token) })).statusCode).toBeGreaterThanOrEqual(403);
  });
});

describe('health', () => {
  it('a sweep marks cameras online, a stopped camera offline within one sweep, with an event', async () => {
    const first = await t.gw.health.sweep();
    expect(first.states.online).toBeGreaterThanOrEqual(8);
    const victim = (await t.gw.repos.cameras.list({})).find((c) => c.onvifHost === cam('home-0').host)!;
    await cam('home-0').stop();
    events.length = 0;
    await t.gw.health.sweep();
    const after = await t.gw.repos.cameras.byId(victim.id);
    expect(after!.state).toBe('offline');
    expect(after!.stateReason).toMatch(/unreachable/);
    expect(events.find((e) => e.type === 'camera.state' && e.payload.cameraId === victim.id)).toMatchObject({ payload: { from: 'online', to: 'offline' } });
    await cam('home-0').start();
    await t.gw.health.sweep();
    expect((await t.gw.repos.cameras.byId(victim.id))!.state).toBe('online');
  });
});

describe('credential key rotation', () => {
  it('re-encrypts with the new key; old blobs still decrypt meanwhile', async () => {
    const { CredentialCipher } = await import('../gateway/cameras/credentials.ts');
    const { reencryptCredentials } = await import('../gateway/cameras/rotate-credentials.ts');
    const { randomBytes } = await import('node:crypto');
    const before = (await t.gw.repos.cameras.list({}))[0]!;
    const plain = t.gw.cipher.decrypt(before.credentialsEnc);
    // The test gateway's key is ephemeral: pull it out by decrypting with a ring that has a new key first and the old one second.
    const oldKeyRing = t.gw.cipher as unknown as { keys: Map<string, Buffer> };
    const rotated = new CredentialCipher([randomBytes(32), ...oldKeyRing.keys.values()]);
    const r = await reencryptCredentials(t.tdb.db, rotated);
    expect(r.reencrypted).toBe(r.checked);
    const after = (await t.gw.repos.cameras.byId(before.id))!;
    expect(after.credentialsEnc.startsWith(rotated.activeKid + '.')).toBe(true);
    expect(rotated.decrypt(after.credentialsEnc)).toEqual(plain);
    expect((await reencryptCredentials(t.tdb.db, rotated)).reencrypted).toBe(0);
  });
});

describe('health flap damping', () => {
  it('a camera that keeps flapping has to hold a new state for two sweeps before it is reported', async () => {
    const { healthMonitor } = await import('../gateway/cameras/health-monitor.ts');
    const seen: GatewayEvent[] = [];
    const c = (await t.gw.repos.cameras.list({}))[0]!;
    let next: 'online' | 'offline' = 'online';
    const monitor = healthMonitor({
      cameras: { ...t.gw.repos.cameras, probeTargets: async (after: string | null, limit: number) => (after ? [] : (await t.gw.repos.cameras.probeTargets(null, limit)).filter((x) => x.id === c.id)) },
      // The rotation test above re-encrypted the credentials with a key this gateway lacks; the fake probe ignores them anyway.
      cipher: { decrypt: () => ({ username: 'admin', password: 'x' }) } as unknown as typeof t.gw.cipher,
      events: { publish: (e) => seen.push(e) },
      probe: async () => ({ state: next, reason: next === 'offline' ? 'unreachable: test' : null }),
      config: { intervalMs: 60_000, jitter: 0, concurrency: 4, probeDeadlineMs: 1000, slowMs: 2000, maxClockSkewMs: 300_000 },
    });
    const flip = async (s: 'online' | 'offline') => {
      next = s;
      await monitor.sweep();
      return (await t.gw.repos.cameras.byId(c.id))!.state;
    };
    await t.gw.repos.cameras.setHealth({ cameraId: c.id, state: 'online', reason: null, seen: true, flaps: 0 });
    await flip('online');
    // Three quick changes are reported one by one…
    expect(await flip('offline')).toBe('offline');
    expect(await flip('online')).toBe('online');
    expect(await flip('offline')).toBe('offline');
    const reported = seen.length;
    // …then the camera counts as flapping: one deviant sweep changes nothing, two in a row do.
    expect(await flip('online')).toBe('offline');
    expect(seen.length).toBe(reported);
    expect(await flip('online')).toBe('online');
    expect(seen.length).toBe(reported + 1);
  });
});
