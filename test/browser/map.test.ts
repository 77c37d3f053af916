// The map in Chromium on the compact listing (GET /map/cameras): every camera of the station drawn and counted,
// a reload revalidated by ETag (a 304: no listing transferred again), a renamed camera seen after the next load,
// health state changes applied from the events socket, and the camera card with its full record on click.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { insertTestCamera } from '../helpers/cameras.ts';
import { ensureViewerBuilt } from '../../web-viewer/scripts/build.ts';
import { CHROMIUM, haveBrowser, launchChromium, loginPage, shot } from './support.ts';

const N = 300;
let t: TestGateway;
let base = '';
let browser: Browser;
let page: Page;
const ids: string[] = [];

/** The listing's resource timing in this page load: bytes on the wire and the (encoded) body size. */
function listingTiming(p: Page) {
  return p.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/map/cameras'))
    .map((e) => ({ transfer: (e as PerformanceResourceTiming).transferSize, body: (e as PerformanceResourceTiming).encodedBodySize })));
}
const count = (p: Page) => p.evaluate(() => Number((document.querySelector('[data-testid=map-count]')?.textContent ?? '').replace(/\D/g, '')));

describe.skipIf(!haveBrowser)(`the map on the compact listing in Chromium (needs ${CHROMIUM})`, { timeout: 90_000 }, () => {
  beforeAll(async () => {
    await ensureViewerBuilt();
    t = await testGateway();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as net.AddressInfo).port}`;
    for (let i = 0; i < N; i++) {
      ids.push(await insertTestCamera(t.gw, {
        stationCode: '37152101', ownerClass: i % 3 === 0 ? 'police' : 'village', villageCode: '3715210101',
        lat: 35.872 + ((i * 7919) % 1000) / 1000 * 0.115, lon: 115.877 + ((i * 104729) % 1000) / 1000 * 0.051, name: `寿张 ${i + 1}`,
      }));
    }
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  it('draws and counts every camera of the station; a reload is a 304, a change is loaded again', async () => {
    page = await loginPage(browser, base, 'shouzhang.officer', undefined, '/map');
    await expect.poll(() => count(page), { timeout: 15_000 }).toBe(N);
    await page.waitForFunction(() => ((window as unknown as { shouwangMap?: { drawn(): number } }).shouwangMap?.drawn() ?? 0) > 0);
    await shot(page, 'map-compact');

    await page.reload();
    await expect.poll(() => count(page), { timeout: 15_000 }).toBe(N);
    const again = await listingTiming(page);
    expect(again.length).toBeGreaterThan(0);
    // revalidated: the body came from the browser's cache, only headers crossed the wire
    expect(again[0]!.body).toBeGreaterThan(2000);
    expect(again[0]!.transfer).toBeLessThan(again[0]!.body);

    await t.gw.repos.cameras.update(ids[7]!, { name: '寿张 台前大桥东' });
    await page.reload();
    await expect.poll(() => count(page), { timeout: 15_000 }).toBe(N);
    const changed = await listingTiming(page);
    expect(changed[0]!.transfer).toBeGreaterThan(changed[0]!.body);
    await page.fill('[data-testid=map-search]', '台前大桥');
    await expect.poll(() => count(page)).toBe(1);
    await page.fill('[data-testid=map-search]', '');
  });

  it('applies camera state changes from the events socket, a sweep’s worth at once', async () => {
    await page.selectOption('.sidebar label:nth-of-type(2) select', 'offline');
    await expect.poll(() => count(page)).toBe(0);
    const station = (await t.gw.repos.jurisdictions.byCode('37152101'))!.id;
    for (const id of ids.slice(0, 40)) {
      await t.gw.repos.cameras.setHealth({ cameraId: id, state: 'offline', reason: 'onvif_unreachable', seen: false, flaps: 0 });
      t.gw.events.publish({ type: 'camera.state', stationIds: [station], payload: { cameraId: id, from: 'unknown', to: 'offline', reason: 'onvif_unreachable' } });
    }
    await expect.poll(() => count(page), { timeout: 10_000 }).toBe(40);
    await page.selectOption('.sidebar label:nth-of-type(2) select', '');
  });

  it('opens the camera card with the full record and what the user may do', async () => {
    await page.fill('[data-testid=map-search]', '寿张 1');
    await page.click('.camera-list li >> nth=0');
    const card = page.locator('[data-testid=camera-card]');
    await card.waitFor();
    expect(await card.locator('h3').textContent()).toMatch(/^寿张 1/);
    await expect.poll(() => page.evaluate(() => performance.getEntriesByType('resource').some((e) => /\/api\/v1\/cameras\/[0-9a-f-]{36}$/.test(e.name)))).toBe(true);
    await card.locator('[data-testid=card-may]').waitFor();
    await shot(page, 'map-card');
  });

  it('the live page picks cameras by searching their names, listing 100 matches, not all of them', async () => {
    await page.click('[data-page=live]');
    const options = () => page.locator('[data-testid=live-pick] option').count();
    // the prompt and 100 of the 300 cameras
    await expect.poll(options, { timeout: 10_000 }).toBe(101);
    await page.fill('[data-testid=live-pick-search]', '寿张 12');
    // 寿张 12 and 寿张 120–129
    await expect.poll(options).toBe(12);
    await page.selectOption('[data-testid=live-pick]', { label: '寿张 12' });
    await expect.poll(() => page.locator('[data-testid=tile]').count()).toBe(1);
    expect(await page.locator('[data-testid=tile]').textContent()).toContain('寿张 12');
  });
});
