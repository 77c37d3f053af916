// The viewer on phones, and the paths the desktop scenarios leave out. Every page at 390×844 and 360×740 (touch,
// mobile viewport): nothing wider than the screen, the navigation folded behind a menu button, the key controls
// on screen and big enough to tap. Scenario 2 on phones: a Yaqian officer, working in English, files an
// emergency request for Qianqing cameras (the form shows its rules), watches at once, and the Qianqing duty
// officer's review queue shows it arrive and records the review. A tile whose stream ended says why and retries;
// my grants count down and withdraw; no zh-CN text or raw message key on the English pages.
import { readFileSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { enrolSimulated, insertTestCamera } from '../helpers/cameras.ts';
import { startSimulator, type Simulator } from '../../camera-adapters/simulator/index.ts';
import { ensureViewerBuilt } from '../../web-viewer/scripts/build.ts';
import { zhCN } from '../../web-viewer/src/i18n/zh-CN.ts';
import { CHROMIUM, PHONE, haveBrowser, launchChromium, loginPage, shot } from './support.ts';

let t: TestGateway;
let sim: Simulator;
let browser: Browser;
const cam: Record<'junction' | 'road' | 'home' | 'own', string> = { junction: '', road: '', home: '', own: '' };
const OWN = { lat: 30.172, lon: 120.358 };
const JUNCTION = { lat: 30.112, lon: 120.418 };
let officer: Page;
let duty: Page;
const CASE = 'YQ-2026-1124-02';
const REASON = '走失老人，最后出现在104国道群贤路口';
// Chinese text the pages may rightly show in English: demo data and what this test typed
const DATA_TEXT = new Set<string>([CASE, REASON, '核实为走失老人案', '请补充案件材料', '钱清 104国道群贤路口', '钱清 群贤路东', '钱清村 5组18号 门口', '钱清村 5组18号', '衙前 萧绍路口']);

const enrol = (as: string, i: number, body: Record<string, unknown>): Promise<string> => enrolSimulated(t, sim.cameras[i]!, as, body);

async function request(as: string, body: Record<string, unknown>): Promise<string> {
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/grants', headers: { authorization: `Bearer ${await t.login(as)}` }, payload: body });
  if (r.statusCode !== 201) throw new Error(`request: ${r.statusCode} ${r.body}`);
  return r.json().grants[0].grant.id as string;
}

/** Nothing on the page is wider than the screen; saves a screenshot either way. A phone zooms out to show a page
 *  wider than its screen, which widens `innerWidth` too: the screen's own width is the measure. */
async function fits(page: Page, name: string): Promise<void> {
  await settle(page);
  const screen = page.viewportSize()!.width;
  const m = await page.evaluate((w) => ({
    sw: document.scrollingElement!.scrollWidth,
    iw: innerWidth,
    // for the message: the outermost elements that stick out
    wide: [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > w + 1
      && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1)).slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${String(el.className)} → ${Math.round(el.getBoundingClientRect().right)}px`),
  }), screen);
  await shot(page, name);
  expect(m.sw, `${name} on a ${screen}px screen is ${m.sw}px wide: ${m.wide.join('; ')}`).toBeLessThanOrEqual(screen);
  expect(m.iw, `${name}: zoomed out to ${m.iw}px`).toBe(screen);
}

/** Two frames: scrolling and layout have come to rest. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/**
 * A tap, repeated (at most three times, a second apart) until it has had its effect: on the shared 2-core test
 * machine a tap's touch events now and then arrive too far apart for Chromium to make a click of them.
 */
async function tapUntil(page: Page, tap: () => Promise<void>, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await tap();
    for (let w = 0; w < 10; w++) {
      if (await done()) return;
      await page.waitForTimeout(100);
    }
  }
  expect(await done(), 'the tap had no effect three times').toBe(true);
}

/** On screen once scrolled to, inside the screen's width, not covered, and (for buttons) big enough for a thumb. */
async function tappable(loc: Locator, minHeight = 40): Promise<void> {
  await loc.scrollIntoViewIfNeeded();
  const box = (await loc.boundingBox())!;
  const width = loc.page().viewportSize()!.width;
  const what = await loc.evaluate((el) => `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 20)}"`);
  expect(box, what).not.toBeNull();
  expect(box.x, what).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, what).toBeLessThanOrEqual(width + 0.5);
  expect(box.height, what).toBeGreaterThanOrEqual(minHeight);
  const onTop = await loc.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && (hit === el || el.contains(hit));
  });
  expect(onTop, `${what} is covered`).toBe(true);
}

