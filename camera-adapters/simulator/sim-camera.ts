// One virtual camera: ONVIF over HTTP, RTSP with its own streams, and the fault switches tests pull.
import http from 'node:http';
import type net from 'node:net';
import { DigestAuth } from '../rtsp/digest-auth.ts';
import { ClipStream } from '../rtsp/clip-stream.ts';
import { replayMount } from './recording-replay.ts';
import type { H264Clip } from '../rtsp/h264-clip.ts';
import type { AacClip } from '../rtsp/aac-clip.ts';
import { RtspServer, type RtspMount } from '../rtsp/rtsp-server.ts';
import { SimulatorError } from './errors.ts';
import { createCameraHttpHandler } from './onvif-http.ts';
import { DEVICE_SERVICE_PATH, streamUri, type OnvifDeviceFacts } from './onvif-operations.ts';
import { PROFILES, isProfileToken, type MediaProfile, type ProfileToken } from './profiles.ts';

/** The media a camera draws on; shared by all cameras of a simulator. */
export interface CameraMedia {
  sharedClip(profile: MediaProfile): Promise<H264Clip>;
  labelledClip(profile: MediaProfile, label: string, fallbackLabel: string): Promise<H264Clip>;
  snapshot(profile: MediaProfile): Promise<Buffer>;
  audioClip(): Promise<AacClip>;
}

export interface SimCameraConfig extends OnvifDeviceFacts {
  username: string;
  password: string;
  /** Burn the camera's name into its video, encoded lazily on first PLAY. */
  nameOverlay: boolean;
  /** The streams it serves (default PROFILES; benchmarks raise the main bitrate). */
  profiles?: Readonly<Record<ProfileToken, MediaProfile>>;
  /** Serve a quiet AAC track beside the video of both profiles. */
  audio?: boolean;
}

export interface SimCameraStats {
  id: string;
  running: boolean;
  rtspConnections: number;
  rtspSessions: number;
  bytesSent: number;
}

const REALM = 'Shouwang-Sim';

