// RTSP/1.0 server over TCP with interleaved RTP (RFC 2326 §10.12); one ClipStream per mount feeds all viewers.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ClipStream, AccessUnitSink } from './clip-stream.ts';
import type { ClipAccessUnit } from './h264-clip.ts';
import type { DigestAuth } from './digest-auth.ts';
import { formatResponse, RtspRequestReader, type RtspRequest } from './rtsp-message.ts';
import { writeRtpHeader } from './rtp-h264.ts';
import { buildH264Sdp, H264_PAYLOAD_TYPE, TRACK_CONTROL, AUDIO_TRACK_CONTROL } from './sdp.ts';
import { AAC_PAYLOAD_TYPE, type AacClip } from './aac-clip.ts';

export interface RtspMount {
  stream: ClipStream;
  /** An AAC track beside the video (second SDP media, `trackID=1`), paced in its own clock. */
  audio?: ClipStream<AacClip>;
  sessionName: string;
  width?: number;
  height?: number;
  /** Called when a viewer starts playing (e.g. to prepare a nicer clip lazily). */
  onPlay?: () => void;
  /**
   * Recorded footage (ONVIF Profile G replay): PLAY's Range header picks what to stream; the session gets its own
   * stream, closed with it. Null → 457 Invalid Range.
   */
  replay?: (range: string | undefined) => Promise<{ stream: ClipStream; range: string } | null>;
}

export interface RtspAuth {
  digest: DigestAuth;
  lookup(username: string): string | undefined;
}

export interface RtspServerOptions {
  /** Maps a URL path such as `/cam-1/main` to a mount; undefined → 404. */
  resolve(path: string): RtspMount | undefined | Promise<RtspMount | undefined>;
  auth?: RtspAuth;
  /** Fault injection: delay before each response, read per request; Infinity means never answer. */
  responseDelayMs?: () => number;
  serverName?: string;
}

export interface RtspServerStats {
  connections: number;
  playing: number;
  bytesSent: number;
}

export class RtspServerError extends Error {
  constructor(
    readonly code: 'address_in_use' | 'listen_failed',
    message: string,
  ) {
    super(message);
    this.name = 'RtspServerError';
  }
}

const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';
const SESSION_TIMEOUT_S = 60;
const IDLE_TIMEOUT_MS = SESSION_TIMEOUT_S * 1000;
/** Above this many unsent bytes a viewer skips to the next keyframe instead of buffering without bound. */
const HIGH_WATER_BYTES = 2 * 1024 * 1024;
const MAX_QUEUED_REQUESTS = 32;

function pathOf(uri: string): string {
  try {
    return decodeURIComponent(new URL(uri).pathname).replace(/\/+$/, '') || '/';
  } catch {
    return uri.startsWith('/') ? uri : '/';
  }
}

