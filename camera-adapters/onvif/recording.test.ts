// Profile G against the simulator over real SOAP, and hostile answers bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { OnvifRecordingClient, parseRecordingResults } from './recording.ts';
import { fetchReplay } from './recording-replay.ts';
import { locateFfmpeg, runToCompletion } from '../ffmpeg/index.ts';
import { annexBToTsArgs } from '../ffmpeg/footage-commands.ts';
import { probeTs } from '../../gateway/media/playback/ts-clip.ts';

const HOUR = 3_600_000;

describe('ONVIF Profile G client against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      cameras: [{ id: 'profile-g-1', clockOffsetMs: HOUR }],
      addressMode: 'single-ip', httpPort: 0, rtspPort: 0, username: 'admin', password: 'pw-1234', nameOverlay: false,
    });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('finds the SD-card recordings in gateway time (the camera clock is an hour fast) and a pinned replay URI', async () => {
    const cam = sim.cameras[0]!;
    const client = new OnvifRecordingClient({ host: cam.host, port: cam.httpPort, username: 'admin', password: 'pw-1234', clockOffsetMs: HOUR });
    const recs = await client.findRecordings();
    expect(recs).toHaveLength(2);
    const now = Date.now();
    expect(Math.abs(recs[1]!.to.getTime() - now)).toBeLessThan(3000);
    expect(Math.abs(recs[0]!.from.getTime() - (now - 24 * HOUR))).toBeLessThan(3000);
    expect(Math.abs(recs[1]!.from.getTime() - recs[0]!.to.getTime() - HOUR)).toBeLessThan(1000); // the hour the card was out
    const summary = await client.getRecordingSummary();
    expect(summary?.count).toBe(2);
    const uri = await client.getReplayUri(recs[1]!.token);
    expect(new URL(uri).hostname).toBe(cam.host);
    expect(uri).toContain('/replay/');
    await expect(client.getReplayUri('no-such-recording')).rejects.toMatchObject({ code: expect.any(String) });
  });

  it('replays exactly the asked span over RTSP with Range: clock (real RTP, depacketised, remuxed to MPEG-TS)', async () => {
    const cam = sim.cameras[0]!;
    const client = new OnvifRecordingClient({ host: cam.host, port: cam.httpPort, username: 'admin', password: 'pw-1234', clockOffsetMs: HOUR });
    const rec = (await client.findRecordings())[1]!;
    const uri = await client.getReplayUri(rec.token);
    // Two seconds, an hour into the recording, in the camera's clock (an hour fast).
    const from = new Date(Math.floor((rec.from.getTime() + HOUR) / 1000) * 1000 + HOUR);
    const r = await fetchReplay({ uri, username: 'admin', password: 'pw-1234', from, to: new Date(from.getTime() + 2000), deadlineMs: 30_000 });
    expect(r.fps).toBe(15);
    expect(r.frames).toBe(30);
    expect(r.range).toContain('clock=');
    const ts = await runToCompletion(locateFfmpeg(), annexBToTsArgs({ fps: r.fps }), { timeoutMs: 30_000, stdin: r.annexB });
    expect(ts.exit.code, ts.stderr).toBe(0);
    const p = probeTs(ts.stdout);
    expect(p.frames).toBe(30);
    expect(p.firstIsKey).toBe(true);
    // Outside what the card holds: 457, reported as a bad response.
    await expect(fetchReplay({ uri, username: 'admin', password: 'pw-1234', from: new Date(Date.now() + 10 * HOUR), to: new Date(Date.now() + 10 * HOUR + 1000), deadlineMs: 10_000 })).rejects.toMatchObject({ code: 'bad_response' });
  }, 60_000);

  it('refuses wrong credentials', async () => {
    const cam = sim.cameras[0]!;
    const client = new OnvifRecordingClient({ host: cam.host, port: cam.httpPort, username: 'admin', password: 'wrong' });
    await expect(client.findRecordings()).rejects.toMatchObject({ code: 'auth_failed' });
  });
});

describe('parseRecordingResults bounds what a hostile camera claims', () => {
  const now = Date.parse('2026-11-24T06:00:00Z');
  const info = (token: string, from: string, to: string) => ({ RecordingToken: token, EarliestRecording: from, LatestRecording: to });

  it('clamps future and ancient times, drops reversed or unreadable ones, caps the count', () => {
    const list = {
      RecordingInformation: [
        info('future', '2026-11-24T05:00:00Z', '2099-01-01T00:00:00Z'),
        info('ancient', '1970-01-01T00:00:00Z', '2026-11-20T00:00:00Z'),
        info('reversed', '2026-11-24T04:00:00Z', '2026-11-24T03:00:00Z'),
        info('garbage', 'yesterday', 'today'),
        info('', '2026-11-24T01:00:00Z', '2026-11-24T02:00:00Z'),
      ],
    };
    const r = parseRecordingResults(list, 0, now);
    expect(r.map((x) => x.token)).toEqual(['ancient', 'future']);
    expect(r[1]!.to.getTime()).toBe(now);
    expect(r[0]!.from.getTime()).toBe(now - 400 * 24 * HOUR);
    const many = { RecordingInformation: Array.from({ length: 5000 }, (_, i) => info(`r${i}`, '2026-11-24T01:00:00Z', '2026-11-24T02:00:00Z')) };
    expect(parseRecordingResults(many, 0, now)).toHaveLength(256);
  });

  it('applies the device clock offset', () => {
    const r = parseRecordingResults({ RecordingInformation: info('a', '2026-11-24T02:00:00Z', '2026-11-24T03:00:00Z') }, HOUR, now);
    expect(r[0]!.from.toISOString()).toBe('2026-11-24T01:00:00.000Z');
  });
});
