import { isIPv6 } from 'node:net';
import { OnvifError } from './errors.ts';
import { SoapChannel } from './soap-channel.ts';
import { NS } from './soap.ts';
import { DEFAULT_DEADLINE_MS, DEFAULT_MAX_BYTES } from './transport.ts';
import { assertMediaUri, normaliseHost, pinXAddr } from './uri-guard.ts';
import { child, children, escapeXml, path, text, type XmlNode } from './xml.ts';

export interface OnvifClientOptions {
  /** The address the device was enrolled at; every URL we use or accept stays on it. */
  host: string;
  port: number;
  scheme?: 'http' | 'https';
  username?: string;
  password?: string;
  /** Total budget per operation (both requests of a Digest retry included). Default 5 s. */
  deadlineMs?: number;
  /** Response body cap per request. Default 1 MiB. */
  maxBytes?: number;
  /** Device clock minus local clock, if already known for this device. */
  clockOffsetMs?: number;
  /** https only; self-signed camera certificates need false. Default true. */
  rejectUnauthorized?: boolean;
  /** Aborts whatever is in flight (reported as `timeout`). */
  signal?: AbortSignal;
  /** Ports the device's stream and snapshot URIs may name. Default: RTSP 554/8554; HTTP the ONVIF port, 80, 443. */
  mediaPorts?: MediaPortRules;
}

export interface MediaPortRules {
  stream: readonly number[];
  snapshot: readonly number[];
  /** The gateway's own service ports: refused even when listed above. */
  forbidden: readonly number[];
}

export const DEFAULT_STREAM_PORTS: readonly number[] = [554, 8554];

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
}

export interface MediaProfile {
  token: string;
  name: string;
  encoding: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrateKbps: number | null;
}

export interface ServiceEntry {
  namespace: string;
  /** Pinned to the enrolled scheme, host and port. */
  xaddr: string;
}

const DEVICE_PATH = '/onvif/device_service';
const MEDIA_FALLBACK_PATH = '/onvif/media_service';
const MAX_PROFILES = 32;
const MAX_SERVICES = 64;
const MAX_FIELD = 256;

function field(node: unknown, ...names: string[]): string {
  return text(node, ...names).slice(0, MAX_FIELD);
}

