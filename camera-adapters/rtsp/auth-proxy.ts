// Loopback RTSP relay between ffmpeg and a camera: ffmpeg gets `rtsp://127.0.0.1:<port>/<single-use nonce>/…`
// (no credentials in any argv); the proxy dials only the pinned host and port, answers the camera's
// Digest/Basic challenge itself, passes interleaved RTP through, and refuses every 3xx redirect.
import net from 'node:net';
import { deviceLookup } from '../net/device-lookup.ts';
import { randomBytes } from 'node:crypto';
import { digestAuthorization } from './digest-auth.ts';

export interface ProxyTarget {
  host: string;
  port: number;
  /** Path and query on the camera, starting with '/'. */
  path: string;
  username?: string;
  password?: string;
}

export interface ProxyEvent {
  kind: 'redirect_refused' | 'bad_nonce' | 'upstream_error' | 'protocol_error';
  target?: { host: string; port: number };
  detail: string;
}

const MAX_HEAD = 16 * 1024;
const MAX_BODY = 64 * 1024;

interface Msg {
  /** `$` interleaved frame: passed through untouched. */
  raw?: Buffer;
  start?: string;
  headers?: Array<[string, string]>;
  body?: Buffer;
}

/** Splits an RTSP byte stream into interleaved frames and messages (requests or responses). */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Msg[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Msg[] = [];
    while (this.buf.length > 0) {
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) break;
        const n = 4 + this.buf.readUInt16BE(2);
        if (this.buf.length < n) break;
        out.push({ raw: this.buf.subarray(0, n) });
        this.buf = this.buf.subarray(n);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > MAX_HEAD) throw new Error('RTSP header too large');
        break;
      }
      const lines = this.buf.subarray(0, end).toString('utf8').split('\r\n');
      const start = lines.shift() ?? '';
      const headers: Array<[string, string]> = [];
      for (const l of lines) {
        const c = l.indexOf(':');
        if (c > 0) headers.push([l.slice(0, c).trim(), l.slice(c + 1).trim()]);
      }
      const len = Number(headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1] ?? '0');
      if (!Number.isInteger(len) || len < 0 || len > MAX_BODY) throw new Error('bad Content-Length');
      if (this.buf.length < end + 4 + len) break;
      out.push({ start, headers, body: Buffer.from(this.buf.subarray(end + 4, end + 4 + len)) });
      this.buf = this.buf.subarray(end + 4 + len);
    }
    return out;
  }
}

const header = (m: Msg, name: string): string | undefined => m.headers?.find(([k]) => k.toLowerCase() === name)?.[1];

function serialise(start: string, headers: Array<[string, string]>, body: Buffer): Buffer {
  const hs = headers.filter(([k]) => k.toLowerCase() !== 'content-length');
  if (body.length > 0) hs.push(['Content-Length', String(body.length)]);
  return Buffer.concat([Buffer.from(`${[start, ...hs.map(([k, v]) => `${k}: ${v}`)].join('\r\n')}\r\n\r\n`, 'utf8'), body]);
}

/** Parses `rtsp://user:pass@host:port/path?q` (credentials stay in this process). */
export function targetOf(url: string): ProxyTarget {
  const u = new URL(url);
  if (u.protocol !== 'rtsp:') throw new Error('only rtsp:// sources go through the proxy');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 554,
    path: `${u.pathname}${u.search}`,
    ...(u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
  };
}

export class RtspAuthProxy {
  private server: net.Server | null = null;
  private readonly tickets = new Map<string, { target: ProxyTarget; expires: number }>();
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  readonly stats = { connections: 0, redirectsRefused: 0, badNonces: 0 };

  constructor(private readonly opts: { ticketTtlMs?: number; onEvent?: (e: ProxyEvent) => void } = {}) {}

