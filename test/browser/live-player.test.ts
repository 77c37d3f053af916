// The stream plays in a real browser with mpegts.js (what the web viewer will use), served from the gateway's origin.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { startSimulator, type Simulator } from '../../camera-adapters/simulator/index.ts';

// Debian's chromium: .ci/run installs it; on a machine without it this file is skipped, saying why.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
const mpegtsJs = readFileSync(createRequire(import.meta.url).resolve('mpegts.js/dist/mpegts.js'), 'utf8');

const PAGE = `<!doctype html><meta charset="utf-8"><title>player</title>
<video id="v" muted autoplay playsinline width="640"></video>
<script src="/test/mpegts.js"></script>
<script>
  window.playerState = { error: null };
  window.startPlayer = (url) => {
    const p = mpegts.createPlayer({ type: 'flv', isLive: true, hasAudio: false, url }, { enableWorker: false, lazyLoad: false });
    p.on(mpegts.Events.ERROR, (type, detail) => { window.playerState.error = type + ':' + detail; });
    p.attachMediaElement(document.getElementById('v'));
    p.load();
    p.play().catch((e) => { window.playerState.error = String(e); });
  };
</script>`;

async function testPage(app: FastifyInstance): Promise<void> {
  app.get('/test/player.html', async (_req, reply) => reply.type('text/html').send(PAGE));
  app.get('/test/mpegts.js', async (_req, reply) => reply.type('application/javascript').send(mpegtsJs));
}

let t: TestGateway;
let sim: Simulator;
let browser: Browser;
let cameraId = '';

describe.skipIf(!haveBrowser)(`live video in Chromium with mpegts.js (needs ${CHROMIUM})`, () => {
  beforeAll(async () => {
    sim = await startSimulator({ cameras: [{ id: 'web' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false });
    // pulls may only reach allowed media ports: the simulator's random RTSP port is this test's allow-list
    t = await testGateway({ media: true, plugins: [testPage], overrides: { cameras: { mediaPorts: [sim.cameras[0]!.rtspPort] } } });
    const officer = await t.login('shouzhang.officer');
    const c = sim.cameras[0]!;
    const r = await t.app.inject({
      method: 'POST', url: '/api/v1/cameras', headers: { authorization: `Bearer ${officer}` },
      payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-1234', ownerClass: 'police', lat: 35.95, lon: 115.9, mediaPorts: [c.rtspPort] },
    });
    cameraId = r.json().id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.close();
  });

  it('plays decoded 1280x720 frames from the authorising edge', async () => {
    const tok = await t.app.inject({ method: 'POST', url: '/api/v1/play-tokens', headers: { authorization: `Bearer ${await t.login('shouzhang.officer')}` }, payload: { cameraId, action: 'live' } });
    const token = tok.json().token as string;
    const page = await browser.newPage();
    await page.goto(`${t.baseUrl}/test/player.html`);
    await page.evaluate((url) => (window as unknown as { startPlayer: (u: string) => void }).startPlayer(url), `${t.baseUrl}/media/live/${cameraId}.flv?token=${token}`);
    await page.waitForFunction(() => {
      const v = document.getElementById('v') as HTMLVideoElement;
      return v.videoWidth > 0 && v.currentTime > 1 && v.getVideoPlaybackQuality().totalVideoFrames > 15;
    }, undefined, { timeout: 20_000 });
    const seen = await page.evaluate(() => {
      const v = document.getElementById('v') as HTMLVideoElement;
      return { w: v.videoWidth, h: v.videoHeight, frames: v.getVideoPlaybackQuality().totalVideoFrames, error: (window as unknown as { playerState: { error: string | null } }).playerState.error };
    });
    expect(seen).toMatchObject({ w: 1280, h: 720, error: null });
    await page.close();
  });
});
