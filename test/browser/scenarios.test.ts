// The product in a real browser: a Shouzhang investigator requests Chengguan cameras across the county line,
// the Chengguan duty officer (a second browser) sees it arrive live, narrows and approves, the owner approves
// their home camera, the investigator's tiles play decoded frames, the duty officer revokes and the tile says
// so, the owner sees who looked, and a village committee enrols cameras from a GBK spreadsheet.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Browser, Page } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { startSimulator, type Simulator } from '../../camera-adapters/simulator/index.ts';
import { ensureViewerBuilt } from '../../web-viewer/scripts/build.ts';
import { CHROMIUM, haveBrowser, launchChromium, loginPage, shot } from './support.ts';
import { enrolSimulated } from '../helpers/cameras.ts';

let t: TestGateway;
let recordings = '';
let sim: Simulator;
let browser: Browser;
const cam: Record<'a' | 'b' | 'home' | 'own', string> = { a: '', b: '', home: '', own: '' };
let investigator: Page;
let duty: Page;
let owner: Page;

const CENTRE = { lat: 35.962, lon: 115.868 };
const RADIUS_M = 2100;
const CASE = 'YG-2026-1124-07';

const enrol = (as: string, i: number, body: Record<string, unknown>): Promise<string> => enrolSimulated(t, sim.cameras[i]!, as, body);

