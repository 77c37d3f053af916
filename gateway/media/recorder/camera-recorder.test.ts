// The recorder's pipe to ffmpeg takes one write per interval instead of one per FLV tag run, in order, nothing lost.
import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { CoalescingWriter } from './camera-recorder.ts';

describe('CoalescingWriter', () => {
  it('coalesces small writes into one pipe write per interval, in order', async () => {
    const out = new PassThrough();
    const writes: Buffer[] = [];
    const real = out.write.bind(out);
    out.write = ((b: Buffer) => (writes.push(Buffer.from(b)), real(b))) as typeof out.write;
    const w = new CoalescingWriter(() => out, 50);
    for (let i = 0; i < 100; i++) w.write(Buffer.from([i]));
    expect(writes).toHaveLength(0);
    expect(w.pending()).toBe(100);
    await new Promise((r) => setTimeout(r, 120));
    expect(writes).toHaveLength(1);
    expect([...writes[0]!]).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(w.pending()).toBe(0);
  });

  it('writes at once past maxBytes, and end() flushes what is held before ending', () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    const w = new CoalescingWriter(() => out, 10_000, 1000);
    w.write(Buffer.alloc(600, 1));
    expect(w.pending()).toBe(600);
    w.write(Buffer.alloc(600, 2));
    expect(w.pending()).toBe(0); // flushed: 1,200 ≥ 1,000
    w.write(Buffer.alloc(10, 3));
    w.end();
    out.resume();
    return new Promise<void>((resolve) => setImmediate(() => {
      const all = Buffer.concat(chunks);
      expect(all.length).toBe(1210);
      expect(all[1209]).toBe(3);
      expect(out.writableEnded).toBe(true);
      resolve();
    }));
  });
});