function num(node: unknown, ...names: string[]): number | null {
  const raw = text(node, ...names);
  const value = raw === '' ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

function must(node: XmlNode | undefined, what: string): XmlNode {
  if (!node) throw new OnvifError('bad_response', `device response lacks ${what}`);
  return node;
}

/** A thin ONVIF client for one device; keeps that device's clock offset and auth state. */
export class OnvifClient {
  readonly host: string;
  readonly deviceUrl: URL;
  private readonly channel: SoapChannel;
  private mediaUrl: URL | undefined;
  private readonly mediaPorts: MediaPortRules;

  constructor(options: OnvifClientOptions) {
    const host = normaliseHost(options.host);
    if (!host) throw new OnvifError('unreachable', `invalid device host ${JSON.stringify(options.host)}`);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new OnvifError('unreachable', `invalid device port ${options.port}`);
    }
    this.host = host;
    this.deviceUrl = new URL(`${options.scheme ?? 'http'}://${isIPv6(host) ? `[${host}]` : host}:${options.port}${DEVICE_PATH}`);
    this.channel = new SoapChannel({
      deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      credentials: options.username !== undefined ? { username: options.username, password: options.password ?? '' } : undefined,
      rejectUnauthorized: options.rejectUnauthorized,
      signal: options.signal,
    });
    this.channel.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.mediaPorts = options.mediaPorts ?? { stream: DEFAULT_STREAM_PORTS, snapshot: [options.port, 80, 443], forbidden: [] };
  }

  /** Device UTC minus local clock (ms), as last learned by getSystemDateAndTime. */
  get clockOffsetMs(): number {
    return this.channel.clockOffsetMs;
  }

  private device(operation: string, inner = ''): Promise<XmlNode> {
    const body = inner ? `<tds:${operation}>${inner}</tds:${operation}>` : `<tds:${operation}/>`;
    return this.channel.call(this.deviceUrl, `${NS.tds}/${operation}`, body, { wsSecurity: true });
  }

  private async media(operation: string, inner: string): Promise<XmlNode> {
    const url = await this.mediaServiceUrl();
    return this.channel.call(url, `${NS.trt}/${operation}`, `<trt:${operation}>${inner}</trt:${operation}>`, { wsSecurity: true });
  }

  /** Unauthenticated; learns and keeps the clock offset that WS-Security digests depend on. */
  async getSystemDateAndTime(): Promise<{ deviceUtc: Date; clockOffsetMs: number }> {
    const sentAt = Date.now();
    const body = await this.channel.call(this.deviceUrl, `${NS.tds}/GetSystemDateAndTime`, '<tds:GetSystemDateAndTime/>', {
      wsSecurity: false,
    });
    const receivedAt = Date.now();
    const sdt = must(path(body, 'GetSystemDateAndTimeResponse', 'SystemDateAndTime'), 'SystemDateAndTime');
    // Devices without UTCDateTime only give local time; reading it as UTC is the best available guess.
    const dt = must(child(sdt, 'UTCDateTime') ?? child(sdt, 'LocalDateTime'), 'UTCDateTime');
    const [y, mo, d, h, mi, s] = [
      num(dt, 'Date', 'Year'), num(dt, 'Date', 'Month'), num(dt, 'Date', 'Day'),
      num(dt, 'Time', 'Hour'), num(dt, 'Time', 'Minute'), num(dt, 'Time', 'Second'),
    ];
    if (y === null || mo === null || d === null || h === null || mi === null || s === null || y < 1970 || y > 2200 || mo < 1 || mo > 12) {
      throw new OnvifError('bad_response', 'device sent an invalid date/time');
    }
    const deviceUtc = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    if (Number.isNaN(deviceUtc.getTime())) throw new OnvifError('bad_response', 'device sent an invalid date/time');
    // Against the midpoint of the exchange: the device read its clock somewhere in between.
    const offset = deviceUtc.getTime() - Math.round((sentAt + receivedAt) / 2);
    this.channel.clockOffsetMs = offset;
    return { deviceUtc, clockOffsetMs: offset };
  }

  async getDeviceInformation(): Promise<DeviceInformation> {
    const body = await this.device('GetDeviceInformation');
    const info = must(child(body, 'GetDeviceInformationResponse'), 'GetDeviceInformationResponse');
    return {
      manufacturer: field(info, 'Manufacturer'),
      model: field(info, 'Model'),
      firmware: field(info, 'FirmwareVersion'),
      serial: field(info, 'SerialNumber'),
      hardwareId: field(info, 'HardwareId'),
    };
  }

  /** Service XAddrs from GetCapabilities, pinned to the enrolled host:port. */
  async getCapabilities(): Promise<{ media?: string; device?: string }> {
    const body = await this.device('GetCapabilities', '<tds:Category>All</tds:Category>');
    const caps = must(path(body, 'GetCapabilitiesResponse', 'Capabilities'), 'Capabilities');
    const pin = (name: string, fallback: string): string | undefined => {
      const xaddr = text(caps, name, 'XAddr');
      return xaddr ? pinXAddr(xaddr, this.deviceUrl, fallback).href : undefined;
    };
    return { media: pin('Media', MEDIA_FALLBACK_PATH), device: pin('Device', DEVICE_PATH) };
  }

  async getServices(): Promise<ServiceEntry[]> {
    const body = await this.device('GetServices', '<tds:IncludeCapability>false</tds:IncludeCapability>');
    const response = must(child(body, 'GetServicesResponse'), 'GetServicesResponse');
    return children(response, 'Service')
      .slice(0, MAX_SERVICES)
      .map((s) => ({ namespace: field(s, 'Namespace'), xaddr: pinXAddr(text(s, 'XAddr'), this.deviceUrl, MEDIA_FALLBACK_PATH).href }))
      .filter((s) => s.namespace);
  }

  /** Media service URL: GetCapabilities, else GetServices, else the conventional path; always on the enrolled host. */
  async mediaServiceUrl(): Promise<URL> {
    if (this.mediaUrl) return this.mediaUrl;
    const recoverable = (err: unknown): boolean =>
      err instanceof OnvifError && (err.code === 'soap_fault' || err.code === 'not_supported' || err.code === 'bad_response');
    let found: string | undefined;
    try {
      found = (await this.getCapabilities()).media;
    } catch (err) {
      if (!recoverable(err)) throw err;
    }
    if (!found) {
      try {
        found = (await this.getServices()).find((s) => s.namespace === NS.trt)?.xaddr;
      } catch (err) {
        if (!recoverable(err)) throw err;
      }
    }
    this.mediaUrl = found ? new URL(found) : pinXAddr('', this.deviceUrl, MEDIA_FALLBACK_PATH);
    return this.mediaUrl;
  }

  async getProfiles(): Promise<MediaProfile[]> {
    const body = await this.media('GetProfiles', '');
    const response = must(child(body, 'GetProfilesResponse'), 'GetProfilesResponse');
    return children(response, 'Profiles')
      .slice(0, MAX_PROFILES)
      .map((p) => {
        const vec = child(p, 'VideoEncoderConfiguration');
        return {
          token: String(p['@_token'] ?? '').slice(0, MAX_FIELD),
          name: field(p, 'Name'),
          encoding: field(vec, 'Encoding') || null,
          width: num(vec, 'Resolution', 'Width'),
          height: num(vec, 'Resolution', 'Height'),
          fps: num(vec, 'RateControl', 'FrameRateLimit'),
          bitrateKbps: num(vec, 'RateControl', 'BitrateLimit'),
        };
      })
      .filter((p) => p.token);
  }

  /** RTP-Unicast over RTSP; the URI must name the enrolled host (else `uri_rejected`) and an allowed port (else `stream_port_not_allowed`). */
  async getStreamUri(profileToken: string): Promise<string> {
    const body = await this.media(
      'GetStreamUri',
      '<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>' +
        `<trt:ProfileToken>${escapeXml(profileToken)}</trt:ProfileToken>`,
    );
    const uri = text(body, 'GetStreamUriResponse', 'MediaUri', 'Uri');
    if (!uri) throw new OnvifError('bad_response', 'GetStreamUri response lacks a Uri');
    return assertMediaUri(uri, { host: this.host, allowedPorts: this.mediaPorts.stream, forbiddenPorts: this.mediaPorts.forbidden, kind: 'stream' });
  }

  /** The snapshot URI must name the enrolled host (else `uri_rejected`) and an allowed port (else `snapshot_port_not_allowed`). */
  async getSnapshotUri(profileToken: string): Promise<string> {
    const body = await this.media('GetSnapshotUri', `<trt:ProfileToken>${escapeXml(profileToken)}</trt:ProfileToken>`);
    const uri = text(body, 'GetSnapshotUriResponse', 'MediaUri', 'Uri');
    if (!uri) throw new OnvifError('bad_response', 'GetSnapshotUri response lacks a Uri');
    return assertMediaUri(uri, { host: this.host, allowedPorts: this.mediaPorts.snapshot, forbiddenPorts: this.mediaPorts.forbidden, kind: 'snapshot' });
  }
}
