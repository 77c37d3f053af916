// Evidence and privacy in a real browser. A Shouzhang investigator with a granted window on a Chengguan camera
// plays it, saves the frame on screen as a PNG, exports the window with a watermark (the progress bar shows the
// export running, then done), sees the manifest's facts and downloads the clip and the signed manifest, which the
// evidence:verify logic accepts; the export is listed under its case. A household owner draws a privacy-mask
// rectangle on their camera's snapshot (a simulated camera), saves it (the API then returns that version), moves
// and deletes areas, and lifts the mask for a partner's grant after the confirmation.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Download, Page } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { insertTestCamera } from '../helpers/cameras.ts';
import { recordFixture } from '../helpers/recordings.ts';
import { startSimulator, type Simulator } from '../../camera-adapters/simulator/index.ts';
import { verifyEvidence } from '../../gateway/media/export/manifest.ts';
import { ensureViewerBuilt } from '../../web-viewer/scripts/build.ts';
import { ARTIFACTS, CHROMIUM, haveBrowser, launchChromium, loginPage, shot } from './support.ts';

let t: TestGateway;
let sim: Simulator;
let browser: Browser;
let root = '';
let exportDir = '';
let work = '';
let cam = '';
let home = '';
let grantId = '';
let homeGrantId = '';
const OWNER = 'chengguan-chengguan.owner';
const CASE = 'YG-2026-1124-11';
// Whole seconds, three hours back; 40 s recorded, the grant covers 8–31 s.
const T0 = Math.floor((Date.now() - 3 * 3600_000) / 1000) * 1000;
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();
const GRANTED = { from: iso(8), to: iso(31) };

