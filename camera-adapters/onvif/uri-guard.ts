import { isIP, isIPv4, isIPv6 } from 'node:net';
import { OnvifError } from './errors.ts';

export type DeviceUriKind = 'stream' | 'snapshot';
export type UriCheck = { ok: true; uri: string } | { ok: false; reason: string };

const SCHEMES: Record<DeviceUriKind, readonly string[]> = {
  stream: ['rtsp:', 'rtsps:'],
  snapshot: ['http:', 'https:'],
};
const MAX_URI_LENGTH = 2048;
const DNS_NAME = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Canonical form of a host for exact comparison: lower case, no brackets, no trailing dot, IPv6 compressed.
 * Ambiguous numeric forms (0x7f.1, 2130706433, 010.0.0.1) and percent-encoding are refused (undefined):
 * other URL parsers would resolve them differently.
 */
export function normaliseHost(host: string): string | undefined {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (isIPv6(h)) return new URL(`http://[${h}]/`).hostname.slice(1, -1);
  h = h.replace(/\.$/, '');
  if (isIPv4(h)) return /(^|\.)0\d/.test(h) ? undefined : h;
  if (h.length > 253 || !DNS_NAME.test(h)) return undefined;
  const last = h.slice(h.lastIndexOf('.') + 1);
  if (/^(0x[0-9a-f]*|\d+)$/.test(last)) return undefined; // would be parsed as an IPv4 number
  return h;
}

/** A word on what kind of address a foreign host is, for the human reading the rejection. */
function describe(host: string): string {
  if (isIP(host) === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    if (a === 127) return 'loopback';
    if (a === 169 && b === 254) return 'link-local';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
    if (a === 100 && b >= 64 && b <= 127) return 'carrier-grade NAT';
    if (a === 0) return 'unspecified';
    if (a >= 224) return 'multicast/reserved';
    return 'public';
  }
  if (isIP(host) === 6) {
    if (host === '::1') return 'loopback';
    if (host === '::') return 'unspecified';
    if (/^fe[89ab]/.test(host)) return 'link-local';
    if (/^f[cd]/.test(host)) return 'unique-local';
    if (host.startsWith('::ffff:')) return 'IPv4-mapped';
    return 'IPv6';
  }
  return 'hostname';
}

/**
 * Is a stream or snapshot URI announced by a device safe to use? It must name the host we enrolled the
 * device at (any port), use an allowed scheme, and carry no credentials of its own. Pure.
 */
export function checkDeviceUri(uri: string, kind: DeviceUriKind, enrolledHost: string): UriCheck {
  if (uri.length > MAX_URI_LENGTH) return { ok: false, reason: `URI longer than ${MAX_URI_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, reason: 'not a valid absolute URI' };
  }
  const allowed = SCHEMES[kind];
  if (!allowed.includes(url.protocol)) {
    return { ok: false, reason: `scheme ${url.protocol.slice(0, -1)} not allowed for a ${kind} URI (only ${allowed.map((s) => s.slice(0, -1)).join('/')})` };
  }
  if (url.username || url.password) return { ok: false, reason: 'URI carries credentials; devices may not supply them' };
  const expected = normaliseHost(enrolledHost);
  if (!expected) return { ok: false, reason: `enrolled host ${JSON.stringify(enrolledHost)} is not a valid host` };
  const actual = normaliseHost(url.hostname);
  if (!actual) return { ok: false, reason: 'URI has no valid host' };
  if (actual !== expected) {
    return { ok: false, reason: `URI points at ${actual} (${describe(actual)}), not at the enrolled host ${expected}` };
  }
  return { ok: true, uri: url.href };
}

/** checkDeviceUri that throws `uri_rejected`. */
export function assertDeviceUri(uri: string, kind: DeviceUriKind, enrolledHost: string): string {
  const check = checkDeviceUri(uri, kind, enrolledHost);
  if (!check.ok) throw new OnvifError('uri_rejected', `${kind} URI refused: ${check.reason}`);
  return check.uri;
}

export type MediaUriCode = 'uri_rejected' | 'stream_port_not_allowed' | 'snapshot_port_not_allowed';
export type MediaUriCheck = { ok: true; uri: string; port: number } | { ok: false; code: MediaUriCode; reason: string };

export interface MediaUriRules {
  /** The host the camera was enrolled at. */
  host: string;
  /** Ports this camera may serve media on (configured defaults plus what the operator gave at enrolment). */
  allowedPorts: readonly number[];
  /** Never allowed, whatever the list says: the gateway's own service ports. */
  forbiddenPorts?: readonly number[];
  /** `stream` (rtsp/rtsps, the default) or `snapshot` (http/https). */
  kind?: DeviceUriKind;
}

const DEFAULT_PORTS: Record<string, number> = { 'rtsp:': 554, 'rtsps:': 322, 'http:': 80, 'https:': 443 };

/**
 * The one rule for a camera's media URI, at enrolment, reprobe, health and pull time: the enrolled host
 * (checkDeviceUri) and a port on the camera's allow-list that is not one of the gateway's own. Pure.
 */
export function checkMediaUri(uri: string, rules: MediaUriRules): MediaUriCheck {
  const kind = rules.kind ?? 'stream';
  const device = checkDeviceUri(uri, kind, rules.host);
  if (!device.ok) return { ok: false, code: 'uri_rejected', reason: device.reason };
  const url = new URL(device.uri);
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol]!;
  const code = kind === 'stream' ? 'stream_port_not_allowed' : 'snapshot_port_not_allowed';
  if (rules.forbiddenPorts?.includes(port)) {
    return { ok: false, code, reason: `${kind} URI names port ${port}, one of the gateway's own service ports` };
  }
  if (!rules.allowedPorts.includes(port)) {
    return { ok: false, code, reason: `${kind} URI names port ${port}, not one of this camera's media ports (${[...rules.allowedPorts].sort((a, b) => a - b).join(', ')})` };
  }
  return { ok: true, uri: device.uri, port };
}

/** checkMediaUri that throws an OnvifError with the check's code. */
export function assertMediaUri(uri: string, rules: MediaUriRules): string {
  const check = checkMediaUri(uri, rules);
  if (!check.ok) throw new OnvifError(check.code, `${rules.kind ?? 'stream'} URI refused: ${check.reason}`);
  return check.uri;
}

/**
 * A service XAddr announced by the device, pinned to the scheme, host and port we enrolled: only its path and
 * query are kept, so a device can never point us at another host. Unusable XAddrs give `fallbackPath`.
 */
export function pinXAddr(xaddr: string, enrolled: URL, fallbackPath: string): URL {
  const pinned = new URL(enrolled.href);
  pinned.pathname = fallbackPath;
  pinned.search = '';
  pinned.hash = '';
  // Devices may list several space-separated XAddrs; the first parsable http(s) one wins.
  for (const candidate of xaddr.trim().split(/\s+/).slice(0, 8)) {
    if (!candidate || candidate.length > MAX_URI_LENGTH) continue;
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    pinned.pathname = url.pathname;
    pinned.search = url.search;
    return pinned;
  }
  return pinned;
}
