// Recorded playback in a real browser: a Chengguan officer opens the playback page for their station's camera,
// whose recordings (clock burned in, one 10 s segment lost to an outage) lie two hours back; the timeline shows
// the recorded ranges and the gap, hls.js plays the window and frames decode, a click on the timeline seeks past
// the gap, 8× runs to the window's end and the player stops there; a drag across the timeline plays just that part.
// A Shouzhang investigator with a grant sees and plays only its footage window; an officer of a third station
// is told why not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { insertTestCamera } from '../helpers/cameras.ts';
import { recordFixture } from '../helpers/recordings.ts';
import { ensureViewerBuilt } from '../../web-viewer/scripts/build.ts';
import { CHROMIUM, haveBrowser, launchChromium, loginPage, shot } from './support.ts';

let t: TestGateway;
let browser: Browser;
let root = '';
let cam = '';
let page: Page;
// Whole seconds, two hours back; recorded 0–60 s with 30–40 s missing.
const T0 = Math.floor((Date.now() - 2 * 3600_000) / 1000) * 1000;
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();
// the window asked for: from before the recording to 50 s into it
const WINDOW = { from: iso(-20), to: iso(50) };
const GRANTED = { from: iso(12), to: iso(27) };

const video = <T,>(p: Page, fn: (v: HTMLVideoElement) => T): Promise<T> =>
  p.$eval('[data-testid=playback-video]', fn as (el: Element) => T);
const position = async () => Number(await page.locator('[data-testid=playback]').getAttribute('data-position'));
const state = () => page.locator('[data-testid=playback]').getAttribute('data-state');

/** Page coordinates of wall clock `ms` on the timeline. */
async function timelineAt(ms: number): Promise<{ x: number; y: number }> {
  const tl = page.locator('[data-testid=timeline]');
  const a = Number(await tl.getAttribute('data-from'));
  const b = Number(await tl.getAttribute('data-to'));
  const box = (await tl.boundingBox())!;
  return { x: box.x + ((ms - a) / (b - a)) * box.width, y: box.y + box.height / 2 };
}
async function clickTimeline(ms: number): Promise<void> {
  const p = await timelineAt(ms);
  await page.mouse.click(p.x, p.y);
}
/** Drags across the timeline from wall clock `a` to `b`: picks that window. */
async function dragTimeline(a: number, b: number): Promise<void> {
  const p = await timelineAt(a);
  const q = await timelineAt(b);
  await page.mouse.move(p.x, p.y);
  await page.mouse.down();
  await page.mouse.move(q.x, q.y, { steps: 5 });
  await page.mouse.up();
}

