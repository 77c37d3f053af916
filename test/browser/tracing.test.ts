// The route-tracing workspace in Chromium, scenario 1: a Shouzhang investigator opens a case, marks two sightings
// by clicking cameras on the map, finds the cameras reachable across the county line, requests all of them
// from the Chengguan station in one step, and the Chengguan duty officer (a second browser) sees the request
// arrive and approves it; the investigator's page follows live; the signed route report opens and verifies.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { insertTestCamera } from '../helpers/cameras.ts';
import { ensureViewerBuilt } from '../../web-viewer/scripts/build.ts';
import { CHROMIUM, haveBrowser, launchChromium, loginPage, shot } from './support.ts';

let t: TestGateway;
let base = '';
let browser: Browser;
let investigator: Page;
let duty: Page;
const HOUR = 3_600_000;
// "02:00 last night": six hours ago; the case opens at the incident
const t0 = Date.now() - 6 * HOUR;
/** A Shanghai wall-clock value for a datetime-local input. */
const local = (ms: number) => new Date(ms + 8 * HOUR).toISOString().slice(0, 16);
const CASE = '阳公（刑）立字〔2026〕1124号';
const cam = {} as Record<'g220' | 'zhangqiu' | 'bridge' | 'road' | 'home', string>;
const where = {
  g220: { lat: 35.952, lon: 115.884 },
  zhangqiu: { lat: 35.9465, lon: 115.8935 },
};

type MapHook = { shouwangMap: { setView(v: unknown): void; toScreen(lat: number, lon: number): { x: number; y: number } } };

async function clickCamera(page: Page, p: { lat: number; lon: number }): Promise<void> {
  const xy = await page.evaluate((q) => (window as unknown as MapHook).shouwangMap.toScreen(q.lat, q.lon), p);
  await page.mouse.click(xy.x, xy.y);
}