function mountPathOfTrack(path: string): string {
  for (const t of [TRACK_CONTROL, AUDIO_TRACK_CONTROL]) if (path.endsWith(`/${t}`)) return path.slice(0, -t.length - 1);
  return path;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RtspServer {
  private server: net.Server | null = null;
  private readonly connections = new Set<RtspConnection>();
  private bytesSentTotal = 0;

  constructor(private readonly opts: RtspServerOptions) {}

  get listening(): boolean {
    return this.server !== null;
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.reject(new RtspServerError('listen_failed', 'already listening'));
    const server = net.createServer((socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code === 'EADDRINUSE' ? 'address_in_use' : 'listen_failed';
        reject(new RtspServerError(code, `RTSP listen on ${host}:${port} failed: ${err.message}`));
      });
      server.listen({ port, host, backlog: 64 }, () => {
        this.server = server;
        const addr = server.address() as net.AddressInfo;
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.dropConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Fault injection: cut every client connection mid-stream. */
  dropConnections(): number {
    const count = this.connections.size;
    for (const conn of [...this.connections]) conn.destroy();
    return count;
  }

  stats(): RtspServerStats {
    let playing = 0;
    for (const conn of this.connections) if (conn.playing) playing += 1;
    return { connections: this.connections.size, playing, bytesSent: this.bytesSentTotal };
  }

  private accept(socket: net.Socket): void {
    const conn = new RtspConnection(socket, this.opts, (n) => {
      this.bytesSentTotal += n;
    });
    this.connections.add(conn);
    socket.once('close', () => {
      conn.release();
      this.connections.delete(conn);
    });
  }
}

class RtspConnection implements AccessUnitSink {
  private readonly reader = new RtspRequestReader();
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private sessionId: string | null = null;
  private mount: RtspMount | null = null;
  private channel = 0;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private sequence = randomBytes(2).readUInt16BE(0);
  private unsubscribe: (() => void) | null = null;
  /** Interleaved channel of the audio track once SETUP asked for it. */
  private audioChannel: number | null = null;
  private readonly audioSsrc = randomBytes(4).readUInt32BE(0);
  private audioSequence = randomBytes(2).readUInt16BE(0);

  constructor(
    private readonly socket: net.Socket,
    private readonly opts: RtspServerOptions,
    private readonly countBytes: (n: number) => void,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => {
      if (!this.playing) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  get playing(): boolean {
    return this.unsubscribe !== null;
  }

  destroy(): void {
    this.release();
    this.socket.destroy();
  }

  release(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  writeAccessUnit(au: ClipAccessUnit, timestamp: number): boolean {
    return this.writeRtp(au, timestamp, this.channel, H264_PAYLOAD_TYPE, this.ssrc, false);
  }

  /** The audio track's sink: same socket, its own channel, payload type, SSRC and sequence. */
  private readonly audioSink: AccessUnitSink = {
    writeAccessUnit: (au, timestamp) => this.writeRtp(au, timestamp, this.audioChannel ?? 2, AAC_PAYLOAD_TYPE, this.audioSsrc, true),
  };

  private writeRtp(au: ClipAccessUnit, timestamp: number, channel: number, payloadType: number, ssrc: number, audio: boolean): boolean {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return false;
    if (socket.writableLength > HIGH_WATER_BYTES) return false;
    const last = au.payloads.length - 1;
    let bytes = 0;
    socket.cork();
    au.payloads.forEach((payload, i) => {
      const header = Buffer.allocUnsafe(16);
      header[0] = 0x24;
      header[1] = channel;
      header.writeUInt16BE(12 + payload.length, 2);
      const sequence = audio ? this.audioSequence : this.sequence;
      writeRtpHeader(header, 4, { payloadType, marker: i === last, sequence, timestamp, ssrc });
      if (audio) this.audioSequence = (sequence + 1) & 0xffff;
      else this.sequence = (sequence + 1) & 0xffff;
      socket.write(header);
      socket.write(payload);
      bytes += 16 + payload.length;
    });
    socket.uncork();
    this.countBytes(bytes);
    return true;
  }

  private onData(chunk: Buffer): void {
    let requests: RtspRequest[];
    try {
      requests = this.reader.push(chunk);
    } catch {
      this.send(400, '0', {});
      this.socket.end();
      return;
    }
    for (const req of requests) {
      if (++this.queued > MAX_QUEUED_REQUESTS) {
        this.destroy();
        return;
      }
      // Requests are answered in order, even when one of them waits on a mount or a delay.
      this.queue = this.queue
        .then(() => this.handle(req))
        .catch(() => this.send(500, req.headers.get('cseq') ?? '0', {}))
        .finally(() => {
          this.queued -= 1;
        });
    }
  }

  private send(status: number, cseq: string, headers: Record<string, string | string[] | undefined>, body?: string): void {
    if (this.socket.destroyed) return;
    const data = formatResponse(
      status,
      { CSeq: cseq, Server: this.opts.serverName ?? 'Shouwang-RTSP', Date: new Date().toUTCString(), ...headers },
      body,
    );
    this.countBytes(data.length);
    this.socket.write(data);
  }

  private authorised(req: RtspRequest, cseq: string): boolean {
    const auth = this.opts.auth;
    if (!auth) return true;
    const result = auth.digest.verify(req.method, req.headers.get('authorization'), auth.lookup);
    if (result.ok) return true;
    this.send(401, cseq, { 'WWW-Authenticate': auth.digest.challenges(result.stale) });
    return false;
  }

  private async handle(req: RtspRequest): Promise<void> {
    const cseq = req.headers.get('cseq') ?? '0';
    const delay = this.opts.responseDelayMs?.() ?? 0;
    if (delay === Number.POSITIVE_INFINITY) return; // unresponsive: leave the client waiting
    if (delay > 0) await sleep(delay);
    if (this.socket.destroyed) return;
    if (req.method === 'OPTIONS') return this.send(200, cseq, { Public: PUBLIC_METHODS });
    if (!this.authorised(req, cseq)) return;
    switch (req.method) {
      case 'DESCRIBE':
        return this.describe(req, cseq);
      case 'SETUP':
        return this.setup(req, cseq);
      case 'PLAY':
        return this.play(req, cseq);
      case 'PAUSE':
        if (!this.checkSession(req, cseq)) return;
        this.release();
        return this.send(200, cseq, { Session: this.sessionHeader() });
      case 'TEARDOWN':
        this.release();
        this.send(200, cseq, {});
        this.sessionId = null;
        return;
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return this.send(200, cseq, { Session: this.sessionId ? this.sessionHeader() : undefined });
      default:
        return this.send(501, cseq, { Public: PUBLIC_METHODS });
    }
  }

  private sessionHeader(): string {
    return `${this.sessionId};timeout=${SESSION_TIMEOUT_S}`;
  }

  private checkSession(req: RtspRequest, cseq: string): boolean {
    const given = req.headers.get('session')?.split(';')[0]?.trim();
    if (this.sessionId && given === this.sessionId) return true;
    this.send(454, cseq, {});
    return false;
  }

  private async describe(req: RtspRequest, cseq: string): Promise<void> {
    const mount = await this.opts.resolve(pathOf(req.uri));
    if (!mount) return this.send(404, cseq, {});
    const sdp = buildH264Sdp({
      sessionName: mount.sessionName,
      host: this.socket.localAddress ?? '127.0.0.1',
      clip: mount.stream.currentClip,
      width: mount.width,
      height: mount.height,
      ...(mount.audio ? { audio: mount.audio.currentClip } : {}),
    });
    const base = req.uri.endsWith('/') ? req.uri : `${req.uri}/`;
    this.send(200, cseq, { 'Content-Base': base, 'Content-Type': 'application/sdp' }, sdp);
  }

  private async setup(req: RtspRequest, cseq: string): Promise<void> {
    const transport = (req.headers.get('transport') ?? '')
      .split(',')
      .map((t) => t.trim())
      .find((t) => /^RTP\/AVP\/TCP/i.test(t));
    if (!transport) return this.send(461, cseq, {});
    const given = req.headers.get('session')?.split(';')[0]?.trim();
    if (given && given !== this.sessionId) return this.send(454, cseq, {});
    if (this.playing) return this.send(455, cseq, {});
    const path = pathOf(req.uri);
    const mount = await this.opts.resolve(mountPathOfTrack(path));
    if (!mount) return this.send(404, cseq, {});
    const isAudio = path.endsWith(`/${AUDIO_TRACK_CONTROL}`);
    if (isAudio && !mount.audio) return this.send(404, cseq, {});
    const interleaved = /interleaved=(\d+)(?:-(\d+))?/i.exec(transport);
    const ch = interleaved?.[1] !== undefined ? Math.min(Number(interleaved[1]), 254) : isAudio ? 2 : 0;
    if (isAudio) this.audioChannel = ch;
    else this.channel = ch;
    this.mount = mount;
    this.sessionId ??= randomBytes(8).toString('hex');
    const ssrc = this.ssrc.toString(16).padStart(8, '0').toUpperCase();
    this.send(200, cseq, {
      Transport: `RTP/AVP/TCP;unicast;interleaved=${ch}-${ch + 1};ssrc=${isAudio ? this.audioSsrc.toString(16).padStart(8, '0').toUpperCase() : ssrc}`,
      Session: this.sessionHeader(),
    });
  }

  private async play(req: RtspRequest, cseq: string): Promise<void> {
    if (!this.checkSession(req, cseq)) return;
    const mount = this.mount;
    if (!mount) return this.send(455, cseq, {});
    if (this.playing) return this.send(200, cseq, { Session: this.sessionHeader(), Range: 'npt=0.000-' });
    const base = req.uri.replace(/\/+$/, '');
    const trackUrl = base.endsWith(TRACK_CONTROL) ? base : `${base}/${TRACK_CONTROL}`;
    let stream = mount.stream;
    let range = 'npt=0.000-';
    if (mount.replay) {
      const r = await mount.replay(req.headers.get('range') ?? undefined);
      if (!r) return this.send(457, cseq, {});
      ({ stream, range } = r);
    }
    if (this.socket.destroyed) return void (mount.replay && stream.close());
    const rtptime = stream.nextKeyframeTimestamp();
    this.send(200, cseq, {
      Session: this.sessionHeader(),
      Range: range,
      'RTP-Info': `url=${trackUrl};seq=${this.sequence};rtptime=${rtptime}`,
    });
    const off = stream.subscribe(this);
    const audio = mount.audio && this.audioChannel !== null ? mount.audio : null;
    const offAudio = audio ? audio.subscribe(this.audioSink) : null;
    this.unsubscribe = mount.replay
      ? () => {
          off();
          stream.close();
        }
      : () => {
          off();
          offAudio?.();
        };
    mount.onPlay?.();
  }
}
