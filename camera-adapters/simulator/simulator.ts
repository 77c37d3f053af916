// startSimulator(): N virtual ONVIF/RTSP cameras on loopback addresses, plus optional WS-Discovery.
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { ADDRESS_DEFAULTS, endpointFor, validatePlan, type AddressMode, type AddressPlan } from './addressing.ts';
import { SimulatorError } from './errors.ts';
import { MediaCache } from './media-cache.ts';
import { profilesWith } from './profiles.ts';
import { SimCamera, type SimCameraStats } from './sim-camera.ts';
import { WsDiscoveryResponder } from './ws-discovery.ts';

export interface CameraSpec {
  id?: string;
  name?: string;
  username?: string;
  password?: string;
  /** Camera clock minus host clock, ms (GetSystemDateAndTime and WS-Security checks use it). */
  clockOffsetMs?: number;
  model?: string;
  serialNumber?: string;
}

export interface SimulatorOptions {
  cameras: number | CameraSpec[];
  addressMode?: AddressMode;
  baseAddress?: string;
  httpPort?: number;
  rtspPort?: number;
  /** WS-Discovery responder on 239.255.255.250:3702 (loopback only). Off by default. */
  discovery?: boolean;
  username?: string;
  password?: string;
  namePrefix?: string;
  /** Burn each camera's name into its video on first PLAY (cached on disk). Default true. */
  nameOverlay?: boolean;
  /** Start cameras listening at once (default) or leave them stopped for the caller to start(). */
  autoStart?: boolean;
  /** Where encoded clips and snapshots are cached; default `os.tmpdir()/shouwang-sim-cache`. */
  cacheDir?: string;
  /** Main stream bitrate in kbit/s (default 1024); the recording benchmark streams 2048. */
  mainBitrateKbps?: number;
  /** A quiet AAC track (16 kHz mono) beside every camera's video. Off by default. */
  audio?: boolean;
}

export interface SimulatorStats {
  cameras: SimCameraStats[];
  running: number;
  rtspSessions: number;
  bytesSent: number;
}

export interface Simulator {
  readonly cameras: readonly SimCamera[];
  camera(id: string): SimCamera | undefined;
  stats(): SimulatorStats;
  close(): Promise<void>;
}

const MAX_CAMERAS = 9000;
/** Listener set-up in flight at once: fast, yet bounded. */
const START_CONCURRENCY = 256;
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const MODELS = ['SW-IPC-2120', 'SW-IPC-4130', 'SW-DOME-2230'];

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function normaliseSpecs(cameras: number | CameraSpec[]): CameraSpec[] {
  const specs = typeof cameras === 'number' ? Array.from({ length: cameras }, () => ({})) : cameras;
  if (typeof cameras === 'number' && (!Number.isInteger(cameras) || cameras < 0)) {
    throw new SimulatorError('invalid_option', `'cameras' must be a non-negative integer`);
  }
  if (specs.length > MAX_CAMERAS) throw new SimulatorError('invalid_option', `'cameras' must be at most ${MAX_CAMERAS}`);
  return specs;
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const specs = normaliseSpecs(opts.cameras);
  const mode = opts.addressMode ?? 'per-camera-ip';
  const defaults = ADDRESS_DEFAULTS[mode];
  const plan: AddressPlan = {
    mode,
    baseAddress: opts.baseAddress ?? defaults.baseAddress,
    httpPort: opts.httpPort ?? defaults.httpPort,
    rtspPort: opts.rtspPort ?? defaults.rtspPort,
  };
  validatePlan(plan, specs.length);
  const namePrefix = opts.namePrefix ?? 'Sim Camera ';
  const width = String(specs.length).length < 4 ? 4 : String(specs.length).length;
  const ids = new Set<string>();
  const media = new MediaCache({ ffmpegPath: ffmpegInstaller.path, dir: opts.cacheDir });
  const mainBitrateKbps = opts.mainBitrateKbps;
  if (mainBitrateKbps !== undefined && (!Number.isInteger(mainBitrateKbps) || mainBitrateKbps < 64 || mainBitrateKbps > 20_000)) {
    throw new SimulatorError('invalid_option', `'mainBitrateKbps' must be an integer from 64 to 20000`);
  }
  const profiles = profilesWith({ ...(mainBitrateKbps !== undefined ? { mainBitrateKbps } : {}) });

  const cameras = specs.map((spec, i) => {
    const n = String(i + 1).padStart(width, '0');
    const id = spec.id ?? `cam-${n}`;
    if (!ID_PATTERN.test(id)) throw new SimulatorError('invalid_option', `'cameras[${i}].id' must match ${ID_PATTERN}`);
    if (ids.has(id)) throw new SimulatorError('invalid_option', `'cameras[${i}].id' duplicates "${id}"`);
    ids.add(id);
    const endpoint = endpointFor(plan, i);
    return new SimCamera(
      {
        id,
        name: spec.name ?? `${namePrefix}${n}`,
        ...endpoint,
        username: spec.username ?? opts.username ?? 'admin',
        password: spec.password ?? opts.password ?? 'admin123',
        clockOffsetMs: spec.clockOffsetMs ?? 0,
        model: spec.model ?? MODELS[i % MODELS.length] ?? 'SW-IPC-2120',
        firmwareVersion: 'V5.7.3 build 240618',
        serialNumber: spec.serialNumber ?? `SWSIM${String(i + 1).padStart(8, '0')}`,
        hardwareId: `HW-${(0x1000 + (i % 0xefff)).toString(16).toUpperCase()}`,
        nameOverlay: opts.nameOverlay ?? true,
        profiles,
        audio: opts.audio ?? false,
      },
      media,
    );
  });
  const byId = new Map(cameras.map((c) => [c.id, c]));
  const discovery = opts.discovery
    ? new WsDiscoveryResponder(() =>
        cameras.map((c) => ({ id: c.id, name: c.name, model: c.model, deviceServiceUrl: c.deviceServiceUrl, running: c.running })),
      )
    : null;

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await discovery?.close();
    await forEachLimited(cameras, START_CONCURRENCY, (c) => c.close());
    await media.close();
  };

  try {
    if (opts.autoStart ?? true) await forEachLimited(cameras, START_CONCURRENCY, (c) => c.start());
    await discovery?.start();
  } catch (err) {
    await close();
    throw err;
  }
  // Warm the shared clips in the background so the first DESCRIBE does not wait on ffmpeg.
  if (cameras.length > 0) {
    for (const profile of Object.values(profiles)) media.sharedClip(profile).catch(() => undefined);
  }

  return {
    cameras,
    camera: (id) => byId.get(id),
    stats: () => {
      const perCamera = cameras.map((c) => c.stats());
      return {
        cameras: perCamera,
        running: perCamera.filter((s) => s.running).length,
        rtspSessions: perCamera.reduce((sum, s) => sum + s.rtspSessions, 0),
        bytesSent: perCamera.reduce((sum, s) => sum + s.bytesSent, 0),
      };
    },
    close,
  };
}
