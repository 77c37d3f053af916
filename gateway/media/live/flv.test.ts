// FLV splitting and the slow-viewer policy, on a real encoded clip, without sockets.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateFfmpeg, runToCompletion, testClipArgs } from '../../../camera-adapters/ffmpeg/index.ts';
import { FlvDemuxer, flvHeader, normalizeMetadata, TAG_VIDEO } from './flv.ts';
import { Channel, type ChannelViewer } from './channel.ts';
import type { ViewerSink } from '../edge-types.ts';

let dir = '';
let clip: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sw-flv-'));
  const out = join(dir, 'c.flv');
  const r = await runToCompletion(locateFfmpeg(), testClipArgs({ output: out, seconds: 6, width: 320, height: 180, fps: 25, gop: 25, bitrateKbps: 800 }), {
    timeoutMs: 30_000,
  });
  expect(r.exit.code, r.stderr).toBe(0);
  clip = readFileSync(out);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chunks(b: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  let i = 0;
  while (off < b.length) {
    const n = sizes[i++ % sizes.length]!;
    out.push(b.subarray(off, off + n));
    off += n;
  }
  return out;
}

describe('FlvDemuxer', () => {
  it('yields the same tags whatever the chunking, and runs that are byte-exact', () => {
    const whole = new FlvDemuxer().push(clip);
    expect(whole.tags.length).toBeGreaterThan(100);
    expect(whole.tags.filter((t) => t.keyframe).length).toBeGreaterThanOrEqual(6);
    expect(whole.tags.filter((t) => t.sequenceHeader && t.type === TAG_VIDEO).length).toBe(1);
    const d = new FlvDemuxer();
    const runs: Buffer[] = [];
    let n = 0;
    for (const c of chunks(clip, [1, 7, 13, 4096, 3, 65536, 11])) {
      const r = d.push(c);
      n += r.tags.length;
      if (r.run) runs.push(r.run);
    }
    expect(n).toBe(whole.tags.length);
    expect(Buffer.concat(runs).equals(whole.run!)).toBe(true);
  });

  it('writes a header announcing only real tracks; strips @setDataFrame', () => {
    expect(flvHeader(false, true)[4]).toBe(1);
    expect(flvHeader(true, true)[4]).toBe(5);
    const body = Buffer.concat([Buffer.from([2, 0, 13]), Buffer.from('@setDataFrame'), Buffer.from([2, 0, 10]), Buffer.from('onMetaData')]);
    const tag = Buffer.alloc(11 + body.length + 4);
    tag[0] = 18;
    tag.writeUIntBE(body.length, 1, 3);
    body.copy(tag, 11);
    const n = normalizeMetadata(tag);
    expect(n.subarray(11, 24).toString('latin1')).toBe('\u0002\u0000\nonMetaData');
    expect(n.readUInt32BE(n.length - 4)).toBe(n.length - 4);
  });
});