describe.skipIf(!haveBrowser)(`recorded playback in Chromium (needs ${CHROMIUM})`, { timeout: 90_000 }, () => {
  beforeAll(async () => {
    await ensureViewerBuilt();
    root = mkdtempSync(path.join(tmpdir(), 'shouwang-playback-'));
    t = await testGateway({ media: true, footage: { recordingDir: root } });
    cam = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: '城关 台前黄河桥西' });
    await recordFixture(t.tdb.db, { root, cameraId: cam, startMs: T0, seconds: 60, drop: [3] });
    const req = await t.app.inject({
      method: 'POST', url: '/api/v1/grants', headers: { authorization: `Bearer ${await t.login('shouzhang.investigator')}` },
      payload: { cameraIds: [cam], caseNo: 'YG-2026-1124-07', reason: 'battery thefts at the bridge', actions: ['playback'], footage: GRANTED },
    });
    if (req.statusCode !== 201) throw new Error(`request: ${req.statusCode} ${req.body}`);
    const grantId = req.json().grants[0].grant.id as string;
    const ok = await t.app.inject({
      method: 'POST', url: `/api/v1/grants/${grantId}/approve`, headers: { authorization: `Bearer ${await t.login('chengguan.duty')}` }, payload: { reason: 'ok' },
    });
    if (ok.statusCode !== 200) throw new Error(`approve: ${ok.statusCode} ${ok.body}`);
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('lists, plays, seeks and stops at the window end', async () => {
    page = await loginPage(browser, t.baseUrl!, 'chengguan.officer', undefined, `/playback?camera=${cam}&from=${WINDOW.from}&to=${WINDOW.to}`);
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    const hlsLoaded = () => page.evaluate(() => performance.getEntriesByType('resource').some((e) => /\/assets\/hls-[^/]*\.js$/.test(e.name)));
    try {
      // the timeline: gateway recordings on both sides of the gap, the whole window visible (own station)
      await page.waitForSelector('[data-testid=timeline] .rec.gateway');
      expect(await page.locator('[data-testid=timeline] .rec.gateway').count()).toBe(2);
      expect(await page.locator('[data-testid=timeline] .gap').count()).toBe(1);
      expect(await page.locator('[data-testid=timeline] .visible').count()).toBe(1);

      expect(await hlsLoaded()).toBe(false); // hls.js comes with the first playback, not before
      await page.click('[data-testid=play]');
      await expect.poll(state, { timeout: 20_000 }).toBe('playing');
      await expect.poll(() => video(page, (v) => v.getVideoPlaybackQuality().totalVideoFrames), { timeout: 20_000 }).toBeGreaterThan(0);
      // positions are wall clock from the playlist's program date-times: playback starts at the first recording
      await expect.poll(position, { timeout: 10_000 }).toBeGreaterThanOrEqual(at(0));
      expect(await position()).toBeLessThan(at(10));

      // seek past the gap by clicking the timeline at 44 s
      const before = await video(page, (v) => v.currentTime);
      await clickTimeline(at(44));
      await expect.poll(position, { timeout: 10_000 }).toBeGreaterThanOrEqual(at(42));
      expect(await position()).toBeLessThan(at(48));
      const after = await video(page, (v) => v.currentTime);
      expect(after - before).toBeGreaterThan(20); // 30 s of media skipped, less the 10 s gap that is not in it
      const framesAtSeek = await video(page, (v) => v.getVideoPlaybackQuality().totalVideoFrames);
      await expect.poll(() => video(page, (v) => v.getVideoPlaybackQuality().totalVideoFrames), { timeout: 10_000 }).toBeGreaterThan(framesAtSeek);
      await shot(page, 'playback');

      // 8×, then the player stops at the window's end (50 s) and stays there
      await page.click('button[data-speed="8"]');
      expect(await video(page, (v) => v.playbackRate)).toBe(8);
      await expect.poll(state, { timeout: 15_000 }).toBe('ended');
      expect(await position()).toBeGreaterThanOrEqual(at(48));
      expect(await position()).toBeLessThanOrEqual(at(50) + 500);
      const stoppedAt = await video(page, (v) => v.currentTime);
      await page.waitForTimeout(1000);
      expect(await video(page, (v) => v.currentTime)).toBe(stoppedAt);
      expect(await video(page, (v) => v.paused || v.ended)).toBe(true);
      await shot(page, 'playback-ended');

      // drag across 5–15 s: that window plays (still at 8×) and ends at 15 s
      await dragTimeline(at(5), at(15));
      await expect.poll(position, { timeout: 10_000 }).toBeLessThan(at(16));
      expect(await position()).toBeGreaterThanOrEqual(at(4));
      await expect.poll(state, { timeout: 15_000 }).toBe('ended');
      expect(await position()).toBeGreaterThanOrEqual(at(13));
      expect(await position()).toBeLessThanOrEqual(at(15) + 500);
      expect(await hlsLoaded()).toBe(true);
      expect(consoleErrors.filter((m) => /Content Security Policy/i.test(m))).toEqual([]);
    } catch (e) {
      await shot(page, 'playback-failed').catch(() => undefined);
      throw e;
    } finally {
      await page.context().close();
    }
  });

  it('a grantee opens playback from their grant and sees and plays only its footage window', async () => {
    page = await loginPage(browser, t.baseUrl!, 'shouzhang.investigator', undefined, '/grants');
    try {
      await page.getByRole('button', { name: '回放', exact: true }).click();
      await page.waitForSelector('[data-testid=timeline] .rec.gateway');
      expect(await page.locator('[data-testid=timeline] .visible').count()).toBe(1);
      expect(await page.locator('[data-testid=timeline] .gap').count()).toBe(0);
      const tl = page.locator('[data-testid=timeline]');
      expect(Number(await tl.getAttribute('data-from'))).toBe(at(12));
      expect(Number(await tl.getAttribute('data-to'))).toBe(at(27));
      await page.click('[data-testid=play]');
      await expect.poll(() => video(page, (v) => v.getVideoPlaybackQuality().totalVideoFrames), { timeout: 20_000 }).toBeGreaterThan(0);
      expect(await position()).toBeGreaterThanOrEqual(at(12));
      await shot(page, 'playback-grant');
      await page.click('button[data-speed="8"]');
      await expect.poll(state, { timeout: 15_000 }).toBe('ended');
      expect(await position()).toBeGreaterThanOrEqual(at(25));
      expect(await position()).toBeLessThanOrEqual(at(27) + 500);
    } catch (e) {
      await shot(page, 'playback-grant-failed').catch(() => undefined);
      throw e;
    } finally {
      await page.context().close();
    }
  });

  it('says in the user\'s language, with the code, why another station\'s officer may not list the footage', async () => {
    const p = await loginPage(browser, t.baseUrl!, 'yaqian.officer', undefined, `/playback?camera=${cam}&from=${WINDOW.from}&to=${WINDOW.to}`);
    const alert = p.locator('[role=alert]');
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('access_denied');
    expect(await alert.textContent()).toContain('other_station'); // the reason's code beside its zh-CN text
    expect(await p.locator('[data-testid=timeline]').count()).toBe(0);
    await shot(p, 'playback-refused');
    await p.context().close();
  });
});

