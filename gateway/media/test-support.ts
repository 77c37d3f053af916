// Helpers shared by the media tests and the live benchmark (real processes, 127.0.0.1 only).
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { freePort } from '../../test/helpers/free-port.ts';
export { freePort };


/** Two adjacent free ports (a worker's base ports count up from here). */
export async function freePortRun(n: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    const ok = await Promise.all(Array.from({ length: n }, (_, k) => canListen(p + k)));
    if (ok.every(Boolean)) return p;
  }
  throw new Error('no free port run');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Pids of live processes whose command line contains `needle`. */
export function pidsWithArg(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(needle) && !isZombie(Number(d))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

export function isZombie(pid: number): boolean {
  return processState(pid) === 'Z';
}

export interface RawResponse {
  status: number;
  headers: string;
  body: Buffer;
}

/** A raw HTTP GET that counts every byte that comes back, until close or `limitMs`. */
export function rawGet(port: number, path: string, opts: { headers?: Record<string, string>; limitMs?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const hdrs = Object.entries(opts.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${hdrs}\r\n`);
    s.on('data', (d) => chunks.push(d));
    const t = setTimeout(() => s.destroy(), opts.limitMs ?? 5000);
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(t);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const headers = all.subarray(0, end).toString('latin1');
      resolve({ status: Number(headers.split(' ')[1]), headers, body: all.subarray(end + 4) });
    });
  });
}
