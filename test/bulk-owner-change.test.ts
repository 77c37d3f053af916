// Issue 8 §6: a bulk CSV row that names another owner is a new owner account and a new consent; the old owner
// loses the camera and is told; the dry run shows the difference per row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
let cameraId = '';
let oldOwnerId = '';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const COLS = ['address', 'port', 'username', 'password', 'owner_name', 'owner_phone', 'house', 'lat', 'lon', 'sharing_mode', 'consent_date'];
const csv = (r: Record<string, string | number>) => `${COLS.join(',')}\n${COLS.map((c) => String(r[c] ?? '')).join(',')}\n`;
const row = { address: '127.0.0.1', port: 31999, username: 'admin', password: 'pw-1234', owner_name: '张秀英', owner_phone: '13800009000', house: '西街村 9排1号', lat: 37.421, lon: 117.841, sharing_mode: 'station', consent_date: '2026-10-01' };

beforeAll(async () => {
  t = await testGateway();
  const village = (await t.gw.repos.users.byUsername('lize-xijie.committee'))!.jurisdictionId;
  const station = (await t.gw.repos.jurisdictions.byCode('37167101'))!;
  // The old owner: an activated account, with the camera enrolled earlier (no probe needed for an update without new credentials).
  const old = await t.gw.repos.users.upsert({ username: 'owner-13800009000', displayName: '张秀英', role: 'household_owner', jurisdictionId: village, phone: '13800009000', passwordHash: '!x' });
  oldOwnerId = old.id;
  await t.gw.accounts.setPassword({ id: old.id, username: 'admin', role: 'system_admin', subject: { role: 'system_admin', villageId: null } }, old.id, 'zhang-xiuying-2026');
  cameraId = await t.gw.repos.cameras.insert({
    deviceIdPrefix: '3716710100131', name: '张秀英 西街村 9排1号', ownerClass: 'household', stationId: station.id, villageId: village, ownerUserId: old.id,
    ownerName: '张秀英', ownerPhone: '13800009000', address: '西街村 9排1号', sharingMode: 'station', delegatedToCommittee: false, lat: 37.421, lon: 117.841,
    jurisdictionOverride: null, onvifHost: '127.0.0.1', onvifPort: 31999, credentialsEnc: t.gw.cipher.encrypt({ username: 'admin', password: 'pw-1234' }),
    deviceInfo: {}, clockOffsetMs: 0, profiles: [], enabled: true, enrolledBy: null,
  });
  await t.gw.repos.cameras.addConsent({ cameraId, sharingMode: 'station', consentDate: '2026-10-01', recordedBy: null, documentRef: null, ownerUserId: old.id });
});
afterAll(async () => {
  await t?.close();
});

describe('bulk row that changes the owner', () => {
  it('dry run shows the difference; commit makes a new owner account and consent; the old owner loses the camera and is told', async () => {
    const committee = await t.login('lize-xijie.committee');
    const oldOwner = await t.login('owner-13800009000', 'zhang-xiuying-2026');
    expect((await t.app.inject({ url: '/api/v1/cameras', headers: auth(oldOwner) })).json().items.map((c: { id: string }) => c.id)).toEqual([cameraId]);
    const sold = csv({ ...row, owner_name: '李建国', owner_phone: '13900009001', sharing_mode: 'on_request', consent_date: '2026-11-20' });

    const dry = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=true', headers: { ...auth(committee), 'content-type': 'text/csv' }, payload: sold });
    expect(dry.statusCode, dry.body).toBe(200);
    const d = dry.json().rows[0];
    expect(d).toMatchObject({ status: 'valid', cameraId, ownerChange: { from: 'owner-13800009000', to: 'owner-13900009001' } });
    expect(d.changes).toEqual(expect.arrayContaining(['ownerName', 'ownerPhone', 'sharingMode', 'owner']));
    expect((await t.gw.repos.cameras.byId(cameraId))!.ownerUserId).toBe(oldOwnerId);

    const commit = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=false', headers: { ...auth(committee), 'content-type': 'text/csv' }, payload: sold });
    expect(commit.json().rows[0]).toMatchObject({ status: 'updated', ownerChange: { to: 'owner-13900009001' } });
    const cam = (await t.gw.repos.cameras.byId(cameraId))!;
    const newOwner = (await t.gw.repos.users.byUsername('owner-13900009001'))!;
    expect(newOwner).toMatchObject({ role: 'household_owner', displayName: '李建国', activated: false });
    expect(cam).toMatchObject({ ownerUserId: newOwner.id, ownerName: '李建国', sharingMode: 'on_request' });
    const consents = await t.gw.repos.cameras.consents(cameraId);
    expect(consents.at(-1)).toMatchObject({ sharingMode: 'on_request', consentDate: '2026-11-20', ownerUserId: newOwner.id });

    // The old owner no longer sees it or its accesses, and finds a notice.
    expect((await t.app.inject({ url: '/api/v1/cameras', headers: auth(oldOwner) })).json().items).toEqual([]);
    expect((await t.app.inject({ url: `/api/v1/cameras/${cameraId}`, headers: auth(oldOwner) })).statusCode).toBe(404);
    const notices = (await t.app.inject({ url: '/api/v1/me/notices', headers: auth(oldOwner) })).json().items;
    expect(notices[0]).toMatchObject({ kind: 'camera_owner_changed' });
    const audit = await t.gw.repos.audit.query({ cameraId, action: 'camera.owner_change' });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ fromUserId: oldOwnerId, toUserId: newOwner.id });

    // Running the same file again changes nothing.
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/cameras/bulk?dryRun=false', headers: { ...auth(committee), 'content-type': 'text/csv' }, payload: sold });
    expect(again.json().rows[0].status).toBe('unchanged');
  });
});