/** Through the folded navigation: the menu opens, the link is tapped, the menu closes again. */
async function go(page: Page, pageId: string): Promise<void> {
  const nav = page.locator('.topbar nav');
  expect(await nav.isVisible()).toBe(false);
  await page.tap('[data-testid=menu]');
  await nav.waitFor({ state: 'visible' });
  await tappable(page.locator(`.topbar nav a[data-page=${pageId}]`));
  await page.tap(`.topbar nav a[data-page=${pageId}]`);
  await page.waitForSelector(`.page-${pageId}`);
  await nav.waitFor({ state: 'hidden' });
}

/** Shows a camera on the map at street level and taps it. */
async function tapCamera(page: Page, lat: number, lon: number): Promise<void> {
  await page.waitForSelector('[data-testid=map-canvas][data-fitted="true-true"]');
  await page.evaluate((c) => (window as unknown as { shouwangMap: { setView(v: unknown): void } }).shouwangMap.setView({ ...c, zoom: 17 }), { lat, lon });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const p = await page.evaluate(([a, b]) => (window as unknown as { shouwangMap: { toScreen(x: number, y: number): { x: number; y: number } } }).shouwangMap.toScreen(a!, b!), [lat, lon]);
  await page.touchscreen.tap(p.x, p.y);
  await page.waitForSelector('[data-testid=camera-card]');
}

/** A finger drawn across the screen (touch events, as a phone sends them). */
async function touchDrag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [from] });
  for (let i = 1; i <= 6; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: from.x + ((to.x - from.x) * i) / 6, y: from.y + ((to.y - from.y) * i) / 6 }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

/** Visible text of the page, and its placeholders, titles and labels; <code> (audit action names) and what says it
 *  is in another language (the logo, the language switch) left out. */
async function visibleTexts(page: Page, otherLang: 'zh-CN' | 'en'): Promise<string[]> {
  return page.evaluate((other) => {
    const skip = `code, script, style, body [lang="${other}"]`;
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest(skip) || !el.checkVisibility()) continue;
      if (n.textContent!.trim()) out.push(n.textContent!.trim());
    }
    for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], [alt]')) {
      if (!(el as HTMLElement).checkVisibility() || el.closest(skip)) continue;
      for (const a of ['placeholder', 'title', 'aria-label', 'alt']) if (el.getAttribute(a)) out.push(el.getAttribute(a)!);
    }
    return out;
  }, otherLang);
}

/** The text with the demo data and what this test typed taken out. */
function withoutData(text: string): string {
  let rest = text;
  for (const d of [...DATA_TEXT].sort((a, b) => b.length - a.length)) rest = rest.split(d).join(' ');
  return rest;
}

const KEY_LIKE = new RegExp(`\\b(?:${[...new Set(Object.keys(zhCN).map((k) => k.split('.')[0]!))].join('|')})\\.[A-Za-z_]+(?:\\.[A-Za-z_]+)*\\b`);

/** No zh-CN text and no message key on an English page: demo data excepted. */
async function englishOnly(page: Page, where: string): Promise<void> {
  const cjk: string[] = [];
  const keys: string[] = [];
  for (const text of await visibleTexts(page, 'zh-CN')) {
    if (/[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]/.test(withoutData(text).replace(/[＋－]/g, ''))) cjk.push(text);
    const k = KEY_LIKE.exec(text);
    if (k && k[0] in zhCN) keys.push(text);
  }
  expect(cjk, `${where}: zh-CN text on an English page`).toEqual([]);
  expect(keys, `${where}: raw message keys`).toEqual([]);
}

// Latin text a zh-CN page rightly shows: what its own catalogue says in Latin letters (CSV, GBK, UTC…)
const ZH_LATIN = new Set(Object.values(zhCN).flatMap((v) => v.replace(/\{\w+\}/g, '').match(/[A-Za-z]{2,}/g) ?? []));

/** No English words on a zh-CN page: demo data, codes beside their translation, ids and the catalogue's own Latin
 *  (CSV, GBK) excepted. */
