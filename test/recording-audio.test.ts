// A camera with audio, end to end: the simulator's quiet AAC track goes through the relay, the media worker and the
// edge to live viewers (FLV audio tags) and into the recording (an AAC elementary stream beside the H.264 in MPEG-TS).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { startSimulator, type Simulator } from '../camera-adapters/simulator/index.ts';
import { locateFfmpeg } from '../camera-adapters/ffmpeg/index.ts';
import { recordingsRepository } from '../gateway/repositories/recordings.repository.ts';
import { LocalSegmentStore } from '../gateway/media/recorder/segment-store.ts';
import { Recorder } from '../gateway/media/recorder/recorder.ts';
import { DEFAULT_RECORDING } from '../gateway/media/recorder/policy.ts';
import { FlvDemuxer, TAG_AUDIO, TAG_VIDEO } from '../gateway/media/live/flv.ts';
import { parseTs } from '../gateway/media/playback/ts-clip.ts';

let t: TestGateway;
let sim: Simulator;
let cameraId = '';
let dir = '';
let officer = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sw-rec-audio-e2e-'));
  sim = await startSimulator({ cameras: [{ id: 'yard' }], addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-aud-1', nameOverlay: false, audio: true });
  t = await testGateway({ media: true, overrides: { cameras: { mediaPorts: [sim.cameras[0]!.rtspPort] } } });
  officer = await t.login('shouzhang.officer');
  const c = sim.cameras[0]!;
  const r = await t.app.inject({
    method: 'POST', url: '/api/v1/cameras', headers: { authorization: `Bearer ${officer}` },
    payload: { host: c.host, port: c.httpPort, username: 'admin', password: 'pw-aud-1', ownerClass: 'police', lat: 35.95, lon: 115.88, name: 'Yard' },
  });
  expect(r.statusCode).toBe(201);
  cameraId = r.json().id;
  await t.tdb.db.query('UPDATE cameras SET recording_allowed = false WHERE id <> $1', [cameraId]);
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a camera with audio', () => {
  it('live viewers get its AAC audio and the recording keeps it beside the video', async () => {
    const store = new LocalSegmentStore(dir);
    const repo = recordingsRepository(t.tdb.db);
    const rec = new Recorder({
      repo, store, ffmpegPath: locateFfmpeg(), source: t.media!.edge,
      config: { ...DEFAULT_RECORDING, enabled: true, dir, segmentSeconds: 2, minFreeBytes: 1000 },
      onState: () => undefined, auditHold: async () => undefined, log: () => undefined, freeBytes: async () => Number.MAX_SAFE_INTEGER,
      retentionIntervalMs: 3_600_000,
    });
    await rec.start();
    try {
      // live: 4 s of HTTP-FLV through the edge carries audio tags (AAC, sound format 10) as well as video
      const tok = await t.app.inject({ method: 'POST', url: '/api/v1/play-tokens', headers: { authorization: `Bearer ${officer}` }, payload: { cameraId, action: 'live' } });
      expect(tok.statusCode).toBe(201);
      const counts = await new Promise<{ audio: number; video: number; aacFormat: boolean }>((resolve, reject) => {
        const demux = new FlvDemuxer();
        const c = { audio: 0, video: 0, aacFormat: true };
        const req = http.get(`${t.baseUrl}/media/live/${cameraId}.flv?token=${encodeURIComponent(tok.json().token)}`, (res) => {
          res.on('data', (d: Buffer) => {
            for (const tag of demux.push(d).tags) {
              if (tag.type === TAG_VIDEO) c.video++;
              if (tag.type === TAG_AUDIO) {
                c.audio++;
                if (tag.bytes[11]! >> 4 !== 10) c.aacFormat = false;
              }
            }
          });
          res.on('close', () => resolve(c));
        });
        req.on('error', reject);
        setTimeout(() => req.destroy(), 4000);
      });
      expect(counts.video).toBeGreaterThan(25);
      expect(counts.audio).toBeGreaterThan(20); // 16 kHz AAC: ~15 frames a second
      expect(counts.aacFormat).toBe(true);

      const end = Date.now() + 40_000;
      while (Date.now() < end && (await repo.segments(cameraId, 'main', new Date(0), new Date(Date.now() + 60_000))).length < 2) await new Promise((r) => setTimeout(r, 300));
    } finally {
      await rec.close();
    }
    const segs = await repo.segments(cameraId, 'main', new Date(0), new Date(Date.now() + 60_000));
    expect(segs.length).toBeGreaterThanOrEqual(2);
    for (const s of segs) {
      const p = parseTs(readFileSync(store.absolute(s.path)));
      expect(p.video?.codec).toBe('h264');
      expect(p.audioPids.size).toBe(1);
      const audioPid = [...p.audioPids][0]!;
      expect(p.units.filter((u) => u.pid === audioPid).length).toBeGreaterThan(0);
    }
  }, 120_000);
});
