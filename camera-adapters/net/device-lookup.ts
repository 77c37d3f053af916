// DNS lookup for connections to devices (cameras are not ours). A device enrolled by name is checked when the
// socket connects, not only when its URL was accepted: a name that resolves to this machine (loopback), to
// "any" (unspecified), to link-local (cloud metadata at 169.254.169.254) or to multicast is refused, so a
// hostile DNS answer cannot turn a camera pull into a request to the gateway's own services (DNS rebinding).
// Private LAN addresses are what cameras have and stay allowed. An IP literal is used as given: the enrolment
// and the media-port rules already decided about it.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

export class DeviceAddressRefused extends Error {
  readonly code = 'EDEVICEADDR';
  constructor(readonly hostname: string, readonly address: string, readonly kind: string) {
    super(`device name ${hostname} resolved to a ${kind} address (${address}); refused`);
  }
}

/** What kind of address a resolved device name must not be; null when it is fine. */
export function forbiddenKind(address: string): string | null {
  let a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1]!;
  if (isIP(a) === 4) {
    const [x, y] = a.split('.').map(Number) as [number, number];
    if (x === 127) return 'loopback';
    if (x === 0) return 'unspecified';
    if (x === 169 && y === 254) return 'link-local';
    if (x >= 224) return 'multicast/reserved';
    return null;
  }
  if (isIP(a) === 6) {
    if (a === '::1') return 'loopback';
    if (a === '::') return 'unspecified';
    if (/^fe[89ab]/.test(a)) return 'link-local';
    if (a.startsWith('ff')) return 'multicast';
    return null;
  }
  return 'unparseable';
}

type Callback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A drop-in `lookup` for net.connect / http.request options. */
export function deviceLookup(hostname: string, options: LookupOptions, callback: Callback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as LookupAddress[];
    if (isIP(hostname.replace(/^\[|\]$/g, '')) === 0) {
      for (const a of list) {
        const kind = forbiddenKind(a.address);
        if (kind) return callback(new DeviceAddressRefused(hostname, a.address, kind), '', 0);
      }
    }
    if (list.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
    if (options.all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}
