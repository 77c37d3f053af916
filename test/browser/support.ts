// Shared by the browser tests: Debian's Chromium through playwright-core, logging in through the page, screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveBrowser = existsSync(CHROMIUM);
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
}

/** An iPhone-size screen: 390×844 CSS pixels, touch, mobile viewport handling. */
export const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Opens a fresh context (its own storage: a second user at the same time) and logs in through the login form. */
export async function loginPage(browser: Browser, baseUrl: string, username: string, password = 'shouwang-demo', at = '/', device: BrowserContextOptions = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...device });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.warn(`[${username}] page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console.warn(`[${username}] console: ${m.text()}`); });
  page.setDefaultTimeout(15_000);
  try {
    await page.goto(`${baseUrl}${at}`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=whoami]', { state: 'attached' }); // on a phone it sits in the folded menu
  } catch (e) {
    console.warn(`[${username}] login failed at ${page.url()}: ${(await page.content()).slice(0, 2000)}`);
    await shot(page, `login-failed-${username}`);
    throw e;
  }
  return page;
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}