async function as(user: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${await t.login(user)}` }, ...(payload && { payload }) });
  return { status: r.statusCode, body: r.json() as any };
}

async function saved(d: Download): Promise<{ name: string; bytes: Buffer }> {
  const file = path.join(work, d.suggestedFilename());
  await d.saveAs(file);
  return { name: d.suggestedFilename(), bytes: readFileSync(file) };
}

describe.skipIf(!haveBrowser)(`evidence export, frame snapshot and privacy masks in Chromium (needs ${CHROMIUM})`, { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await ensureViewerBuilt();
    root = mkdtempSync(path.join(tmpdir(), 'shouwang-evidence-ui-rec-'));
    exportDir = mkdtempSync(path.join(tmpdir(), 'shouwang-evidence-ui-exp-'));
    work = mkdtempSync(path.join(tmpdir(), 'shouwang-evidence-ui-dl-'));
    t = await testGateway({ media: true, footage: { recordingDir: root }, overrides: { footage: { exportDir } } });
    cam = await insertTestCamera(t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: '城关 台前黄河桥西' });
    await recordFixture(t.tdb.db, { root, cameraId: cam, startMs: T0, seconds: 40 });
    const req = await as('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cam], caseNo: CASE, reason: 'white van at the bridge', actions: ['playback', 'export'], footage: GRANTED });
    if (req.status !== 201) throw new Error(`request: ${req.status} ${JSON.stringify(req.body)}`);
    grantId = req.body.grants[0].grant.id;
    const ok = await as('chengguan.duty', 'POST', `/grants/${grantId}/approve`, { reason: 'ok' });
    if (ok.status !== 200) throw new Error(`approve: ${ok.status} ${JSON.stringify(ok.body)}`);

    // the owner's home camera: a simulated camera enrolled by the village committee, so it has a real snapshot
    sim = await startSimulator({ cameras: 1, addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
    const c = sim.cameras[0]!;
    const owner = await t.gw.repos.users.byUsername(OWNER);
    const enrol = await as('chengguan-chengguan.committee', 'POST', '/cameras', {
      host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', mediaPorts: [c.rtspPort],
      name: '城关村 3排12号 门口', ownerClass: 'household', lat: 35.972, lon: 115.856, ownerUserId: owner!.id,
      sharingMode: 'on_request', consentDate: '2026-10-08', address: '城关村 3排12号',
    });
    if (enrol.status !== 201 && enrol.status !== 200) throw new Error(`enrol: ${enrol.status} ${JSON.stringify(enrol.body)}`);
    home = enrol.body.id;
    const hreq = await as('shouzhang.investigator', 'POST', '/grants', { cameraIds: [home], caseNo: CASE, reason: 'the van passed this door', actions: ['playback'], footage: GRANTED });
    if (hreq.status !== 201) throw new Error(`home request: ${hreq.status} ${JSON.stringify(hreq.body)}`);
    homeGrantId = hreq.body.grants[0].grant.id;
    const hok = await as(OWNER, 'POST', `/grants/${homeGrantId}/approve`, { reason: 'ok' });
    if (hok.status !== 200) throw new Error(`owner approve: ${hok.status} ${JSON.stringify(hok.body)}`);
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.close();
    for (const d of [root, exportDir, work]) if (d) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('an investigator snapshots a frame, exports the granted window with progress, and downloads a manifest that verifies', async () => {
    const page = await loginPage(browser, t.baseUrl!, 'shouzhang.investigator', undefined, `/playback?camera=${cam}&grant=${grantId}&from=${GRANTED.from}&to=${GRANTED.to}`);
    try {
      await page.waitForSelector('[data-testid=timeline] .rec.gateway');
      await page.click('[data-testid=play]');
      await expect.poll(() => page.$eval('[data-testid=playback-video]', (v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames), { timeout: 20_000 }).toBeGreaterThan(0);

      // frame snapshot: a PNG of the video's own size, named with the camera and the frame's Beijing time
      await page.$eval('[data-testid=playback-video]', (v) => (v as HTMLVideoElement).pause());
      const [png] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=snapshot]')]);
      const snap = await saved(png);
      expect(snap.name).toMatch(/^城关_台前黄河桥西_\d{8}-\d{6}\.png$/);
      const day = new Date(at(8) + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '');
      expect(snap.name).toContain(day);
      expect(snap.bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      expect([snap.bytes.readUInt32BE(16), snap.bytes.readUInt32BE(20)]).toEqual([320, 180]);

      // the export: record every progress the page renders, from the 202 to the end
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { progressSeen: string[] }).progressSeen = seen;
        new MutationObserver(() => {
          const el = document.querySelector('[data-testid=export-progress]');
          if (el) seen.push(`${el.getAttribute('data-state')}:${el.getAttribute('data-progress')}`);
        }).observe(document.body, { subtree: true, childList: true, attributes: true });
      });
      expect(await page.locator('input[name=watermark]').isChecked()).toBe(true);
      await page.click('[data-testid=export-start]');
      await page.waitForSelector('[data-testid=export-progress][data-state=done]', { timeout: 60_000 });
      const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
      expect(seen.some((s) => s.startsWith('running:'))).toBe(true);
      expect(seen[seen.length - 1]).toBe('done:1');

      // the manifest's key facts on the page
      await page.waitForSelector('[data-testid=manifest-facts]');
      const exportId = (await page.locator('[data-testid=export-job]').getAttribute('data-export'))!;
      const sha = (await page.textContent('[data-testid=manifest-sha]'))!;
      expect(sha).toMatch(/^[0-9a-f]{64}$/);
      expect(await page.textContent('[data-testid=manifest-gaps]')).toContain('录像连续');
      expect(await page.textContent('[data-testid=manifest-first]')).toContain('+08:00');
      // the whole page: the player above, the export with its manifest facts and the case's exports below
      await page.screenshot({ path: path.join(ARTIFACTS, 'evidence-export.png'), fullPage: true });

      const [m] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-manifest]')]);
      const manifest = await saved(m);
      expect(manifest.name).toBe(`${exportId}-manifest.json`);
      const [c] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-clip]')]);
      const clip = await saved(c);
      expect(clip.name).toBe(`${exportId}-clip.mp4`);

      // what `npm run evidence:verify` runs, against the gateway's published keys
      const jwks = (await t.app.inject({ method: 'GET', url: '/api/v1/play-tokens/jwks' })).json();
      const report = await verifyEvidence(clip.bytes, manifest.bytes.toString('utf8'), jwks);
      expect(report.checks.filter((x) => !x.ok)).toEqual([]);
      expect(report.ok).toBe(true);
      const signed = JSON.parse(manifest.bytes.toString('utf8'));
      expect(signed.manifest.clip.sha256).toBe(sha);
      expect(signed.manifest.transform.watermark).not.toBeNull();
      expect(signed.manifest.caseNo).toBe(CASE);
      // the page shows the manifest's own first and last frame, in Beijing time to the millisecond
      const beijing = (isoTime: string) => `${new Date(Date.parse(isoTime) + 8 * 3600_000).toISOString().slice(11, 23)} +08:00`;
      expect(await page.textContent('[data-testid=manifest-first]')).toContain(beijing(signed.manifest.actual.firstFrame));
      expect(await page.textContent('[data-testid=manifest-last]')).toContain(beijing(signed.manifest.actual.lastFrame));
      expect(await page.getAttribute('[data-testid=manifest-merkle]', 'title')).toBe(signed.manifest.merkleRoot);

      // listed under its case
      const row = page.locator(`[data-testid=case-exports][data-case="${CASE}"] tr[data-export="${exportId}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain('城关 台前黄河桥西');
    } catch (e) {
      await shot(page, 'evidence-export-failed').catch(() => undefined);
      throw e;
    } finally {
      await page.context().close();
    }
  });

  it('an owner draws a mask rectangle on the snapshot and saves it; the API returns that version; the mask is lifted for a grant', async () => {
    const page = await loginPage(browser, t.baseUrl!, OWNER, undefined, '/owner');
    const editor = page.locator(`[data-testid=mask-editor][data-camera="${home}"]`);
    const stage = editor.locator('[data-testid=mask-stage]');
    try {
      await editor.waitFor();
      await editor.locator('[data-testid=mask-open]').click();
      // the owner's own snapshot, through a snapshot play token and the authorising edge
      await expect.poll(() => stage.locator('img').evaluate((i) => (i as HTMLImageElement).naturalWidth).catch(() => 0), { timeout: 30_000 }).toBeGreaterThan(0);
      expect(await editor.getAttribute('data-version')).toBe('0');
      await stage.scrollIntoViewIfNeeded();
      const box = (await stage.boundingBox())!;
      const point = (fx: number, fy: number) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height });
      const dragFrom = async (a: { x: number; y: number }, b: { x: number; y: number }) => {
        await page.mouse.move(a.x, a.y);
        await page.mouse.down();
        await page.mouse.move(b.x, b.y, { steps: 6 });
        await page.mouse.up();
      };

      // draw two areas, delete the second with the Delete key, move the first a little to the right
      await dragFrom(point(0.2, 0.3), point(0.5, 0.7));
      await dragFrom(point(0.7, 0.1), point(0.9, 0.3));
      expect(await stage.locator('.mask-rect').count()).toBe(2);
      await page.keyboard.press('Delete');
      expect(await stage.locator('.mask-rect').count()).toBe(1);
      await dragFrom(point(0.35, 0.5), point(0.45, 0.5));
      // a click is not an area
      await page.mouse.click(point(0.8, 0.8).x, point(0.8, 0.8).y);
      expect(await stage.locator('.mask-rect').count()).toBe(1);
      expect(await editor.getAttribute('data-dirty')).toBe('true');

      await editor.locator('[data-testid=mask-save]').click();
      await expect.poll(() => editor.getAttribute('data-version')).toBe('1');
      expect(await editor.getAttribute('data-dirty')).toBe('false');
      await editor.locator('[data-testid=mask-history] li[data-version="1"]').waitFor();

      const api = await as(OWNER, 'GET', `/cameras/${home}/masks`);
      expect(api.status).toBe(200);
      expect(api.body.version).toBe(1);
      expect(api.body.rects).toHaveLength(1);
      const r = api.body.rects[0];
      expect(r.x).toBeCloseTo(0.3, 1);
      expect(r.y).toBeCloseTo(0.3, 1);
      expect(r.w).toBeCloseTo(0.3, 1);
      expect(r.h).toBeCloseTo(0.4, 1);
      await shot(page, 'owner-mask');

      // a finger draws too (real touch events through the browser), and "undo changes" goes back to the saved version
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
      const a = point(0.65, 0.15);
      const b = point(0.85, 0.45);
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: a.x, y: a.y }] });
      for (let i = 1; i <= 5; i++) {
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: a.x + ((b.x - a.x) * i) / 5, y: a.y + ((b.y - a.y) * i) / 5 }] });
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await expect.poll(() => stage.locator('.mask-rect').count()).toBe(2);
      expect(await editor.getAttribute('data-dirty')).toBe('true');
      await editor.locator('[data-testid=mask-revert]').click();
      expect(await stage.locator('.mask-rect').count()).toBe(1);
      expect(await editor.getAttribute('data-dirty')).toBe('false');

      // lift it for the partner's grant, after reading what that means
      const lift = editor.locator(`[data-testid=mask-grants] tr[data-grant="${homeGrantId}"] [data-testid=mask-lift]`);
      await lift.click();
      const confirm = editor.locator('[data-testid=mask-lift-confirm]');
      await confirm.waitFor();
      expect(await confirm.textContent()).toContain(CASE);
      await shot(page, 'owner-mask-lift-confirm');
      await confirm.locator('[data-testid=mask-lift-yes]').click();
      await editor.locator(`[data-testid=mask-grants] tr[data-grant="${homeGrantId}"] [data-testid=mask-lifted]`).waitFor();
      const hist = await as(OWNER, 'GET', `/cameras/${home}/masks/history`);
      expect(hist.body.lifts).toEqual([expect.objectContaining({ grantId: homeGrantId, maskVersion: 1 })]);
    } catch (e) {
      await shot(page, 'owner-mask-failed').catch(() => undefined);
      throw e;
    } finally {
      await page.context().close();
    }
  });
});