  async listen(): Promise<void> {
    const server = net.createServer((s) => this.serve(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** A single-use loopback URL for one ffmpeg run against `source` (a URL with credentials, or a target). */
  ticket(source: string | ProxyTarget): string {
    const target = typeof source === 'string' ? targetOf(source) : source;
    const now = Date.now();
    for (const [k, t] of this.tickets) if (t.expires < now) this.tickets.delete(k);
    const nonce = randomBytes(18).toString('base64url');
    this.tickets.set(nonce, { target, expires: now + (this.opts.ticketTtlMs ?? 60_000) });
    return `rtsp://127.0.0.1:${this.port}/${nonce}${target.path}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.tickets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private serve(client: net.Socket): void {
    this.stats.connections++;
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => {});
    const reader = new Reader();
    let upstream: net.Socket | null = null;
    let proxyBase = '';
    let target: ProxyTarget | null = null;
    let bases: string[] = [];
    const queue: Msg[] = [];
    let inFlight: { msg: Msg; retried: boolean } | null = null;
    let challenge: string | null = null;
    let nc = 0;
    const upReader = new Reader();

    const fail = (kind: ProxyEvent['kind'], detail: string, status = 502, reason = 'Bad Gateway'): void => {
      this.opts.onEvent?.({ kind, detail, ...(target ? { target: { host: target.host, port: target.port } } : {}) });
      const cseq = inFlight ? header(inFlight.msg, 'CSeq') : undefined;
      if (!client.destroyed) client.end(serialise(`RTSP/1.0 ${status} ${reason}`, cseq ? [['CSeq', cseq]] : [], Buffer.alloc(0)));
      upstream?.destroy();
      setTimeout(() => client.destroy(), 200).unref();
    };

    const toUpstreamUri = (uri: string): string => (uri.startsWith(proxyBase) ? `rtsp://${hostPort(target!)}${uri.slice(proxyBase.length)}` : uri);
    const toClientText = (s: string): string => {
      let out = s;
      for (const b of bases) out = out.split(b).join(proxyBase);
      return out;
    };

    const authHeader = (method: string, uri: string): string | null => {
      if (!challenge || !target?.username) return null;
      if (/^basic/i.test(challenge)) return `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`;
      return digestAuthorization({ method, uri, challenge, username: target.username, password: target.password ?? '', nc: ++nc });
    };

    const sendUp = (m: Msg): void => {
      const [method = '', uri = '', ver = 'RTSP/1.0'] = (m.start ?? '').split(' ');
      const up = toUpstreamUri(uri);
      const hs = (m.headers ?? []).filter(([k]) => k.toLowerCase() !== 'authorization');
      const a = authHeader(method, up);
      if (a) hs.push(['Authorization', a]);
      upstream!.write(serialise(`${method} ${up} ${ver}`, hs, m.body ?? Buffer.alloc(0)));
    };

    const next = (): void => {
      if (inFlight || queue.length === 0) return;
      inFlight = { msg: queue.shift()!, retried: false };
      sendUp(inFlight.msg);
    };

    const onUpstream = (m: Msg): void => {
      if (m.raw) return void client.write(m.raw);
      const status = /^RTSP\/1\.0 (\d{3})/.exec(m.start ?? '');
      if (!status) return; // a request from the camera (rare): not relayed
      const code = Number(status[1]);
      if (!inFlight) return;
      if (code >= 300 && code < 400) {
        this.stats.redirectsRefused++;
        return fail('redirect_refused', `camera answered ${code} (Location withheld)`);
      }
      if (code === 401 && !inFlight.retried && target?.username) {
        const challenges = (m.headers ?? []).filter(([k]) => k.toLowerCase() === 'www-authenticate').map(([, v]) => v);
        challenge = challenges.find((c) => /^digest/i.test(c)) ?? challenges.find((c) => /^basic/i.test(c)) ?? null;
        if (challenge) {
          nc = 0;
          inFlight.retried = true;
          return sendUp(inFlight.msg);
        }
      }
      const hs = (m.headers ?? []).filter(([k]) => k.toLowerCase() !== 'www-authenticate').map(([k, v]): [string, string] => [k, toClientText(v)]);
      const ctype = header(m, 'Content-Type') ?? '';
      const body = m.body && m.body.length && /sdp/i.test(ctype) ? Buffer.from(toClientText(m.body.toString('utf8')), 'utf8') : (m.body ?? Buffer.alloc(0));
      client.write(serialise(m.start!, hs, body));
      inFlight = null;
      next();
    };

    client.on('data', (chunk: Buffer) => {
      let msgs: Msg[];
      try {
        msgs = reader.push(chunk);
      } catch (e) {
        return fail('protocol_error', (e as Error).message, 400, 'Bad Request');
      }
      for (const m of msgs) {
        if (m.raw) {
          upstream?.write(m.raw); // RTCP receiver reports
          continue;
        }
        const uri = (m.start ?? '').split(' ')[1] ?? '';
        if (!target) {
          const nonce = /^rtsp:\/\/127\.0\.0\.1:\d+\/([A-Za-z0-9_-]{24})(?:[/?]|$)/.exec(uri)?.[1];
          const t = nonce ? this.tickets.get(nonce) : undefined;
          if (!nonce || !t || t.expires < Date.now()) {
            this.stats.badNonces++;
            return fail('bad_nonce', 'unknown or used ticket', 404, 'Not Found');
          }
          this.tickets.delete(nonce); // single use: a leaked URL is worthless after this connection
          target = t.target;
          proxyBase = `rtsp://127.0.0.1:${this.port}/${nonce}`;
          bases = [`rtsp://${hostPort(target)}`];
          if (target.port === 554) bases.push(`rtsp://${bracket(target.host)}`);
          const up = net.connect({ host: target.host, port: target.port, lookup: deviceLookup });
          upstream = up;
          up.setNoDelay(true);
          up.on('data', (d: Buffer) => {
            let ms: Msg[];
            try {
              ms = upReader.push(d);
            } catch (e) {
              return fail('protocol_error', `camera: ${(e as Error).message}`);
            }
            // one chunk holds many interleaved RTP frames: corked, they leave in one writev instead of one write each
            client.cork();
            try {
              for (const x of ms) {
                if (client.destroyed) return;
                onUpstream(x);
              }
            } finally {
              client.uncork();
            }
          });
          up.on('error', (e) => fail('upstream_error', e.message));
          up.on('close', () => client.destroy());
          client.on('close', () => up.destroy());
          // a stalled viewer-side ffmpeg must not make us buffer the camera without bound
          client.on('drain', () => up.resume());
          up.on('data', () => {
            if (client.writableLength > 8 * 1024 * 1024) up.pause();
          });
        } else if (uri !== '*' && !uri.startsWith(proxyBase)) {
          return fail('protocol_error', 'request for another resource on a bound connection', 400, 'Bad Request');
        }
        queue.push(m);
        next();
      }
    });
  }
}

const bracket = (h: string): string => (h.includes(':') ? `[${h}]` : h);
const hostPort = (t: ProxyTarget): string => `${bracket(t.host)}:${t.port}`;