export class SimCamera {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly username: string;
  readonly password: string;
  readonly clockOffsetMs: number;
  private readonly facts: OnvifDeviceFacts;
  private readonly digest = new DigestAuth({ realm: REALM, allowBasic: true });
  private readonly httpServer: http.Server;
  private readonly rtsp: RtspServer;
  private readonly mounts = new Map<ProfileToken, Promise<RtspMount>>();
  private readonly overlaid = new Set<ProfileToken>();
  private readonly profiles: Readonly<Record<ProfileToken, MediaProfile>>;
  private delay = 0;
  private unresponsive = false;
  private httpListening = false;
  private transition: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: SimCameraConfig,
    private readonly media: CameraMedia,
  ) {
    this.id = config.id;
    this.name = config.name;
    this.host = config.host;
    this.username = config.username;
    this.password = config.password;
    this.clockOffsetMs = config.clockOffsetMs;
    this.facts = { ...config };
    this.profiles = config.profiles ?? PROFILES;
    const lookup = (user: string): string | undefined => (user === this.username ? this.password : undefined);
    this.httpServer = http.createServer(
      createCameraHttpHandler({
        facts: this.facts,
        digest: this.digest,
        lookup,
        delayMs: () => this.responseDelay(),
        snapshot: (profile) => media.snapshot(profile),
      }),
    );
    // Node's request/headers timeouts run a 30 s interval per server; thousands of idle cameras
    // should cost nothing, so rely on the per-socket idle timeout instead.
    this.httpServer.requestTimeout = 0;
    this.httpServer.headersTimeout = 0;
    this.httpServer.timeout = 30_000;
    this.httpServer.keepAliveTimeout = 5_000;
    this.rtsp = new RtspServer({
      resolve: (path) => this.mountFor(path),
      auth: { digest: this.digest, lookup },
      responseDelayMs: () => this.responseDelay(),
      serverName: `${REALM} RTSP`,
    });
  }

  get httpPort(): number {
    return this.facts.httpPort;
  }

  get rtspPort(): number {
    return this.facts.rtspPort;
  }

  get model(): string {
    return this.facts.model;
  }

  get deviceServiceUrl(): string {
    return `http://${this.host}:${this.httpPort}${DEVICE_SERVICE_PATH}`;
  }

  get running(): boolean {
    return this.httpListening;
  }

  streamUri(profile: ProfileToken = 'main'): string {
    return streamUri(this.facts, PROFILES[profile]);
  }

  /** Listens on both ports; connects are refused again after stop(). */
  start(): Promise<void> {
    return this.serialise(() => this.doStart());
  }

  /** Closes both listeners and every open connection, like a camera losing power. */
  stop(): Promise<void> {
    return this.serialise(() => this.doStop());
  }

  setOffline(offline: boolean): Promise<void> {
    return offline ? this.stop() : this.start();
  }

  /** Stops (or restarts) only the RTSP server, like a camera whose stream service died while ONVIF still answers. */
  setRtspOffline(offline: boolean): Promise<void> {
    return this.serialise(async () => {
      if (offline) return this.rtsp.close();
      if (!this.httpListening || this.rtsp.listening) return;
      await this.rtsp.listen(this.facts.rtspPort, this.host);
    });
  }

  /** Delay before every HTTP and RTSP response, in ms; 0 turns it off. */
  setDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new SimulatorError('invalid_option', `'delay' must be a non-negative number of ms`);
    this.delay = ms;
  }

  /** Accept connections but never answer (HTTP or RTSP), like a wedged camera; clients must time out. */
  setUnresponsive(on: boolean): void {
    this.unresponsive = on;
  }

  /** Cuts every RTSP connection mid-stream; returns how many were cut. */
  dropStreams(): number {
    return this.rtsp.dropConnections();
  }

  stats(): SimCameraStats {
    const s = this.rtsp.stats();
    return { id: this.id, running: this.running, rtspConnections: s.connections, rtspSessions: s.playing, bytesSent: s.bytesSent };
  }

  async close(): Promise<void> {
    await this.stop();
    for (const mount of this.mounts.values()) mount.then((m) => (m.stream.close(), m.audio?.close()), () => undefined);
  }

  private responseDelay(): number {
    return this.unresponsive ? Number.POSITIVE_INFINITY : this.delay;
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    const next = this.transition.then(step);
    this.transition = next.catch(() => undefined);
    return next;
  }

  private async doStart(): Promise<void> {
    if (this.httpListening) return;
    const port = await listenHttp(this.httpServer, this.host, this.facts.httpPort);
    this.facts.httpPort = port;
    this.httpListening = true;
    try {
      const rtsp = await this.rtsp.listen(this.facts.rtspPort, this.host);
      this.facts.rtspPort = rtsp.port;
    } catch (err) {
      await this.doStop();
      const code = (err as { code?: string }).code === 'address_in_use' ? 'address_in_use' : 'listen_failed';
      throw new SimulatorError(code, `camera ${this.id}: ${(err as Error).message}`);
    }
  }

  private async doStop(): Promise<void> {
    const closing: Promise<void>[] = [this.rtsp.close()];
    if (this.httpListening) {
      this.httpListening = false;
      closing.push(new Promise((resolve) => this.httpServer.close(() => resolve())));
      this.httpServer.closeAllConnections();
    }
    await Promise.all(closing);
  }

  private mountFor(path: string): Promise<RtspMount> | undefined {
    const [, id, token, ...rest] = path.split('/');
    if (id === this.id && token === 'replay' && rest.length === 1 && rest[0]) {
      const recordingToken = rest[0];
      return this.media.sharedClip(PROFILES.sub).then((clip) =>
        replayMount({ cameraName: this.name, clockOffsetMs: this.clockOffsetMs, recordingToken, sdpClip: new ClipStream(clip) }),
      );
    }
    if (id !== this.id || !token || rest.length > 0 || !isProfileToken(token)) return undefined;
    let mount = this.mounts.get(token);
    if (!mount) {
      const profile = this.profiles[token];
      const audio = this.config.audio ? this.media.audioClip() : Promise.resolve(null);
      mount = Promise.all([this.media.sharedClip(profile), audio]).then(([clip, aac]) => {
        const stream = new ClipStream(clip);
        return {
          stream,
          ...(aac ? { audio: new ClipStream(aac) } : {}),
          sessionName: `${this.name} ${profile.name}`,
          width: profile.width,
          height: profile.height,
          onPlay: () => this.overlayOnce(token, stream),
        };
      });
      mount.catch(() => this.mounts.delete(token));
      this.mounts.set(token, mount);
    }
    return mount;
  }

  private overlayOnce(token: ProfileToken, stream: ClipStream): void {
    if (!this.config.nameOverlay || this.overlaid.has(token)) return;
    this.overlaid.add(token);
    // Viewers keep the shared clip until the labelled one is ready; the swap happens at a loop boundary.
    this.media.labelledClip(this.profiles[token], this.name, this.id).then(
      (clip) => stream.replaceClip(clip),
      () => undefined,
    );
  }
}

function listenHttp(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const code = err.code === 'EADDRINUSE' ? 'address_in_use' : 'listen_failed';
      reject(new SimulatorError(code, `HTTP listen on ${host}:${port} failed: ${err.message}`));
    };
    server.once('error', onError);
    server.listen({ port, host, backlog: 64 }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