async function frames(page: Page, cameraId: string): Promise<number> {
  return page.evaluate((id) => {
    const tile = document.querySelector(`[data-testid=tile][data-camera="${id}"]`);
    return Math.max(0, ...[...(tile?.querySelectorAll('video') ?? [])].map((v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames));
  }, cameraId);
}

describe.skipIf(!haveBrowser)(`the web viewer in Chromium (needs ${CHROMIUM})`, { timeout: 90_000 }, () => {
  beforeAll(async () => {
    await ensureViewerBuilt();
    // the footage routes too, as main.ts registers them (the owner page reads each camera's privacy mask)
    recordings = mkdtempSync(path.join(tmpdir(), 'shouwang-scenarios-rec-'));
    t = await testGateway({ media: true, footage: { recordingDir: recordings } });
    sim = await startSimulator({ cameras: 6, addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
    cam.a = await enrol('chengguan.duty', 0, { name: '城关 台前黄河桥西', ownerClass: 'police', lat: 35.958, lon: 115.870 });
    cam.b = await enrol('chengguan.duty', 1, { name: '城关 滨河路口', ownerClass: 'police', lat: 35.951, lon: 115.866 });
    const ownerUser = await t.gw.repos.users.byUsername('chengguan-chengguan.owner');
    cam.home = await enrol('chengguan-chengguan.committee', 2, {
      name: '城关村 3排12号 门口', ownerClass: 'household', lat: 35.972, lon: 115.856, ownerUserId: ownerUser!.id,
      sharingMode: 'on_request', consentDate: '2026-10-08', address: '城关村 3排12号',
    });
    cam.own = await enrol('shouzhang.officer', 3, { name: '寿张 G220 台前桥东', ownerClass: 'police', lat: 35.957, lon: 115.879 });
    browser = await launchChromium();
  }, 180_000);
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const [name, p] of Object.entries({ investigator, duty, owner })) if (p && !p.isClosed()) await shot(p, `failed-${ctx.task.name.slice(0, 30)}-${name}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (recordings) rmSync(recordings, { recursive: true, force: true });
    await sim?.close();
  }, 120_000);

  it('serves the page with a strict CSP and falls back to the app for client routes', async () => {
    const r = await fetch(`${t.baseUrl}/inbox`);
    expect(r.status).toBe(200);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await r.text()).toContain('<div id="app">');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await (await fetch(`${t.baseUrl}/`)).text())![1]!;
    expect((await fetch(`${t.baseUrl}${asset}`)).headers.get('cache-control')).toContain('immutable');
    const api404 = await fetch(`${t.baseUrl}/api/v1/nothing-here`);
    expect(api404.status).toBe(404);
    expect((await api404.json()).error.code).toBe('not_found');
  });

  it('a Shouzhang investigator draws a radius across the border and requests', async () => {
    // the Chengguan duty officer is already watching the inbox in a second browser
    duty = await loginPage(browser, t.baseUrl!, 'chengguan.duty', undefined, '/inbox');
    await duty.waitForSelector('.inbox-page');
    investigator = await loginPage(browser, t.baseUrl!, 'shouzhang.investigator');
    await investigator.waitForFunction(() => Number(document.querySelector('[data-testid=map-canvas]')?.getAttribute('data-shapes')) > 5);
    await investigator.waitForTimeout(300);
    await shot(investigator, 'map');
    await investigator.click('[data-page=request]');
    await investigator.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
    await investigator.fill('input[name=caseNo]', CASE);
    await investigator.fill('textarea[name=reason]', '电动车电瓶盗窃，嫌疑白色轿车过台前大桥');
    await investigator.click('[data-mode=radius]');
    await investigator.evaluate((c) => (window as unknown as { shouwangMap: { setView(v: unknown): void } }).shouwangMap.setView({ lon: c.lon, lat: c.lat, zoom: 13 }), CENTRE);
    const east = CENTRE.lon + RADIUS_M / (111_320 * Math.cos((CENTRE.lat * Math.PI) / 180));
    const [p0, p1] = await investigator.evaluate(([c, e]) => {
      const m = (window as unknown as { shouwangMap: { toScreen(lat: number, lon: number): { x: number; y: number } } }).shouwangMap;
      return [m.toScreen(c.lat, c.lon), m.toScreen(c.lat, e)];
    }, [CENTRE, east] as const);
    await investigator.mouse.move(p0!.x, p0!.y);
    await investigator.mouse.down();
    await investigator.mouse.move((p0!.x + p1!.x) / 2, p0!.y, { steps: 4 });
    await investigator.mouse.move(p1!.x, p1!.y, { steps: 4 });
    await investigator.mouse.up();
    // preview: both police cameras and the home camera, the own-station camera left out as not needed
    await investigator.waitForSelector(`[data-testid=preview] tr[data-camera="${cam.home}"]`);
    const preview = await investigator.textContent('[data-testid=preview]');
    expect(preview).toContain('城关 台前黄河桥西');
    expect(preview).toContain('户主');
    expect(await investigator.getAttribute(`[data-testid=preview] tr[data-camera="${cam.own}"]`, 'class')).toContain('excluded');
    await shot(investigator, 'request');
    // a reload keeps the half-filled form
    await investigator.reload();
    await investigator.waitForSelector(`[data-testid=preview] tr[data-camera="${cam.a}"]`);
    expect(await investigator.inputValue('input[name=caseNo]')).toBe(CASE);
    await investigator.click('[data-testid=request-submit]');
    await investigator.waitForSelector('[data-testid=request-sent]');
    expect(await investigator.textContent('[data-testid=request-sent]')).toContain('2');
  });

  it('the Chengguan duty officer sees it arrive live, narrows to one camera and approves', async () => {
    const card = duty.locator('[data-testid=grant][data-state=pending]').first();
    await card.waitFor({ timeout: 10_000 });
    expect(await card.getAttribute('class')).toContain('fresh');
    expect(await card.textContent()).toContain(CASE);
    await shot(duty, 'inbox');
    await card.locator('[data-testid=narrow-open]').click();
    await card.locator(`input[data-camera="${cam.b}"]`).uncheck();
    await card.locator('[data-testid=approve-narrowed]').click();
    await duty.waitForSelector('.inbox-page [data-testid=grant][data-state=approved]');
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/grants?view=station', headers: { authorization: `Bearer ${await t.login('chengguan.duty')}` } });
    const g = (r.json().items as Array<{ state: string; cameraIds: string[]; requestedCameraIds: string[]; caseNo: string }>).find((x) => x.caseNo === CASE && x.state === 'approved')!;
    expect(g.cameraIds).toEqual([cam.a]);
    expect(g.requestedCameraIds.sort()).toEqual([cam.a, cam.b].sort());
  });

  it('the owner approves the home camera and the investigator plays both cameras (decoded frames)', async () => {
    owner = await loginPage(browser, t.baseUrl!, 'chengguan-chengguan.owner');
    await owner.waitForSelector('.owner-page [data-testid=grant] button.primary');
    await owner.click('.owner-page [data-testid=grant] button.primary');
    await owner.waitForSelector('.owner-page [data-testid=grant]', { state: 'detached' });

    // the partner cameras' names come from the gateway (the grants name them), not from what this browser
    // remembered of the preview
    await investigator.evaluate(() => localStorage.removeItem('shouwang.cameraNames'));
    await investigator.click('[data-page=grants]');
    await investigator.waitForSelector('[data-testid=grant][data-state=approved] >> nth=1');
    await expect.poll(() => investigator.textContent('.grants-page'), { timeout: 10_000 }).toContain('城关 台前黄河桥西');
    expect(await investigator.textContent('.grants-page')).toContain('城关村 3排12号 门口');
    await shot(investigator, 'my-grants');
    await investigator.goto(`${t.baseUrl}/live?cams=${cam.a},${cam.home},${cam.b}&layout=4`);
    await investigator.waitForFunction((ids) => ids.every((id) => {
      const tile = document.querySelector(`[data-testid=tile][data-camera="${id}"]`);
      return tile?.getAttribute('data-status') === 'playing'
        && [...tile.querySelectorAll('video')].some((v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames > 5);
    }), [cam.a, cam.home], { timeout: 30_000 });
    expect(await frames(investigator, cam.a)).toBeGreaterThan(5);
    // the camera narrowed away says why it cannot play
    const refused = investigator.locator(`[data-testid=tile][data-camera="${cam.b}"]`);
    await expect.poll(() => refused.getAttribute('data-status')).toBe('refused');
    expect(await refused.textContent()).toContain('无法播放');
    await shot(investigator, 'live');
  });

  it('the duty officer revokes and the tile stops, saying the grant was revoked', async () => {
    await duty.click('[data-testid=revoke]');
    await duty.fill('[data-testid=revoke-reason]', '案件编号有误');
    await duty.click('[data-testid=revoke-confirm]');
    const tile = investigator.locator(`[data-testid=tile][data-camera="${cam.a}"]`);
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 10_000 }).toBe('revoked');
    expect(await tile.textContent()).toContain('授权已被撤销');
    // the home camera's grant is untouched and still plays
    expect(await investigator.getAttribute(`[data-testid=tile][data-camera="${cam.home}"]`, 'data-status')).toBe('playing');
    await shot(investigator, 'live-revoked');
  });

  it('the owner sees who looked at their camera: station, case, live', async () => {
    await owner.reload();
    const table = owner.locator(`[data-testid=owner-camera][data-camera="${cam.home}"] [data-testid=accesses]`);
    await expect.poll(async () => (await table.textContent()) ?? '', { timeout: 10_000 }).toContain(CASE);
    expect(await table.textContent()).toContain('寿张派出所');
    await shot(owner, 'owner');
  });

  it('a village committee uploads a GBK spreadsheet, checks it and commits', async () => {
    const committee = await loginPage(browser, t.baseUrl!, 'chengguan-chengguan.committee', undefined, '/enrol');
    const rows = [4, 5].map((i, n) => {
      const c = sim.cameras[i]!;
      return `${c.host},${c.httpPort},admin,pw-1234,${n ? '王秀兰' : '赵建军'},1380002${String(i).padStart(4, '0')},城关村 ${i}排${n + 3}号,35.97${5 + n},115.85${n},station,2026-11-20,${c.rtspPort}`;
    });
    const csv = iconv.encode(['address,port,username,password,owner_name,owner_phone,house,lat,lon,sharing_mode,consent_date,media_ports', ...rows, '127.0.0.1,1,admin,x,坏行,1,x,1,1,bogus,2026-01-01,'].join('\r\n'), 'gbk');
    await committee.setInputFiles('[data-testid=csv-file]', { name: '城关村摄像头.csv', mimeType: 'text/csv', buffer: csv });
    await committee.click('[data-testid=dry-run]');
    await committee.waitForSelector('[data-testid=enrol-summary][data-dry-run=true]', { timeout: 30_000 });
    expect((await committee.textContent('[data-testid=enrol-summary]'))!.toLowerCase()).toContain('gbk');
    expect(await committee.locator('[data-testid=enrol-rows] tr[data-status=rejected]').count()).toBe(1);
    await shot(committee, 'enrol-dry-run');
    await committee.click('[data-testid=commit]');
    await committee.waitForSelector('[data-testid=enrol-summary][data-dry-run=false]', { timeout: 30_000 });
    expect(await committee.locator('[data-testid=enrol-rows] tr[data-status=enrolled]').count()).toBe(2);
    await expect.poll(() => committee.locator('.enrol-page td', { hasText: '王秀兰' }).count()).toBeGreaterThan(0);
    await shot(committee, 'enrol');
    await committee.context().close();
  });

  it('an auditor sees the views and the revocation, verifies the chain, in English too', async () => {
    const auditor = await loginPage(browser, t.baseUrl!, 'chengguan.auditor');
    expect(auditor.url()).toContain('/audit');
    expect(await auditor.locator('.topbar nav a').count()).toBe(1);
    await auditor.fill('.filters input >> nth=0', CASE);
    await auditor.click('.filters button[type=submit]');
    await expect.poll(async () => (await auditor.textContent('[data-testid=audit-rows]')) ?? '').toContain('revoke');
    await auditor.click('[data-testid=verify]');
    await auditor.waitForSelector('[data-testid=verify-result]');
    await auditor.click('[data-testid=lang]');
    expect(await auditor.textContent('.topbar nav')).toContain('Audit');
    expect(await auditor.textContent('[data-testid=verify-result]')).toMatch(/Chain intact|Chain broken/);
    await shot(auditor, 'audit');
    await auditor.context().close();
  });

  it('a dropped events socket reconnects and catches up on what it missed', async () => {
    await duty.goto(`${t.baseUrl}/inbox`);
    await duty.waitForSelector('.inbox-page');
    await duty.context().setOffline(true);
    await duty.evaluate(() => (window as unknown as { shouwangEvents: { drop(): void } }).shouwangEvents.drop());
    await duty.waitForSelector('.banner.warn');
    // a request arrives while the duty officer's socket is down
    const r = await t.app.inject({
      method: 'POST', url: '/api/v1/grants', headers: { authorization: `Bearer ${await t.login('shouzhang.investigator')}` },
      payload: { cameraIds: [cam.b], caseNo: 'YG-2026-1124-09', reason: '补充调阅', actions: ['live'], lifetimeMinutes: 30 },
    });
    expect(r.statusCode).toBe(201);
    await duty.waitForTimeout(1000);
    expect(await duty.locator('[data-testid=grant]', { hasText: 'YG-2026-1124-09' }).count()).toBe(0);
    await duty.context().setOffline(false);
    await duty.locator('[data-testid=grant]', { hasText: 'YG-2026-1124-09' }).waitFor({ timeout: 20_000 });
    await duty.waitForSelector('.banner.warn', { state: 'detached' });
  });

  it('a polygon drawn on the map previews the cameras inside it', async () => {
    await investigator.goto(`${t.baseUrl}/request`);
    await investigator.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
    await investigator.waitForFunction(() => Number(document.querySelector('[data-testid=map-canvas]')?.getAttribute('data-shapes')) > 5);
    await investigator.click('[data-mode=polygon]');
    await investigator.evaluate((c) => (window as unknown as { shouwangMap: { setView(v: unknown): void } }).shouwangMap.setView({ lon: c.lon, lat: c.lat, zoom: 14 }), CENTRE);
    // a triangle around the two police cameras on the Taiqian side, not the home camera
    const corners = await investigator.evaluate((pts) => pts.map(([lat, lon]) =>
      (window as unknown as { shouwangMap: { toScreen(a: number, b: number): { x: number; y: number } } }).shouwangMap.toScreen(lat!, lon!)),
    [[35.963, 115.860], [35.963, 115.874], [35.944, 115.866]]);
    for (const c of corners.slice(0, -1)) await investigator.mouse.click(c.x, c.y);
    await investigator.mouse.dblclick(corners[2]!.x, corners[2]!.y);
    await investigator.waitForSelector(`[data-testid=preview] tr[data-camera="${cam.b}"], .request-page [role=alert]`);
    expect(await investigator.getAttribute('.request-page [role=alert]', 'title', { timeout: 100 }).catch(() => null)).toBeNull();
    expect(await investigator.locator(`[data-testid=preview] tr[data-camera="${cam.a}"]`).count()).toBe(1);
    expect(await investigator.locator(`[data-testid=preview] tr[data-camera="${cam.home}"]`).count()).toBe(0);
  });

  it('a wrong password is refused in the user\'s language, with the code', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${t.baseUrl}/`);
    await page.fill('input[name=username]', 'shouzhang.officer');
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('button[type=submit]');
    const err = page.locator('.login [role=alert]');
    await err.waitFor();
    expect(await err.getAttribute('data-code')).toBe('invalid_credentials');
    expect(await err.textContent()).toContain('用户名或密码错误');
    expect(await err.textContent()).toContain('invalid_credentials');
    await shot(page, 'login');
    await ctx.close();
  });

  it('an expired session goes back to login and returns to the same page', async () => {
    const page = await loginPage(browser, t.baseUrl!, 'shouzhang.officer', undefined, '/map?class=police');
    await page.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
    // the session ends on the server (as at expiry): the events socket is closed, or the next call gets 401
    await page.evaluate(() => fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${localStorage.getItem('shouwang.session')}` } }));
    await page.waitForSelector('.login .banner.info');
    await page.fill('input[name=username]', 'shouzhang.officer');
    await page.fill('input[name=password]', 'shouwang-demo');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
    const back = new URL(page.url());
    expect(back.pathname).toBe('/map');
    expect(back.searchParams.get('class')).toBe('police');
    await page.context().close();
  });
});
