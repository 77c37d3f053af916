// A live tile renews its play token before expiry without a visible break: with 20 s tokens it plays for
// 30 s, swapping players at least once, never leaving the playing state, frames still advancing at the end.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { startSimulator, type Simulator } from '../../camera-adapters/simulator/index.ts';
import { ensureViewerBuilt } from '../../web-viewer/scripts/build.ts';
import { CHROMIUM, haveBrowser, launchChromium, loginPage } from './support.ts';

let t: TestGateway;
let sim: Simulator;
let browser: Browser;
let cameraId = '';

describe.skipIf(!haveBrowser)(`live tile token renewal in Chromium (needs ${CHROMIUM})`, { timeout: 90_000 }, () => {
  beforeAll(async () => {
    await ensureViewerBuilt();
    t = await testGateway({ media: true, overrides: { access: { playTokenTtlSeconds: 20 } } });
    sim = await startSimulator({ cameras: 1, addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
    const c = sim.cameras[0]!;
    const r = await t.app.inject({
      method: 'POST', url: '/api/v1/cameras', headers: { authorization: `Bearer ${await t.login('shouzhang.officer')}` },
      payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.95, lon: 115.9, name: '寿张 测试', mediaPorts: [c.rtspPort] },
    });
    cameraId = r.json().id;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.close();
  }, 120_000);

  it('keeps playing across token expiry', async () => {
    const page = await loginPage(browser, t.baseUrl!, 'shouzhang.officer', undefined, `/live?cams=${cameraId}&layout=1`);
    const tile = page.locator('[data-testid=tile]');
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 20_000 }).toBe('playing');
    const statuses = new Set<string>();
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      statuses.add((await tile.getAttribute('data-status')) ?? '');
      await page.waitForTimeout(250);
    }
    expect([...statuses]).toEqual(['playing']);
    expect(Number(await tile.getAttribute('data-renewals'))).toBeGreaterThanOrEqual(1);
    const frames = () => page.evaluate(() => Math.max(...[...document.querySelectorAll('[data-testid=tile] video:not(.standby)')].map((v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames)));
    const a = await frames();
    await page.waitForTimeout(1500);
    expect(await frames()).toBeGreaterThan(a);
    await page.context().close();
  });
});
