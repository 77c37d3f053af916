// A sighting with the camera's still in the route-tracing workspace: the page takes the picture through the
// authorising media edge (a snapshot play token), the gateway checks that token and keeps the JPEG with its hash,
// and the still is shown again from the case (re-authorised) — against a simulated camera over real ONVIF. Then a
// partner camera whose footage window has not started yet is not offered for a request.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { insertTestCamera } from '../helpers/cameras.ts';
import { startSimulator, type Simulator } from '../../camera-adapters/simulator/index.ts';
import { ensureViewerBuilt } from '../../web-viewer/scripts/build.ts';
import { CHROMIUM, haveBrowser, launchChromium, loginPage, shot } from './support.ts';

let t: TestGateway;
let sim: Simulator;
let browser: Browser;
let camera = '';
const AT = { lat: 35.952, lon: 115.884 };
const local = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16);

describe.skipIf(!haveBrowser)(`a sighting with a still, in Chromium (needs ${CHROMIUM})`, { timeout: 90_000 }, () => {
  beforeAll(async () => {
    await ensureViewerBuilt();
    t = await testGateway({ media: true });
    sim = await startSimulator({ cameras: 1, addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
    const c = sim.cameras[0]!;
    const r = await t.app.inject({
      method: 'POST', url: '/api/v1/cameras', headers: { authorization: `Bearer ${await t.login('shouzhang.officer')}` },
      payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', mediaPorts: [c.rtspPort], name: '寿张 G220 台前桥东', ownerClass: 'police', ...AT },
    });
    if (r.statusCode !== 201 && r.statusCode !== 200) throw new Error(`enrol: ${r.statusCode} ${r.body}`);
    camera = r.json().id as string;
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.close();
  }, 120_000);

  it('attaches the camera’s current picture to a sighting and shows it from the case', async () => {
    const token = await t.login('shouzhang.investigator');
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: { authorization: `Bearer ${token}` }, payload: { caseNo: 'YG-STILL-01', title: '抓拍', openedAt: new Date(Date.now() - 3_600_000).toISOString() } });
    const caseId = c.json().id as string;
    const page = await loginPage(browser, t.baseUrl!, 'shouzhang.investigator', undefined, `/tracing?case=${caseId}`);
    await page.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=map-canvas]')?.getAttribute('data-shapes')) > 5);
    await page.waitForTimeout(300);
    await page.evaluate((p) => (window as unknown as { shouwangMap: { setView(v: unknown): void } }).shouwangMap.setView({ lon: p.lon, lat: p.lat, zoom: 15 }), AT);
    await page.waitForTimeout(200);
    const xy = await page.evaluate((p) => (window as unknown as { shouwangMap: { toScreen(a: number, b: number): { x: number; y: number } } }).shouwangMap.toScreen(p.lat, p.lon), AT);
    await page.mouse.click(xy.x, xy.y);
    await expect.poll(() => page.textContent('[data-testid=sighting-camera]')).toContain('寿张 G220 台前桥东');
    await page.fill('[data-testid=sighting-form] input[name=seenAt]', local(Date.now() - 60_000));
    await page.check('[data-testid=sighting-form] input[type=checkbox]');
    await page.click('[data-testid=sighting-save]');
    await page.waitForSelector('[data-testid=sightings] li', { timeout: 30_000 }).catch(async (e: unknown) => { await shot(page, 'failed-tracing-still'); throw e; });
    const stored = await t.app.inject({ method: 'GET', url: `/api/v1/cases/${caseId}/sightings`, headers: { authorization: `Bearer ${token}` } });
    const s = stored.json().items[0] as { cameraId: string; snapshotSha256: string | null };
    expect(s.cameraId).toBe(camera);
    expect(s.snapshotSha256).toMatch(/^[0-9a-f]{64}$/);
    await page.click('[data-testid=sightings] li button:has-text("截图")');
    await page.waitForFunction(() => ((document.querySelector('.still img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
    await shot(page, 'tracing-still');

    // a partner camera 10 km west: reached about 15 minutes after a sighting a minute ago, so its window has not
    // started yet and is not offered for a request
    const far = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.952, lon: 115.774, name: '城关 西郊路口' });
    await page.click('[data-tab=reach]');
    await page.click('[data-testid=reach-search]');
    const row = page.locator(`[data-testid=station-preview] li[data-camera="${far}"]`);
    await expect.poll(() => row.textContent()).toContain('时段尚未开始');
    expect(await page.locator('[data-testid=station-group]', { hasText: '城关' }).locator('[data-testid=request-all]').isDisabled()).toBe(true);
    await page.context().close();
  });
});