async function chineseOnly(page: Page, where: string): Promise<void> {
  const english: string[] = [];
  for (const text of await visibleTexts(page, 'en')) {
    const words = withoutData(text)
      .replace(/\b[a-z]+(?:_[a-z]+)+\b/g, ' ') // codes: other_station, grant_revoked
      .replace(/\b[0-9a-f]{8}\b/g, ' ') // a camera's id where its name is not known
      .match(/[A-Za-z]{3,}/g) ?? [];
    if (words.some((w) => !ZH_LATIN.has(w))) english.push(text);
    const k = KEY_LIKE.exec(text);
    if (k && k[0] in zhCN) english.push(text);
  }
  expect(english, `${where}: English or a raw key on a zh-CN page`).toEqual([]);
}

describe.skipIf(!haveBrowser)(`the web viewer on phones, the emergency path and English (needs ${CHROMIUM})`, { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await ensureViewerBuilt();
    t = await testGateway({ media: true });
    sim = await startSimulator({ cameras: 3, addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
    cam.junction = await enrol('qianqing.duty', 0, { name: '钱清 104国道群贤路口', ownerClass: 'police', ...JUNCTION });
    // the officer's own station's camera (no stream needed: its card and the map)
    cam.own = await insertTestCamera(t.gw, { stationCode: '33010901', ownerClass: 'police', ...OWN, name: '衙前 萧绍路口' });
    cam.road = await enrol('qianqing.duty', 1, { name: '钱清 群贤路东', ownerClass: 'police', lat: 30.108, lon: 120.428 });
    const owner = await t.gw.repos.users.byUsername('qianqing-qianqing.owner');
    cam.home = await enrol('qianqing-qianqing.committee', 2, {
      name: '钱清村 5组18号 门口', ownerClass: 'household', lat: 30.11, lon: 120.43, ownerUserId: owner!.id,
      sharingMode: 'on_request', consentDate: '2026-10-08', address: '钱清村 5组18号',
    });
    // demo data the pages show as it is: stations, villages, agreements, people
    for (const j of (JSON.parse(readFileSync('config/demo/jurisdictions.json', 'utf8')) as { jurisdictions: Array<{ name: string }> }).jurisdictions) DATA_TEXT.add(j.name);
    for (const a of (JSON.parse(readFileSync('config/demo/agreements.json', 'utf8')) as { agreements: Array<{ name: string }> }).agreements) DATA_TEXT.add(a.name);
    for (const u of (JSON.parse(readFileSync('config/demo/users.json', 'utf8')) as { users: Array<{ displayName: string; username: string }> }).users) {
      DATA_TEXT.add(u.displayName);
      DATA_TEXT.add(u.username); // the audit log names actors by user name
    }
    // decisions waiting on the phones: a normal request for the duty officer, one for the home camera's owner
    await request('yaqian.investigator', { cameraIds: [cam.road], caseNo: 'YQ-2026-1120-11', reason: '盗窃电瓶车', actions: ['playback'], footage: { from: new Date(Date.now() - 3 * 3600_000).toISOString(), to: new Date(Date.now() - 3600_000).toISOString() } });
    await request('yaqian.investigator', { cameraIds: [cam.home], caseNo: 'YQ-2026-1120-11', reason: '盗窃电瓶车', actions: ['live'], lifetimeMinutes: 60 });
    DATA_TEXT.add('盗窃电瓶车');
    browser = await launchChromium();
  }, 180_000);
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const [name, p] of Object.entries({ officer, duty })) if (p && !p.isClosed()) await shot(p, `failed-phone-${ctx.task.name.slice(0, 30)}-${name}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.close();
  }, 120_000);

  it('every page fits a 390×844 and a 360×740 phone (and a 768 tablet), with the navigation behind a menu and big targets', async () => {
    const login = await (await browser.newContext({ ...PHONE, viewport: { width: 360, height: 740 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    await login.goto(`${t.baseUrl}/`);
    await tappable(login.locator('button[type=submit]'));
    await fits(login, 'phone-360-login');
    await login.context().close();

    const sizes = [{ width: 390, height: 844 }, { width: 360, height: 740 }];
    const visits: Array<{ user: string; pages: Array<{ id: string; check: (p: Page) => Promise<void> }> }> = [
      { user: 'yaqian.officer', pages: [
        { id: 'map', check: async (p) => {
          await tappable(p.locator('[data-testid=map-search]'), 30);
          // search by name: the list and the count follow (the map too: the filters are one list)
          await p.fill('[data-testid=map-search]', '不存在的路口');
          await expect.poll(() => p.textContent('[data-testid=map-count]')).toContain('0');
          expect(await p.textContent('.camera-list')).toContain('没有匹配的摄像头');
          await p.fill('[data-testid=map-search]', '萧绍');
          await expect.poll(() => p.locator('.camera-list li', { hasText: '衙前 萧绍路口' }).count()).toBe(1);
          await p.fill('[data-testid=map-search]', '');
          await tapCamera(p, OWN.lat, OWN.lon);
          await p.waitForSelector('[data-testid=card-may]');
          await tappable(p.locator('[data-testid=camera-card] .actions button').first(), 44);
          await tappable(p.locator('[data-testid=camera-card] .card-head button'), 40);
        } },
        { id: 'live', check: async (p) => {
          await p.goto(`${t.baseUrl}/live?cams=${cam.junction},${cam.road}&layout=4`);
          await p.waitForSelector('[data-testid=tile][data-status=refused]');
          const [a, b] = await p.locator('[data-testid=tile]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()));
          expect(b!.top, 'tiles stack in one column').toBeGreaterThanOrEqual(a!.bottom);
          expect(a!.width).toBeGreaterThan(innerWidthOf(p) * 0.9);
          await tappable(p.locator('[data-testid=tile] .tile-overlay button').first());
        } },
        { id: 'request', check: async (p) => {
          await p.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
          await tappable(p.locator('[data-mode=pick]'));
          await tappable(p.locator('input[name=caseNo]'), 30);
          await tappable(p.locator('[data-testid=request-submit]'));
        } },
        { id: 'grants', check: async (p) => { await p.waitForSelector('.grants-page h2'); } },
        { id: 'playback', check: async (p) => { await tappable(p.locator('[data-testid=play]')); } },
      ] },
      { user: 'qianqing.duty', pages: [
        { id: 'inbox', check: async (p) => {
          const card = p.locator('[data-testid=grant][data-state=pending]').first();
          await card.waitFor();
          await tappable(card.locator('[data-testid=approve]'), 44);
          await tappable(card.locator('button.danger'), 44);
          await tappable(card.locator('[data-testid=narrow-open]'), 44);
        } },
      ] },
      { user: 'qianqing-qianqing.owner', pages: [
        { id: 'owner', check: async (p) => {
          await p.waitForSelector(`[data-testid=owner-camera][data-camera="${cam.home}"]`);
          await tappable(p.locator('.owner-page [data-testid=grant] button.primary'), 44);
          await tappable(p.locator('.owner-page [data-testid=grant] button.danger'), 44);
          await tappable(p.locator('[data-testid=owner-camera] select'), 30);
        } },
      ] },
      { user: 'qianqing-qianqing.committee', pages: [
        { id: 'enrol', check: async (p) => {
          await p.waitForSelector('.enrol-page td');
          await tappable(p.locator('[data-testid=csv-file]'), 20);
          await tappable(p.locator('[data-testid=dry-run]'));
        } },
      ] },
      { user: 'qianqing.auditor', pages: [
        { id: 'audit', check: async (p) => {
          await p.waitForSelector('[data-testid=audit-rows] tbody tr');
          await tappable(p.locator('[data-testid=verify]'));
        } },
      ] },
    ];
    for (const v of visits) {
      const page = await loginPage(browser, t.baseUrl!, v.user, undefined, '/', PHONE);
      for (const size of sizes) {
        await page.setViewportSize(size);
        for (const pg of v.pages) {
          if (v.pages.length > 1 || !page.url().includes(`/${pg.id}`)) await go(page, pg.id);
          await pg.check(page);
          await fits(page, `phone-${size.width}-${pg.id}`);
          if (size.width === 390) await chineseOnly(page, `${v.user} ${pg.id}`);
        }
      }
      // a tablet held upright: the menu still folds, the desktop layouts fit, touch targets stay big
      await page.setViewportSize({ width: 768, height: 1024 });
      for (const pg of v.pages) {
        if (v.pages.length > 1) await go(page, pg.id);
        await fits(page, `tablet-768-${pg.id}`);
      }
      if (v.user === 'qianqing.duty') await tappable(page.locator('[data-testid=grant][data-state=pending] [data-testid=approve]').first(), 44);
      // the open menu itself fits, with the user, language and logout in it
      await page.tap('[data-testid=menu]');
      await tappable(page.locator('.topbar [data-testid=lang]'));
      await fits(page, `phone-menu-${v.user}`);
      await page.context().close();
    }
  }, 240_000);

  it('scenario 2 on phones: an officer in English files an emergency request, the rules shown, and watches at once', async () => {
    duty = await loginPage(browser, t.baseUrl!, 'qianqing.duty', undefined, '/inbox', PHONE);
    await duty.waitForSelector('.inbox-page');
    officer = await loginPage(browser, t.baseUrl!, 'yaqian.officer', undefined, '/', PHONE);
    await officer.tap('[data-testid=menu]');
    await officer.tap('.topbar [data-testid=lang]');
    await officer.waitForSelector('html[lang=en]', { state: 'attached' });
    expect(await officer.textContent('.current-page')).toBe('Map');
    await officer.tap('[data-testid=menu]');
    await englishOnly(officer, 'map');

    // the officer's own camera: the card says what they may do, and why
    await tapCamera(officer, OWN.lat, OWN.lon);
    await officer.waitForSelector('[data-testid=card-may]');
    expect(await officer.textContent('[data-testid=card-may]')).toContain('station’s area');
    await englishOnly(officer, 'camera card');
    // the partner's junction camera: a radius drawn with a finger on the request map
    await go(officer, 'request');
    await officer.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
    await officer.waitForSelector('[data-testid=map-canvas][data-fitted="true-true"]');
    await officer.tap('[data-mode=radius]');
    await officer.evaluate((c) => (window as unknown as { shouwangMap: { setView(v: unknown): void } }).shouwangMap.setView({ ...c, zoom: 15 }), JUNCTION);
    const east = JUNCTION.lon + 400 / (111_320 * Math.cos((JUNCTION.lat * Math.PI) / 180));
    const [p0, p1] = await officer.evaluate(([c, e]) => {
      const m = (window as unknown as { shouwangMap: { toScreen(lat: number, lon: number): { x: number; y: number } } }).shouwangMap;
      return [m.toScreen(c.lat, c.lon), m.toScreen(c.lat, e)];
    }, [JUNCTION, east] as const);
    await touchDrag(officer, p0!, p1!);
    await officer.waitForSelector(`[data-testid=preview] tr[data-camera="${cam.junction}"]`);
    expect(await officer.locator('[data-testid=preview] tr[data-camera]').count()).toBe(1);
    await officer.fill('input[name=caseNo]', CASE);
    await officer.fill('textarea[name=reason]', REASON);
    await officer.locator('textarea[name=reason]').blur(); // the keyboard goes away before the next tap
    await tapUntil(officer, () => officer.tap('label:has(> input[name=emergency])'), () => officer.isChecked('input[name=emergency]'));
    const rules = officer.locator('[data-testid=emergency-rules]');
    await rules.waitFor();
    expect(await rules.textContent()).toContain('30 minutes');
    expect(await rules.textContent()).toContain('reviewed afterwards');
    await englishOnly(officer, 'request form');
    await fits(officer, 'phone-emergency-request');
    // a reload (a phone drops the page often) keeps the half-filled form, emergency and all
    await officer.reload();
    await officer.waitForSelector(`[data-testid=preview] tr[data-camera="${cam.junction}"]`);
    expect(await officer.inputValue('textarea[name=reason]')).toBe(REASON);
    expect(await officer.isChecked('input[name=emergency]')).toBe(true);
    await rules.waitFor();
    await tappable(officer.locator('[data-testid=request-submit]'));
    await officer.tap('[data-testid=request-submit]');
    await officer.waitForSelector('[data-testid=request-sent]');

    // live at once: my grants shows it approved, flagged, counting down from at most 30 minutes
    await go(officer, 'grants');
    const mine = officer.locator('[data-testid=grant][data-state=approved]', { hasText: CASE });
    await mine.waitFor();
    expect(await mine.locator('.badge.emergency').count()).toBe(1);
    const left = await mine.locator('[data-testid=countdown]').textContent();
    const [, mm] = /(\d+):\d\d/.exec(left!)!;
    expect(Number(mm)).toBeLessThanOrEqual(30);
    await englishOnly(officer, 'my grants');
    await fits(officer, 'phone-emergency-grants');
    await officer.locator('.with-actions', { hasText: CASE }).locator('[data-testid=watch]').tap();
    const tile = officer.locator(`[data-testid=tile][data-camera="${cam.junction}"]`);
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 30_000 }).toBe('playing');
    await expect.poll(() => tile.evaluate((el) => Math.max(...[...el.querySelectorAll('video')].map((v) => v.getVideoPlaybackQuality().totalVideoFrames))), { timeout: 20_000 }).toBeGreaterThan(5);
    await englishOnly(officer, 'live');
    await fits(officer, 'phone-emergency-live');
  });

  it('the duty officer\'s review queue shows it arrive live; the review is recorded', async () => {
    const card = duty.locator('[data-testid=review-queue] [data-testid=grant]', { hasText: CASE });
    await card.waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('class')).toContain('fresh');
    expect(await card.locator('.badge.emergency').count()).toBe(1);
    expect(await card.textContent()).toContain('待复核');
    expect(await card.textContent()).toContain('即时开通'); // the grant started by itself, said in zh-CN
    await tappable(card.locator('[data-testid=review-upheld]'), 44);
    await tappable(card.locator('[data-testid=review-misuse]'), 44);
    await fits(duty, 'phone-review-queue');
    await chineseOnly(duty, 'review queue');
    await card.locator('[data-testid=review-note]').fill('核实为走失老人案');
    await card.locator('[data-testid=review-upheld]').tap();
    await card.waitFor({ state: 'detached' });
    // the grant runs on, marked as reviewed, in the station's list
    const reviewed = duty.locator('.inbox-page [data-testid=grant][data-state=approved]', { hasText: CASE });
    await reviewed.waitFor();
    expect(await reviewed.textContent()).toContain('复核通过');
    expect(await reviewed.locator('[data-testid=review-note-shown]').textContent()).toBe('核实为走失老人案');
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/grants?view=station', headers: { authorization: `Bearer ${await t.login('qianqing.duty')}` } });
    const g = (r.json().items as Array<{ caseNo: string; emergency: boolean; reviewState: string; state: string }>).find((x) => x.caseNo === CASE)!;
    expect(g).toMatchObject({ emergency: true, reviewState: 'upheld', state: 'approved' });
    // the ordinary request waiting beside it is denied with a reason, from the phone
    const pending = duty.locator('[data-testid=grant][data-state=pending]', { hasText: 'YQ-2026-1120-11' });
    await pending.locator('button.danger').tap();
    await pending.locator('.narrow input').fill('请补充案件材料');
    await tappable(pending.locator('.narrow button.danger'), 44);
    await pending.locator('.narrow button.danger').tap();
    await pending.waitFor({ state: 'detached' });
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/grants?view=mine', headers: { authorization: `Bearer ${await t.login('yaqian.investigator')}` } });
    expect((mine.json().items as Array<{ cameraIds: string[]; state: string; decisionReason: string | null }>).find((x) => x.cameraIds.includes(cam.road)))
      .toMatchObject({ state: 'denied', decisionReason: '请补充案件材料' });
    const audit = await t.app.inject({ method: 'GET', url: `/api/v1/audit?caseNo=${CASE}&action=grant.review`, headers: { authorization: `Bearer ${await t.login('qianqing.auditor')}` } });
    const rows = audit.json().items as Array<{ action: string; reason: string | null; actorName: string | null }>;
    expect(rows.map((x) => x.action)).toContain('grant.review');
    expect(rows.find((x) => x.action === 'grant.review')!.reason).toBe('核实为走失老人案');
  });

  it('a tile whose stream ended says why and plays again on retry', async () => {
    const tile = officer.locator(`[data-testid=tile][data-camera="${cam.junction}"]`);
    expect(await tile.getAttribute('data-status')).toBe('playing');
    const token = await t.login('qianqing.duty');
    const disable = await t.app.inject({ method: 'POST', url: `/api/v1/cameras/${cam.junction}/disable`, headers: { authorization: `Bearer ${token}` } });
    expect(disable.statusCode).toBe(200);
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 15_000 }).toBe('ended');
    expect(await tile.getAttribute('data-code')).toBe('camera_disabled');
    expect(await tile.textContent()).toContain('The camera is disabled');
    await englishOnly(officer, 'ended tile');
    await fits(officer, 'phone-tile-ended');
    const retry = tile.locator('.tile-overlay button');
    await tappable(retry);
    const enable = await t.app.inject({ method: 'POST', url: `/api/v1/cameras/${cam.junction}/enable`, headers: { authorization: `Bearer ${token}` } });
    expect(enable.statusCode).toBe(200);
    await retry.tap();
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 30_000 }).toBe('playing');
  });

  it('my grants count down; withdrawing ends the grant and the open tile says so', async () => {
    await go(officer, 'grants');
    const card = officer.locator('.with-actions', { hasText: CASE });
    const countdown = card.locator('[data-testid=countdown]');
    const first = await countdown.textContent();
    await expect.poll(() => countdown.textContent(), { timeout: 5_000 }).not.toBe(first);
    await card.locator('[data-testid=revoke]').tap();
    await card.locator('[data-testid=revoke-reason]').fill('found: the man is home');
    await tappable(card.locator('[data-testid=revoke-confirm]'), 44);
    await card.locator('[data-testid=revoke-confirm]').tap();
    const done = officer.locator('[data-testid=grant][data-state=withdrawn]', { hasText: CASE });
    await done.waitFor({ timeout: 10_000 });
    expect(await done.textContent()).toContain('Withdrawn');
    await englishOnly(officer, 'withdrawn grant');
    await fits(officer, 'phone-withdrawn');
    // the tile of that grant, opened again, is refused with the reason
    await officer.goto(`${t.baseUrl}/live?cams=${cam.junction}&layout=1`);
    const tile = officer.locator(`[data-testid=tile][data-camera="${cam.junction}"]`);
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 15_000 }).not.toBe('connecting');
    expect(['refused', 'revoked']).toContain(await tile.getAttribute('data-status'));
    await englishOnly(officer, 'refused tile');
  });

  it('logging out from the phone menu ends the session on the server', async () => {
    const page = await loginPage(browser, t.baseUrl!, 'yaqian.officer', undefined, '/grants', PHONE);
    const token = await page.evaluate(() => localStorage.getItem('shouwang.session'));
    await page.tap('[data-testid=menu]');
    await page.tap('.topbar .who button:not([data-testid=lang])');
    await page.waitForSelector('.login');
    expect(await page.evaluate(() => localStorage.getItem('shouwang.session'))).toBeNull();
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(401);
    await page.context().close();
  });

  it('a polygon is drawn with taps, closed by tapping its first corner', async () => {
    await go(officer, 'request');
    await officer.waitForSelector('[data-testid=map-canvas][data-ready="1"]');
    await officer.tap('[data-mode=polygon]');
    await officer.evaluate(() => scrollTo(0, 0));
    // the map fits itself to the cameras and boundaries once both are loaded: draw after that
    await officer.waitForSelector('[data-testid=map-canvas][data-fitted="true-true"]');
    await settle(officer);
    await officer.evaluate((c) => (window as unknown as { shouwangMap: { setView(v: unknown): void } }).shouwangMap.setView({ ...c, zoom: 14 }), { lat: 30.109, lon: 120.424 });
    // a triangle around the road camera (30.108, 120.428), leaving out the junction and the home camera
    const corners = await officer.evaluate((pts) => pts.map(([lat, lon]) =>
      (window as unknown as { shouwangMap: { toScreen(a: number, b: number): { x: number; y: number } } }).shouwangMap.toScreen(lat!, lon!)),
    [[30.111, 120.425], [30.111, 120.4295], [30.105, 120.427]]);
    const drawn = async () => Number(await officer.getAttribute('[data-testid=map-canvas]', 'data-corners'));
    for (const [i, c] of corners.entries()) await tapUntil(officer, () => officer.touchscreen.tap(c.x, c.y), async () => (await drawn()) === i + 1);
    await officer.touchscreen.tap(corners[0]!.x + 3, corners[0]!.y - 2); // back on the first corner: closed
    await officer.waitForSelector(`[data-testid=preview] tr[data-camera="${cam.road}"]`);
    expect(await officer.locator('[data-testid=preview] tr[data-camera]').count()).toBe(1);
    await fits(officer, 'phone-polygon');
  });

  it('two fingers pinch the map to zoom in and out', async () => {
    await go(officer, 'map');
    await officer.waitForSelector('[data-testid=map-canvas][data-fitted="true-true"]');
    await officer.evaluate(() => scrollTo(0, 0));
    await settle(officer);
    const zoom = async () => Number(await officer.getAttribute('[data-testid=map-canvas]', 'data-zoom'));
    const box = (await officer.locator('[data-testid=map-canvas]').boundingBox())!;
    const c = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const pinch = async (from: number, to: number) => {
      const cdp = await officer.context().newCDPSession(officer);
      const at = (r: number) => [{ x: c.x - r, y: c.y, id: 1 }, { x: c.x + r, y: c.y, id: 2 }];
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(from) });
      for (let i = 1; i <= 6; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(from + ((to - from) * i) / 6) });
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await cdp.detach();
      await settle(officer);
    };
    const z0 = await zoom();
    await pinch(40, 80); // fingers twice as far apart: one zoom level closer
    expect(await zoom()).toBeCloseTo(z0 + 1, 1);
    await pinch(80, 40);
    expect(await zoom()).toBeCloseTo(z0, 1);
    expect(await officer.locator('[data-testid=camera-card]').count()).toBe(0); // lifting two fingers picked nothing
  });

  it('a locked account is told so in English, with the code', async () => {
    const page = await (await browser.newContext({ ...PHONE, locale: 'en-GB', timezoneId: 'Asia/Shanghai' })).newPage();
    await page.goto(`${t.baseUrl}/`);
    await page.tap('.login button.link');
    await page.waitForSelector('html[lang=en]', { state: 'attached' });
    const err = page.locator('.login [role=alert]');
    // five failures lock the account; the sixth attempt is refused as locked
    for (let i = 0; i < 6; i++) {
      await page.fill('input[name=username]', 'qianqing.investigator');
      await page.fill('input[name=password]', `wrong-${i}`);
      await page.tap('button[type=submit]');
      await expect.poll(() => err.getAttribute('data-code').catch(() => null)).toBe(i < 5 ? 'invalid_credentials' : 'account_locked');
    }
    expect(await err.textContent()).toContain('Account locked');
    expect(await err.textContent()).toContain('account_locked');
    await englishOnly(page, 'locked login');
    await fits(page, 'phone-login-locked');
    await page.context().close();
  });

  it('English end to end for the other roles: inbox, owner, enrolment, audit', async () => {
    const visits: Array<[string, string, string]> = [
      ['qianqing.duty', '/inbox', '.inbox-page .empty'], // all decided by now: the empty inbox says so
      ['qianqing-qianqing.owner', '/owner', '[data-testid=accesses]'],
      ['qianqing-qianqing.committee', '/enrol', '.enrol-page td'],
      ['qianqing.auditor', '/audit', '[data-testid=audit-rows] tbody tr'],
    ];
    for (const [user, at, ready] of visits) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', timezoneId: 'Asia/Shanghai' });
      const page = await ctx.newPage();
      await page.goto(`${t.baseUrl}${at}`);
      await page.click('.login button.link'); // the language switch on the login form
      await page.waitForSelector('html[lang=en]', { state: 'attached' });
      await englishOnly(page, `${user} login`);
      await page.fill('input[name=username]', user);
      await page.fill('input[name=password]', 'shouwang-demo');
      await page.click('button[type=submit]');
      await page.waitForSelector(ready);
      if (at === '/owner') {
        // the owner lets police of their station view the camera: a consent record dated today in Beijing
        const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
        const consents = page.locator(`[data-testid=owner-camera][data-camera="${cam.home}"] ul.plain li`);
        const before = await consents.count();
        await page.selectOption(`[data-testid=owner-camera][data-camera="${cam.home}"] select`, 'station');
        await expect.poll(() => consents.count()).toBe(before + 1);
        expect(await consents.last().textContent()).toMatch(new RegExp(`^${today} · Police of my station`));
      }
      if (at === '/audit') {
        await page.click('[data-testid=verify]');
        await page.waitForSelector('[data-testid=verify-result]');
        // the export downloads what the filters show, as CSV, named for Beijing's date
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
        expect(download.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/);
        const csv = readFileSync((await download.path())!, 'utf8');
        expect(csv.split('\n')[0]).toMatch(/action/);
        expect(csv).toContain('auth.login');
      }
      await englishOnly(page, `${user} ${at}`);
      await shot(page, `en-${at.slice(1)}`);
      await ctx.close();
    }
  });
});

function innerWidthOf(p: Page): number {
  return p.viewportSize()!.width;
}