describe.skipIf(!haveBrowser)(`the route-tracing workspace in Chromium (needs ${CHROMIUM})`, { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await ensureViewerBuilt();
    t = await testGateway();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as net.AddressInfo).port}`;
    // Shouzhang's cameras on the Yanggu side of the bridge; Chengguan's across it, one of them a home camera
    cam.g220 = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', ...where.g220, name: '寿张 G220 台前桥东' });
    cam.zhangqiu = await insertTestCamera(t.gw, { stationCode: '37152101', ownerClass: 'police', ...where.zhangqiu, name: '寿张 张秋路口' });
    cam.bridge = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: '城关 黄河桥西' });
    cam.road = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.96, lon: 115.866, name: '城关 S101 路口' });
    cam.home = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'household', sharingMode: 'on_request', ownerUsername: 'chengguan-chengguan.owner', lat: 35.958, lon: 115.87, name: '城关村 李家门口' });
    browser = await launchChromium();
  }, 180_000);
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const [name, p] of Object.entries({ investigator, duty })) if (p && !p.isClosed()) await shot(p, `failed-tracing-${ctx.task.name.slice(0, 24)}-${name}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  it('opens a case: a bad case number is refused in words with its code, a good one opens the workspace', async () => {
    duty = await loginPage(browser, base, 'chengguan.duty', undefined, '/inbox');
    await duty.waitForSelector('.inbox-page');
    investigator = await loginPage(browser, base, 'shouzhang.investigator', undefined, '/tracing');
    await investigator.waitForSelector('[data-testid=case-form]');
    await investigator.fill('[data-testid=case-form] input[name=caseNo]', '阳公<刑>1124');
    await investigator.fill('[data-testid=case-form] input[name=title]', '电动车电瓶盗窃 白色轿车 跨县');
    await investigator.fill('[data-testid=case-form] input[name=openedAt]', local(t0));
    await investigator.click('[data-testid=case-create]');
    const err = investigator.locator('[data-testid=case-form] [role=alert]');
    await err.waitFor();
    expect(await err.getAttribute('data-code')).toBe('invalid_case_number');
    expect(await err.textContent()).toContain('案件编号格式不正确');
    await shot(investigator, 'tracing-cases');
    // inner spaces as typed are canonicalised by the server
    await investigator.fill('[data-testid=case-form] input[name=caseNo]', '阳公（刑）立字〔2026〕  1124号 ');
    await investigator.click('[data-testid=case-create]');
    await investigator.waitForSelector('[data-testid=tracing]');
    expect(await investigator.textContent('[data-testid=case-no]')).toBe('阳公（刑）立字〔2026〕 1124号');
    expect(new URL(investigator.url()).searchParams.get('case')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('marks two sightings by clicking cameras on the map; the route survives a reload', async () => {
    await investigator.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
    await investigator.waitForFunction(() => Number(document.querySelector('[data-testid=map-canvas]')?.getAttribute('data-shapes')) > 5);
    await investigator.waitForTimeout(300);
    await investigator.evaluate(() => (window as unknown as MapHook).shouwangMap.setView({ lon: 115.882, lat: 35.952, zoom: 14 }));
    await investigator.waitForTimeout(200);
    await clickCamera(investigator, where.zhangqiu);
    await expect.poll(() => investigator.textContent('[data-testid=sighting-camera]')).toContain('寿张 张秋路口');
    await investigator.fill('[data-testid=sighting-form] input[name=seenAt]', local(t0 + 5 * 60_000));
    await investigator.fill('[data-testid=sighting-form] textarea[name=note]', '白色轿车由张秋方向向西行驶');
    await investigator.click('[data-testid=sighting-save]');
    await investigator.waitForSelector('[data-testid=sightings] li >> nth=0');
    // a time before the incident is refused with the reason in words
    await clickCamera(investigator, where.g220);
    await expect.poll(() => investigator.textContent('[data-testid=sighting-camera]')).toContain('寿张 G220 台前桥东');
    await investigator.fill('[data-testid=sighting-form] input[name=seenAt]', local(t0 - HOUR));
    await investigator.click('[data-testid=sighting-save]');
    const refused = investigator.locator('[data-testid=sighting-form] [role=alert]');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('时间早于案发时间');
    await investigator.fill('[data-testid=sighting-form] input[name=seenAt]', local(t0 + 12 * 60_000));
    await investigator.fill('[data-testid=sighting-form] textarea[name=note]', '白色轿车驶上黄河大桥');
    await investigator.click('[data-testid=sighting-save]');
    await investigator.waitForSelector('[data-testid=sightings] li >> nth=1');
    const list = await investigator.textContent('[data-testid=sightings]');
    expect(list).toContain('+08:00');
    expect(list).toContain('间隔 7 分钟');
    expect(await investigator.locator('[data-testid=timeline] .tl-dot').count()).toBe(2);

    await investigator.reload();
    await investigator.waitForSelector('[data-testid=sightings] li >> nth=1');
    expect(await investigator.textContent('[data-testid=sightings] li >> nth=0')).toContain('寿张 张秋路口');
  });

  it('edits a sighting and shows its history', async () => {
    const first = investigator.locator('[data-testid=sightings] li >> nth=0');
    await first.locator('button', { hasText: '修改' }).first().click();
    await investigator.fill('[data-testid=sighting-form] textarea[name=note]', '白色轿车，两人，由张秋方向向西行驶');
    await investigator.click('[data-testid=sighting-save]');
    await expect.poll(() => first.textContent()).toContain('已修改 1 次');
    await first.locator('button', { hasText: '修改历史' }).click();
    await expect.poll(() => first.locator('[data-testid=history]').textContent()).toContain('说明');
  });

  it('finds the cameras reachable across the county line and requests all of them from Chengguan in one step', async () => {
    await investigator.click('[data-tab=reach]');
    await investigator.waitForSelector('[data-testid=reach-form]');
    // from the second sighting, at the bridge
    await investigator.selectOption('[data-testid=reach-form] select[name=from]', { index: 1 });
    await investigator.fill('[data-testid=reach-form] input[name=minutes]', '30');
    await investigator.click('[data-testid=reach-search]');
    const chengguan = investigator.locator('[data-testid=station-group]', { hasText: '城关' });
    await chengguan.waitFor();
    expect(await chengguan.textContent()).toContain('yanggu-taiqian');
    // who approves, per camera, before anything is sent
    const preview = chengguan.locator('[data-testid=station-preview]');
    await expect.poll(() => preview.textContent()).toContain('值班民警审批');
    expect(await preview.textContent()).toContain('户主');
    expect(await investigator.locator('[data-testid=station-group]', { hasText: '寿张' }).first().textContent()).toContain('可直接查看');
    expect(new URL(investigator.url()).searchParams.get('mode')).toBe('car');
    await investigator.evaluate(() => (window as unknown as MapHook).shouwangMap.setView({ lon: 115.878, lat: 35.954, zoom: 14 }));
    await shot(investigator, 'tracing-reach');

    await chengguan.locator('[data-testid=request-all]').click();
    await expect.poll(() => chengguan.locator('[data-outcome=created]').count()).toBe(3);
    // one request to the station's duty officers, one to the home camera's owner
    await expect.poll(() => chengguan.locator('[data-testid=station-grants] [data-testid=grant]').count()).toBe(2);
  });

  it('the Chengguan duty officer sees the request arrive and approves; the workspace follows live', async () => {
    const card = duty.locator('[data-testid=grant][data-state=pending]', { hasText: CASE.slice(0, 8) }).first();
    await card.waitFor({ timeout: 15_000 });
    expect(await card.textContent()).toContain('城关 黄河桥西');
    await shot(duty, 'tracing-inbox');
    await card.locator('[data-testid=approve]').click();
    const chengguan = investigator.locator('[data-testid=station-group]', { hasText: '城关' });
    await chengguan.locator('[data-testid=station-grants] [data-testid=grant][data-state=approved]').waitFor({ timeout: 15_000 });
    expect(await chengguan.locator('[data-testid=to-playback]').count()).toBe(1);
    await expect.poll(() => investigator.locator('[data-testid=timeline] .tl-window.grant-approved').count()).toBeGreaterThan(0);
    // the approved cameras are viewable now: the list says so without searching again
    await expect.poll(() => chengguan.locator(`tr[data-camera="${cam.bridge}"]`).textContent()).toContain('可直接查看');
    // each viewable camera opens playback on its own window, under the grant that allows it
    await chengguan.locator(`tr[data-camera="${cam.bridge}"] [data-testid=row-playback]`).click();
    await expect.poll(() => new URL(investigator.url()).pathname).toBe('/playback');
    const u = new URL(investigator.url());
    expect(u.searchParams.get('camera')).toBe(cam.bridge);
    expect(u.searchParams.get('grant')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(u.searchParams.get('to')!)).toBeGreaterThan(Date.parse(u.searchParams.get('from')!));
    // and back returns to the same search
    await investigator.goBack();
    await chengguan.waitFor();
    // the home camera's owner has not decided yet: it is not offered for a second request
    await expect.poll(() => chengguan.locator(`[data-testid=station-preview] li[data-camera="${cam.home}"]`).textContent()).toContain('已申请，待审批');
    expect(await chengguan.locator('[data-testid=request-all]').isDisabled()).toBe(true);

    // the car is found on the Chengguan side of the bridge: the route crosses the county line
    await investigator.click('[data-tab=route]');
    await investigator.evaluate(() => (window as unknown as MapHook).shouwangMap.setView({ lon: 115.872, lat: 35.955, zoom: 15.5 }));
    await investigator.waitForTimeout(200);
    await clickCamera(investigator, { lat: 35.955, lon: 115.872 });
    await expect.poll(() => investigator.textContent('[data-testid=sighting-camera]')).toContain('城关 黄河桥西');
    await investigator.fill('[data-testid=sighting-form] input[name=seenAt]', local(t0 + 16 * 60_000));
    await investigator.fill('[data-testid=sighting-form] textarea[name=note]', '白色轿车下桥进入台前');
    await investigator.click('[data-testid=sighting-save]');
    await investigator.waitForSelector('[data-testid=sightings] li >> nth=2');
    expect(await investigator.textContent('[data-testid=sightings] li >> nth=2')).toContain('城关派出所');
    await investigator.click('[data-tab=reach]');
    await chengguan.waitFor();

    // the picture for the README: the whole sidebar from the case down to the approved grants
    await investigator.setViewportSize({ width: 1440, height: 1300 });
    await investigator.evaluate(() => document.querySelector('.tracing-side')?.scrollTo(0, 0));
    await investigator.evaluate(() => (window as unknown as MapHook).shouwangMap.setView({ lon: 115.879, lat: 35.9545, zoom: 14.5 }));
    await investigator.waitForTimeout(300);
    await shot(investigator, 'tracing');
    await investigator.setViewportSize({ width: 1440, height: 900 });
  });

  it('finds the cameras along the route between the sightings (corridor); the search is in the URL', async () => {
    await investigator.click('[data-tab=reach]');
    await investigator.click('[data-testid=reach-form] [data-kind=corridor]');
    await investigator.fill('[data-testid=reach-form] input[name=widthM]', '500');
    await investigator.click('[data-testid=reach-search]');
    await expect.poll(() => new URL(investigator.url()).searchParams.get('kind')).toBe('corridor');
    const results = investigator.locator('[data-testid=reach-results]');
    await expect.poll(() => results.textContent()).toContain('500 米宽');
    // the route runs through both Shouzhang cameras and over the bridge; the S101 junction is 800 m off it
    expect(await results.locator(`tr[data-camera="${cam.zhangqiu}"]`).count()).toBe(1);
    expect(await results.locator(`tr[data-camera="${cam.bridge}"]`).count()).toBe(1);
    expect(await results.locator(`tr[data-camera="${cam.road}"]`).count()).toBe(0);
  });

  it('invites a partner investigator; a station without an agreement is refused in words', async () => {
    await investigator.click('[data-tab=members]');
    await investigator.fill('[data-testid=members] input[name=invite]', 'lize.investigator');
    await investigator.click('[data-testid=members] button[type=submit]');
    const err = investigator.locator('[data-testid=members] [role=alert]');
    await err.waitFor();
    expect(await err.getAttribute('data-code')).toBe('no_agreement');
    await investigator.fill('[data-testid=members] input[name=invite]', 'chengguan.investigator');
    await investigator.click('[data-testid=members] button[type=submit]');
    await expect.poll(() => investigator.textContent('[data-testid=members] table')).toContain('chengguan.investigator');
  });

  it('opens the route report (styled under the viewer CSP) and verifies it, and a changed copy fails', async () => {
    await investigator.click('[data-tab=report]');
    const [report] = await Promise.all([investigator.context().waitForEvent('page'), investigator.click('[data-testid=report-open]')]);
    await report.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('循线追踪报告'));
    expect(await report.textContent('h1')).toContain('1124号');
    expect(await report.locator('svg polyline').count()).toBe(1);
    // the report's own style block ran: the CSP hash matches
    expect(await report.evaluate(() => getComputedStyle(document.body).marginTop)).toBe('24px');
    await report.setViewportSize({ width: 1000, height: 1100 });
    await shot(report, 'tracing-report');
    await report.close();

    // the signed JSON as the page downloads it
    const [download] = await Promise.all([investigator.waitForEvent('download'), investigator.click('[data-testid=report-json]')]);
    expect(download.suggestedFilename()).toMatch(/^route-report-.*1124.*\.json$/);
    const doc = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { report: { case: { caseNo: string }; sightings: Array<{ note: string }> } };
    expect(doc.report.case.caseNo).toBe('阳公（刑）立字〔2026〕 1124号');
    expect(doc.report.sightings).toHaveLength(3);
    await investigator.setInputFiles('[data-testid=report-verify-file]', { name: 'report.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    await expect.poll(() => investigator.getAttribute('[data-testid=report-verdict]', 'data-valid')).toBe('true');
    expect(await investigator.textContent('[data-testid=report-verdict]')).toContain('签名有效');
    doc.report.sightings[0]!.note = '改过的说明';
    await investigator.setInputFiles('[data-testid=report-verify-file]', { name: 'report2.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    await expect.poll(() => investigator.getAttribute('[data-testid=report-verdict]', 'data-valid')).toBe('false');
    expect(await investigator.textContent('[data-testid=report-verdict]')).toContain('签名与内容不符');
  });

  it('the case owner closes the case: it becomes read only', async () => {
    await investigator.click('[data-tab=members]');
    await investigator.fill('[data-testid=members] input[name=closeReason]', '嫌疑人已抓获，移交起诉');
    await investigator.click('[data-testid=members] .close-case button[type=submit]');
    await investigator.waitForSelector('[data-testid=case-closed]');
    expect(await investigator.textContent('.case-head')).toContain('已结案');
    await investigator.click('[data-tab=route]');
    expect(await investigator.locator('[data-testid=sighting-form]').count()).toBe(0);
    expect(await investigator.locator('[data-testid=sightings] button', { hasText: '删除' }).count()).toBe(0);
  });

  it('an expired session returns to the same case and tab after logging in again', async () => {
    const at = investigator.url();
    await investigator.evaluate(() => fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${localStorage.getItem('shouwang.session')}` } }));
    await investigator.waitForSelector('.login .banner.info');
    await investigator.fill('input[name=username]', 'shouzhang.investigator');
    await investigator.fill('input[name=password]', 'shouwang-demo');
    await investigator.click('button[type=submit]');
    await investigator.waitForSelector('[data-testid=sightings]');
    expect(investigator.url()).toBe(at);
    expect(new URL(at).searchParams.get('tab')).toBe('route');
    // and in English
    await investigator.click('[data-testid=lang]');
    expect(await investigator.textContent('.tracing-side .tabs')).toContain('Reachable');
    expect(await investigator.textContent('[data-testid=sightings]')).toContain('min later');
    await shot(investigator, 'tracing-en');
    await investigator.click('[data-testid=lang]');
  });
});
