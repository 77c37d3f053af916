// A camera's HTTP snapshot, read as an untrusted device answer: no redirects, a size cap, a JPEG check,
// one deadline for headers and body together.
import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import { deviceLookup } from '../../../camera-adapters/net/device-lookup.ts';

export const SNAPSHOT_MAX_BYTES = 4 * 1024 * 1024;

export interface SnapshotSource {
  snapshotUrl: string;
  username?: string;
  password?: string;
}

export class SnapshotRefused extends Error {
  constructor(readonly reason: 'redirect' | 'too_large' | 'not_jpeg' | 'timeout' | 'http_status' | 'network', detail: string) {
    super(`${reason}: ${detail}`);
  }
}

export function fetchSnapshot(cam: SnapshotSource, opts: { timeoutMs: number; maxBytes?: number }): Promise<Buffer> {
  const max = opts.maxBytes ?? SNAPSHOT_MAX_BYTES;
  const url = new URL(cam.snapshotUrl);
  const headers: Record<string, string> = { accept: 'image/jpeg' };
  if (cam.username !== undefined) {
    headers['authorization'] = `Basic ${Buffer.from(`${cam.username}:${cam.password ?? ''}`).toString('base64')}`;
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: SnapshotRefused): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new SnapshotRefused('timeout', `no whole snapshot in ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const send = url.protocol === 'https:' ? requestTls : request;
    // node's http client never follows redirects: a 3xx is refused below, not re-aimed
    const req = send(url, { method: 'GET', headers, agent: false, lookup: deviceLookup }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) return fail(new SnapshotRefused('redirect', `HTTP ${status}`));
      if (status !== 200) return fail(new SnapshotRefused('http_status', `HTTP ${status}`));
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > max) return fail(new SnapshotRefused('too_large', `${declared} bytes announced`));
      const parts: Buffer[] = [];
      let n = 0;
      res.on('data', (d: Buffer) => {
        n += d.length;
        if (n > max) return fail(new SnapshotRefused('too_large', `more than ${max} bytes`));
        if (parts.length === 0 && d.length >= 2 && !(d[0] === 0xff && d[1] === 0xd8)) return fail(new SnapshotRefused('not_jpeg', 'no SOI marker'));
        parts.push(d);
      });
      res.on('end', () => {
        if (settled) return;
        const b = Buffer.concat(parts);
        if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return fail(new SnapshotRefused('not_jpeg', 'no SOI marker'));
        settled = true;
        clearTimeout(timer);
        resolve(b);
      });
      res.on('error', (e) => fail(new SnapshotRefused('network', e.message)));
    });
    req.on('error', (e) => fail(new SnapshotRefused('network', e.message)));
    req.end();
  });
}