describe('Channel fan-out', () => {
  function sink(drains: boolean): ViewerSink & { queued: number; writes: number; closedWith: string | null } {
    const s = {
      queued: 0,
      writes: 0,
      closedWith: null as string | null,
      write(b: Buffer) {
        s.writes++;
        if (!drains) s.queued += b.length;
      },
      buffered: () => s.queued,
      close(r: string) {
        s.closedWith = r;
      },
      onClose() {},
    };
    return s;
  }
  function channel(cap?: number): Channel {
    return new Channel({ httpPort: () => 1, streamPath: '/live/x', secret: 's', viewerBufferBytes: cap, onLive: () => {}, onUpstreamLost: () => {} });
  }
  function attach(ch: Channel, s: ViewerSink): ChannelViewer {
    const v: ChannelViewer = { sink: s, bytes: 0, skipping: false, maxBuffered: 0, kick: (r) => { ch.remove(v); s.close(r); } };
    ch.add(v);
    return v;
  }

  it('drops a stalled viewer with slow_viewer and never buffers beyond the cap', () => {
    const cap = 200_000;
    const ch = channel(cap);
    const fast = sink(true);
    const slow = sink(false);
    ch.feed(clip.subarray(0, 4096)); // headers first
    attach(ch, fast);
    const vs = attach(ch, slow);
    for (const c of chunks(clip.subarray(4096), [8192])) {
      ch.feed(c);
      expect(slow.queued).toBeLessThanOrEqual(cap);
    }
    expect(slow.closedWith).toBe('slow_viewer');
    expect(vs.maxBuffered).toBeLessThanOrEqual(cap);
    expect(fast.closedWith).toBeNull();
    expect(ch.viewers.size).toBe(1);
  });

  it('a joining viewer starts at a keyframe with the decoder config; writes are shared buffers', () => {
    const ch = channel();
    ch.feed(clip);
    expect(ch.ready).toBe(true);
    const burst = ch.startBurst();
    expect(burst[0]!.subarray(0, 3).toString()).toBe('FLV');
    const tags = new FlvDemuxer().push(Buffer.concat(burst)).tags;
    const firstFrame = tags.find((t) => t.type === TAG_VIDEO && !t.sequenceHeader);
    expect(firstFrame?.keyframe).toBe(true);
    const a: Buffer[] = [];
    const b: Buffer[] = [];
    const mk = (arr: Buffer[]): ViewerSink => ({ write: (x) => void arr.push(x), buffered: () => 0, close() {}, onClose() {} });
    attach(ch, mk(a));
    attach(ch, mk(b));
    ch.feed(Buffer.from(clip.subarray(13))); // replays the tags as new data
    expect(a.at(-1)).toBe(b.at(-1)); // the very same Buffer object
  });

  it('batches writes for crowded channels without duplicating tags for a viewer joining mid-batch', async () => {
    const ch = new Channel({
      httpPort: () => 1, streamPath: '/live/x', secret: 's', onLive: () => {}, onUpstreamLost: () => {}, batchMs: 20, batchFromViewers: 1,
    });
    const body = clip.subarray(13);
    const parts = chunks(body, [30_000]);
    ch.feed(clip.subarray(0, 13));
    ch.feed(parts[0]!);
    const early: Buffer[] = [];
    const late: Buffer[] = [];
    const mk = (arr: Buffer[]): ViewerSink => ({ write: (x) => void arr.push(x), buffered: () => 0, close() {}, onClose() {} });
    attach(ch, mk(early));
    const writesBefore = early.length;
    for (const p of parts.slice(1, 4)) ch.feed(p);
    expect(early.length).toBe(writesBefore); // held for the batch
    attach(ch, mk(late)); // flushes the batch to `early` first
    expect(early.length).toBe(writesBefore + 1);
    for (const p of parts.slice(4)) ch.feed(p);
    await new Promise((r) => setTimeout(r, 50));
    const frames = (bufs: Buffer[]) => new FlvDemuxer().push(Buffer.concat(bufs)).tags.filter((t) => t.type === TAG_VIDEO && !t.sequenceHeader);
    for (const got of [frames(early), frames(late)]) {
      for (let i = 1; i < got.length; i++) {
        expect(got[i]!.timestamp).toBeGreaterThanOrEqual(got[i - 1]!.timestamp);
        expect(got[i]!.bytes.equals(got[i - 1]!.bytes)).toBe(false); // nothing sent twice
      }
    }
    // both end with the clip's last frame; the early viewer saw every frame from its first keyframe on
    const all = new FlvDemuxer().push(clip).tags.filter((t) => t.type === TAG_VIDEO && !t.sequenceHeader);
    // the late viewer's clock is rebased to its join keyframe: compare tag bodies, and its clock starts at 0
    expect(frames(late).at(-1)!.bytes.subarray(11).equals(all.at(-1)!.bytes.subarray(11))).toBe(true);
    expect(frames(late)[0]!.timestamp).toBe(0);
    const firstEarly = all.findIndex((t) => t.bytes.equals(frames(early)[0]!.bytes));
    expect(frames(early).length).toBe(all.length - firstEarly);
    ch.close();
  });
});
