// A home camera that changes owner (a committee's CSV) takes its pending requests with it: the old owner can no
// longer decide on them, so they go to the new owner or their committee, or end saying why nobody can approve.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { verifyAuditChain } from '../gateway/audit/verify.ts';

let t: TestGateway;
const HOUR = 3_600_000;
const night = { from: new Date(Date.now() - 6 * HOUR).toISOString(), to: new Date(Date.now() - 4 * HOUR).toISOString() };
const tokens: Record<string, string> = {};
const COLS = ['address', 'port', 'username', 'password', 'owner_name', 'owner_phone', 'house', 'lat', 'lon', 'sharing_mode', 'consent_date', 'delegated'];
const csv = (rows: Array<Record<string, string | number>>) => `${COLS.join(',')}\n${rows.map((r) => COLS.map((c) => String(r[c] ?? '')).join(',')).join('\n')}\n`;
const base = { address: '127.0.0.1', username: 'admin', password: 'pw-1234', owner_name: '张秀英', owner_phone: '13800009100', lat: 37.421, lon: 117.841, sharing_mode: 'on_request', consent_date: '2026-10-01', delegated: 'no' };
const cams: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };
const ports = { a: 32101, b: 32102, c: 32103, d: 32104 };

async function api(user: string, method: 'GET' | 'POST', url: string, payload?: unknown, contentType?: string) {
  const r = await t.app.inject({
    method, url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[user]}`, ...(contentType && { 'content-type': contentType }) },
    ...(payload !== undefined && { payload: payload as string }),
  });
  return { status: r.statusCode, body: r.json() };
}

beforeAll(async () => {
  t = await testGateway();
  const village = (await t.gw.repos.users.byUsername('lize-xijie.committee'))!.jurisdictionId;
  const station = (await t.gw.repos.jurisdictions.byCode('37167101'))!;
  const old = await t.gw.repos.users.upsert({ username: 'owner-13800009100', displayName: '张秀英', role: 'household_owner', jurisdictionId: village, phone: '13800009100', passwordHash: '!x' });
  await t.gw.accounts.setPassword({ id: old.id, username: 'admin', role: 'system_admin', subject: { role: 'system_admin', villageId: null } }, old.id, 'zhang-xiuying-2026');
  for (const k of ['a', 'b', 'c', 'd'] as const) {
    cams[k] = await t.gw.repos.cameras.insert({
      deviceIdPrefix: '3716710100131', name: `张秀英 ${k}`, ownerClass: 'household', stationId: station.id, villageId: village, ownerUserId: old.id,
      ownerName: '张秀英', ownerPhone: '13800009100', address: `西街村 9排${k}号`, sharingMode: 'on_request', delegatedToCommittee: false, lat: 37.421, lon: 117.841,
      jurisdictionOverride: null, onvifHost: '127.0.0.1', onvifPort: ports[k], credentialsEnc: t.gw.cipher.encrypt({ username: 'admin', password: 'pw-1234' }),
      deviceInfo: {}, clockOffsetMs: 0, profiles: [], enabled: true, enrolledBy: null,
    });
    await t.gw.repos.cameras.addConsent({ cameraId: cams[k], sharingMode: 'on_request', consentDate: '2026-10-01', recordedBy: null, documentRef: null, ownerUserId: old.id });
  }
  tokens.old = await t.login('owner-13800009100', 'zhang-xiuying-2026');
  for (const u of ['lize.investigator', 'lize-xijie.committee']) tokens[u] = await t.login(u);
});
afterAll(async () => {
  await t?.close();
});

describe('pending requests follow a camera to its new owner', () => {
  it('a request for two cameras splits: the sold one goes to the new owner’s committee, the other stays; a camera nobody can approve ends its request', async () => {
    const two = await api('lize.investigator', 'POST', '/grants', { cameraIds: [cams.a, cams.b], caseNo: 'LZ-2026-0777', reason: 'theft in the lane', actions: ['playback'], footage: night });
    expect(two.status, JSON.stringify(two.body)).toBe(201);
    expect(two.body.grants).toHaveLength(1);
    const shared = two.body.grants[0].grant.id as string;
    const one = await api('lize.investigator', 'POST', '/grants', { cameraIds: [cams.c], caseNo: 'LZ-2026-0778', reason: 'another theft', actions: ['playback'], footage: night });
    const lone = one.body.grants[0].grant.id as string;
    expect((await api('old', 'GET', '/grants?view=inbox')).body.items.map((g: { id: string }) => g.id).sort()).toEqual([shared, lone].sort());
    expect((await api('lize-xijie.committee', 'GET', '/grants?view=inbox')).body.items).toEqual([]);

    // Camera a: sold to someone who delegates to the committee; camera c: to someone with no account yet and no delegation.
    const sold = csv([
      { ...base, port: ports.a, house: '西街村 9排a号', owner_name: '李建国', owner_phone: '13900009101', consent_date: '2026-11-20', delegated: 'yes' },
      { ...base, port: ports.c, house: '西街村 9排c号', owner_name: '王芳', owner_phone: '13900009102', consent_date: '2026-11-20' },
    ]);
    const commit = await api('lize-xijie.committee', 'POST', '/cameras/bulk?dryRun=false', sold, 'text/csv');
    expect(commit.status, JSON.stringify(commit.body)).toBe(200);
    expect(commit.body.rows.map((r: { status: string }) => r.status)).toEqual(['updated', 'updated']);

    // The old owner keeps only what is still theirs.
    const oldInbox = (await api('old', 'GET', '/grants?view=inbox')).body.items;
    expect(oldInbox.map((g: { id: string }) => g.id)).toEqual([shared]);
    expect(oldInbox[0].cameraIds).toEqual([cams.b]);
    expect((await api('old', 'POST', `/grants/${lone}/approve`, {})).body.error.code).toBe('not_approver');

    // The committee the new owner delegated to sees a request for camera a alone, and can approve it.
    const committeeInbox = (await api('lize-xijie.committee', 'GET', '/grants?view=inbox')).body.items;
    expect(committeeInbox).toHaveLength(1);
    expect(committeeInbox[0]).toMatchObject({ cameraIds: [cams.a], caseNo: 'LZ-2026-0777', state: 'pending' });
    expect((await api('lize-xijie.committee', 'POST', `/grants/${committeeInbox[0].id}/approve`, {})).status).toBe(200);
    const inside = { from: new Date(Date.parse(night.from) + 60_000).toISOString(), to: new Date(Date.parse(night.from) + 120_000).toISOString() };
    expect((await api('lize.investigator', 'POST', '/play-tokens', { cameraId: cams.a, action: 'playback', footage: inside })).status).toBe(201);

    // Camera c's request ends, saying why; the requester sees it.
    const ended = (await api('lize.investigator', 'GET', `/grants/${lone}`)).body.grant;
    expect(ended).toMatchObject({ state: 'denied' });
    expect(ended.decisionReason).toContain('no_approver');

    const rows = await t.gw.repos.audit.query({ action: 'grant.reroute' });
    expect(rows.map((r) => r.grantId).sort()).toEqual(expect.arrayContaining([shared, lone, committeeInbox[0].id]));
    expect(await verifyAuditChain(t.gw.repos.audit)).toMatchObject({ intact: true, broken: [] });
  });

  it('the old owner approving at the same instant as the sale: either the approval happened first and stands, or it is refused and the request moves; never both', async () => {
    const r = await api('lize.investigator', 'POST', '/grants', { cameraIds: [cams.d], caseNo: 'LZ-2026-0779', reason: 'race', actions: ['playback'], footage: night });
    const id = r.body.grants[0].grant.id as string;
    const sold = csv([{ ...base, port: ports.d, house: '西街村 9排d号', owner_name: '赵敏', owner_phone: '13900009104', consent_date: '2026-11-21', delegated: 'yes' }]);
    const [sale, approval] = await Promise.all([
      api('lize-xijie.committee', 'POST', '/cameras/bulk?dryRun=false', sold, 'text/csv'),
      api('old', 'POST', `/grants/${id}/approve`, {}),
    ]);
    expect(sale.body.rows[0].status).toBe('updated');
    const g = (await api('lize.investigator', 'GET', `/grants/${id}`)).body.grant;
    const rerouted = await t.gw.repos.audit.query({ action: 'grant.reroute', grantId: id });
    if (approval.status === 200) {
      // approved while the old owner still owned it: it stands, and nothing was re-addressed
      expect(g.state).toBe('approved');
      expect(rerouted).toHaveLength(0);
    } else {
      expect(approval.body.error.code).toBe('not_approver');
      expect(g.state).toBe('pending');
      expect(rerouted).toHaveLength(1);
      expect((await api('lize-xijie.committee', 'GET', '/grants?view=inbox')).body.items.map((x: { id: string }) => x.id)).toContain(id);
    }
    expect(await verifyAuditChain(t.gw.repos.audit)).toMatchObject({ intact: true, broken: [] });
  });
});