describe.skipIf(!haveBrowser)(`recorded playback across play-token expiry in Chromium (needs ${CHROMIUM})`, { timeout: 120_000 }, () => {
  let g: TestGateway;
  let dir = '';
  let camera = '';
  beforeAll(async () => {
    await ensureViewerBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'shouwang-playback-renew-'));
    g = await testGateway({ media: true, footage: { recordingDir: dir }, overrides: { access: { playTokenTtlSeconds: 20 } } });
    camera = await insertTestCamera(g.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.956, lon: 115.871, name: '城关 滨河路口' });
    // two minutes: 30 s encoded, looped
    await recordFixture(g.tdb.db, { root: dir, cameraId: camera, startMs: T0, seconds: 30, repeat: 4 });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await g?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('renews the token before the gateway closes the playback and plays on to the end', async () => {
    page = await loginPage(browser, g.baseUrl!, 'chengguan.officer', undefined, `/playback?camera=${camera}&from=${iso(0)}&to=${iso(120)}`);
    try {
      await page.waitForSelector('[data-testid=timeline] .rec.gateway');
      await page.click('button[data-speed="4"]');
      await page.click('[data-testid=play]');
      await expect.poll(state, { timeout: 20_000 }).toBe('playing');
      // 120 s at 4× is 30 s; the 20 s token is renewed with 10 s to spare
      await expect.poll(state, { timeout: 60_000, interval: 500 }).toBe('ended');
      expect(Number(await page.locator('[data-testid=playback]').getAttribute('data-renewals'))).toBeGreaterThanOrEqual(1);
      expect(await page.locator('[role=alert]').count()).toBe(0);
      expect(await position()).toBeGreaterThanOrEqual(at(118));
      expect(await position()).toBeLessThanOrEqual(at(120) + 500);
    } catch (e) {
      await shot(page, 'playback-renewal-failed').catch(() => undefined);
      throw e;
    } finally {
      await page.context().close();
    }
  });
});
