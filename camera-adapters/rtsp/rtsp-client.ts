// A minimal RTSP/1.0 client over TCP (interleaved RTP, Digest/Basic): for probes and tests, not a player.
import net from 'node:net';
import { deviceLookup } from '../net/device-lookup.ts';
import { digestAuthorization } from './digest-auth.ts';

export interface RtspResponse {
  status: number;
  headers: Map<string, string[]>;
  body: string;
}

export class RtspClientError extends Error {
  constructor(
    readonly code: 'connect_failed' | 'timeout' | 'closed' | 'unauthorized' | 'bad_response' | 'bad_status' | 'too_large',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RtspClientError';
  }
}

export interface RtpPacketInfo {
  channel: number;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

const MAX_BUFFER = 4 * 1024 * 1024;

export class RtspClient {
  private buffer: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private waiting: { resolve: (r: RtspResponse) => void; reject: (e: Error) => void } | null = null;
  private challenge: string | null = null;
  private session: string | null = null;
  private closedError: RtspClientError | null = null;
  private rtpListener: ((p: RtpPacketInfo) => void) | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly url: string,
    private readonly username: string,
    private readonly password: string,
    private readonly timeoutMs: number,
    private readonly maxBytes: number = MAX_BUFFER,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedError = new RtspClientError('closed', 'connection closed by server');
      this.waiting?.reject(this.closedError);
      this.waiting = null;
    });
  }

  /**
   * `url` may carry credentials (rtsp://user:pass@host:port/path), or they come in `opts`; either way they go only into
   * auth headers. `maxBytes` caps what the server may have us buffer (a reply or an RTP packet).
   */
  static connect(url: string, opts: { timeoutMs?: number; maxBytes?: number; username?: string; password?: string } = {}): Promise<RtspClient> {
    const parsed = new URL(url);
    const username = opts.username ?? decodeURIComponent(parsed.username);
    const password = opts.password ?? decodeURIComponent(parsed.password);
    parsed.username = '';
    parsed.password = '';
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port: Number(parsed.port || 554), host: parsed.hostname.replace(/^\[|\]$/g, ''), lookup: deviceLookup });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RtspClientError('timeout', `connect to ${parsed.host} timed out`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new RtspClientError('connect_failed', err.message));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RtspClient(socket, parsed.toString(), username, password, timeoutMs, opts.maxBytes ?? MAX_BUFFER));
      });
    });
  }

  onRtp(listener: (p: RtpPacketInfo) => void): void {
    this.rtpListener = listener;
  }

  /** Sends a request, answering one Digest/Basic challenge if the server asks. */
  async request(method: string, uri = this.url, headers: Record<string, string> = {}): Promise<RtspResponse> {
    let res = await this.send(method, uri, headers);
    if (res.status === 401 && this.username) {
      const offered = res.headers.get('www-authenticate') ?? [];
      this.challenge = offered.find((c) => /^digest/i.test(c)) ?? offered.find((c) => /^basic/i.test(c)) ?? null;
      if (this.challenge) res = await this.send(method, uri, headers);
    }
    if (res.status === 401) throw new RtspClientError('unauthorized', `${method} refused: 401`, 401);
    return res;
  }

  /** DESCRIBE, SETUP (TCP interleaved 0-1) and PLAY the first media of the SDP. */
  async play(): Promise<{ sdp: string }> {
    const described = await this.expectOk(await this.request('DESCRIBE', this.url, { Accept: 'application/sdp' }), 'DESCRIBE');
    const base = described.headers.get('content-base')?.[0] ?? `${this.url}/`;
    const control = /^a=control:(?!\*)(.+)$/m.exec(described.body.split(/^m=/m)[1] ?? '')?.[1]?.trim() ?? '';
    const track = /^rtsp:\/\//i.test(control) ? control : `${base.replace(/\/?$/, '/')}${control}`;
    const setup = await this.expectOk(await this.request('SETUP', track, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' }), 'SETUP');
    this.session = setup.headers.get('session')?.[0]?.split(';')[0] ?? null;
    await this.expectOk(await this.request('PLAY', base, { Range: 'npt=0.000-' }), 'PLAY');
    return { sdp: described.body };
  }

  close(): void {
    this.socket.destroy();
  }

  private expectOk(res: RtspResponse, method: string): RtspResponse {
    if (res.status !== 200) throw new RtspClientError('bad_status', `${method} answered ${res.status}`, res.status);
    return res;
  }

  private send(method: string, uri: string, headers: Record<string, string>): Promise<RtspResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    const all: Record<string, string> = { CSeq: String(++this.cseq), 'User-Agent': 'Shouwang-RTSP-Client', ...headers };
    if (this.session) all.Session = this.session;
    if (this.challenge) all.Authorization = this.authorization(method, uri, this.challenge);
    const head = `${method} ${uri} RTSP/1.0\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new RtspClientError('timeout', `${method} got no answer in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(head);
    });
  }

  private authorization(method: string, uri: string, challenge: string): string {
    if (/^basic/i.test(challenge)) return `Basic ${Buffer.from(`${this.username}:${this.password}`, 'utf8').toString('base64')}`;
    return digestAuthorization({ method, uri, challenge, username: this.username, password: this.password, nc: this.cseq });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.buffer.length > this.maxBytes) {
      this.waiting?.reject(new RtspClientError('too_large', `server sent more than ${this.maxBytes} bytes without a complete message`));
      this.waiting = null;
      this.socket.destroy();
      return;
    }
    for (let guard = 0; guard < 10_000 && this.buffer.length > 0; guard++) {
      if (this.buffer[0] === 0x24) {
        if (this.buffer.length < 4) return;
        const size = this.buffer.readUInt16BE(2);
        if (this.buffer.length < 4 + size) return;
        const packet = this.buffer.subarray(4, 4 + size);
        const channel = this.buffer[1] ?? 0;
        this.buffer = this.buffer.subarray(4 + size);
        if (size >= 12 && this.rtpListener) {
          this.rtpListener({
            channel,
            marker: ((packet[1] ?? 0) & 0x80) !== 0,
            payloadType: (packet[1] ?? 0) & 0x7f,
            sequence: packet.readUInt16BE(2),
            timestamp: packet.readUInt32BE(4),
            ssrc: packet.readUInt32BE(8),
            payload: packet.subarray(12),
          });
        }
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('utf8');
      const lines = head.split('\r\n');
      const status = /^RTSP\/1\.0 (\d{3})/.exec(lines[0] ?? '');
      if (!status?.[1]) {
        this.waiting?.reject(new RtspClientError('bad_response', `unexpected data: ${(lines[0] ?? '').slice(0, 60)}`));
        this.waiting = null;
        this.socket.destroy();
        return;
      }
      const headers = new Map<string, string[]>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        headers.set(key, [...(headers.get(key) ?? []), line.slice(colon + 1).trim()]);
      }
      const length = Number(headers.get('content-length')?.[0] ?? '0');
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.resolve({ status: Number(status[1]), headers, body });
    }
  }
}
