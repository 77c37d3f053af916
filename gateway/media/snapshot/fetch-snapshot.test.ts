// A hostile snapshot endpoint on 127.0.0.1: redirects, endless bodies, non-JPEGs and slow answers are refused.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchSnapshot, SnapshotRefused } from './fetch-snapshot.ts';

let server: http.Server;
let base = '';
let otherHostHits = 0;
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(1000, 7), Buffer.from([0xff, 0xd9])]);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    switch (req.url) {
      case '/ok':
        return res.end(JPEG);
      case '/redirect':
        res.writeHead(302, { location: `${base}/elsewhere` });
        return res.end();
      case '/elsewhere':
        otherHostHits++;
        return res.end(JPEG);
      case '/huge': {
        // 1 GiB announced by streaming, never by content-length: the cap must stop reading
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        let sent = 0;
        const chunk = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(64 * 1024 - 2)]);
        const pump = (): void => {
          while (sent < 1024 ** 3 && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case '/html':
        return res.end('<html>not a picture</html>');
      case '/slow':
        res.writeHead(200);
        res.write(Buffer.from([0xff, 0xd8]));
        return; // never ends
      default:
        res.statusCode = 404;
        return res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const reason = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof SnapshotRefused ? e.reason : String(e);
  }
};

describe('fetchSnapshot', () => {
  it('returns a JPEG', async () => {
    expect((await fetchSnapshot({ snapshotUrl: `${base}/ok` }, { timeoutMs: 2000 })).equals(JPEG)).toBe(true);
  });
  it('refuses a redirect and never contacts its target', async () => {
    expect(await reason(fetchSnapshot({ snapshotUrl: `${base}/redirect` }, { timeoutMs: 2000 }))).toBe('redirect');
    expect(otherHostHits).toBe(0);
  });
  it('stops reading past the cap (memory stays bounded)', async () => {
    const rss0 = process.memoryUsage().rss;
    expect(await reason(fetchSnapshot({ snapshotUrl: `${base}/huge` }, { timeoutMs: 10_000, maxBytes: 4 * 1024 * 1024 }))).toBe('too_large');
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 1024 * 1024);
  });
  it('refuses what is not a JPEG, and a body that never ends within the deadline', async () => {
    expect(await reason(fetchSnapshot({ snapshotUrl: `${base}/html` }, { timeoutMs: 2000 }))).toBe('not_jpeg');
    expect(await reason(fetchSnapshot({ snapshotUrl: `${base}/slow` }, { timeoutMs: 300 }))).toBe('timeout');
  });
});
