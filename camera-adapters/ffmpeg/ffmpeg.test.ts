// Runs every command line from commands.ts against the ffmpeg binary we actually ship.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { mkdtempSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateFfmpeg, locateFfprobe, relayArgs, runToCompletion, snapshotArgs, spawnManaged, testClipArgs, loopPublishArgs } from './index.ts';
import { readFileSync } from 'node:fs';

const ffmpeg = locateFfmpeg();
const ffprobe = locateFfprobe();
let dir = '';
let clip = '';

async function probe(file: string): Promise<{ codec_name: string; codec_type: string }[]> {
  const r = await runToCompletion(ffprobe, ['-v', 'error', '-show_streams', '-of', 'json', file], { timeoutMs: 15_000 });
  return (JSON.parse(r.stdout.toString()) as { streams: { codec_name: string; codec_type: string }[] }).streams;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sw-ffmpeg-'));
  clip = join(dir, 'clip.flv');
  const r = await runToCompletion(ffmpeg, testClipArgs({ output: clip, seconds: 3, width: 320, height: 180 }), { timeoutMs: 30_000 });
  expect(r.exit.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('locate', () => {
  it('finds the npm-shipped binaries and rejects a bad configured path', () => {
    expect(existsSync(ffmpeg)).toBe(true);
    expect(existsSync(ffprobe)).toBe(true);
    expect(locateFfmpeg(ffmpeg)).toBe(ffmpeg);
    expect(() => locateFfmpeg('/nonexistent/ffmpeg')).toThrow(/configured path/);
  });
});

describe('command lines', () => {
  it('testClipArgs encodes an H.264 FLV clip', async () => {
    const s = await probe(clip);
    expect(s.map((x) => x.codec_name)).toEqual(['h264']);
  });

  it('snapshotArgs turns FLV on stdin into one JPEG', async () => {
    const r = await runToCompletion(ffmpeg, snapshotArgs({ input: '-' }), { timeoutMs: 15_000, stdin: readFileSync(clip) });
    expect(r.exit.code, r.stderr).toBe(0);
    expect(r.stdout[0]).toBe(0xff);
    expect(r.stdout[1]).toBe(0xd8);
  });

  it('relayArgs remuxes a source into FLV without re-encoding', async () => {
    const out = join(dir, 'relay.flv');
    const r = await runToCompletion(ffmpeg, relayArgs({ input: clip, output: out }), { timeoutMs: 15_000 });
    expect(r.exit.code, r.stderr).toBe(0);
    expect((await probe(out)).map((x) => x.codec_name)).toEqual(['h264']);
    expect(statSync(out).size).toBeGreaterThan(statSync(clip).size * 0.9);
  });

  it('relayArgs uses -stimeout for RTSP: a silent camera makes ffmpeg give up instead of listening', async () => {
    const silent = net.createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const args = relayArgs({ input: `rtsp://u:p@127.0.0.1:${port}/x`, output: join(dir, 'never.flv'), timeoutUs: 1_000_000 });
    expect(args.join(' ')).toContain('-rtsp_transport tcp -stimeout 1000000');
    expect(args).not.toContain('-timeout');
    const t0 = Date.now();
    const r = await runToCompletion(ffmpeg, args, { timeoutMs: 10_000 });
    silent.close();
    expect(r.timedOut).toBe(false);
    expect(r.exit.code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it('loopPublishArgs streams a clip in real time to a destination', () => {
    expect(loopPublishArgs({ clip, output: 'rtmp://127.0.0.1:1/live/x' })).toEqual(
      expect.arrayContaining(['-re', '-stream_loop', '-1', '-c', 'copy', '-f', 'flv']),
    );
  });
});

describe('process runner', () => {
  it('stops a child that ignores SIGTERM: signal, wait, SIGKILL — and reaps it', async () => {
    const p = spawnManaged('sh', ['-c', 'trap "" TERM; sleep 30']);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const exit = await p.stop(300);
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(existsSync(`/proc/${p.pid}`)).toBe(false);
  });

  it('stops ffmpeg with SIGTERM within the grace period', async () => {
    const p = spawnManaged(ffmpeg, loopPublishArgs({ clip, output: join(dir, 'loop.flv') }));
    await new Promise((r) => setTimeout(r, 500));
    const exit = await p.stop(3000);
    expect(exit.signal === 'SIGTERM' || exit.code !== null).toBe(true);
    expect(p.hasExited).toBe(true);
  });
});
