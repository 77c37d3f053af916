// Where each simulated camera listens: its own 127/8 address with fixed ports, or 127.0.0.1 with sequential ports.
import { SimulatorError } from './errors.ts';

export type AddressMode = 'per-camera-ip' | 'single-ip';

export interface CameraEndpoint {
  host: string;
  httpPort: number;
  rtspPort: number;
}

export interface AddressPlan {
  mode: AddressMode;
  baseAddress: string;
  httpPort: number;
  rtspPort: number;
}

export const ADDRESS_DEFAULTS = {
  'per-camera-ip': { baseAddress: '127.10.0.1', httpPort: 8000, rtspPort: 8554 },
  // Below the Linux ephemeral range (32768+), far enough apart for 7,000 cameras.
  'single-ip': { baseAddress: '127.0.0.1', httpPort: 18000, rtspPort: 25000 },
} as const;

function parseIpv4(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new SimulatorError('invalid_option', `'baseAddress' must be an IPv4 address, got "${address}"`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The address `index` steps after `base`, skipping .0 and .255 in the last octet. */
export function addressAt(base: string, index: number): string {
  let value = parseIpv4(base);
  const last = value % 256;
  if (last === 0 || last === 255) throw new SimulatorError('invalid_option', `'baseAddress' must not end in .0 or .255`);
  // 254 usable hosts per /24: walk in that space, then map back.
  const slot = Math.floor(value / 256) * 254 + (last - 1) + index;
  value = Math.floor(slot / 254) * 256 + (slot % 254) + 1;
  const address = formatIpv4(value);
  if (!address.startsWith('127.')) {
    throw new SimulatorError('invalid_option', `camera ${index} would get ${address}, outside 127.0.0.0/8; lower 'cameras' or 'baseAddress'`);
  }
  return address;
}

export function endpointFor(plan: AddressPlan, index: number): CameraEndpoint {
  if (plan.mode === 'per-camera-ip') {
    return { host: addressAt(plan.baseAddress, index), httpPort: plan.httpPort, rtspPort: plan.rtspPort };
  }
  // Port 0 lets the OS choose, which keeps parallel test files from colliding.
  const step = (port: number): number => (port === 0 ? 0 : port + index);
  const endpoint = { host: plan.baseAddress, httpPort: step(plan.httpPort), rtspPort: step(plan.rtspPort) };
  if (endpoint.httpPort > 65535 || endpoint.rtspPort > 65535) {
    throw new SimulatorError('invalid_option', `camera ${index} would need a port above 65535; lower 'cameras' or the base ports`);
  }
  return endpoint;
}

export function validatePlan(plan: AddressPlan, count: number): void {
  if (!plan.baseAddress.startsWith('127.')) {
    throw new SimulatorError('invalid_option', `'baseAddress' must be in 127.0.0.0/8, got "${plan.baseAddress}"`);
  }
  for (const key of ['httpPort', 'rtspPort'] as const) {
    const port = plan[key];
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SimulatorError('invalid_option', `'${key}' must be 0-65535`);
  }
  if (plan.mode === 'per-camera-ip' && (plan.httpPort === plan.rtspPort || plan.httpPort === 0 || plan.rtspPort === 0)) {
    throw new SimulatorError('invalid_option', `'httpPort' and 'rtspPort' must be fixed and different in per-camera-ip mode`);
  }
  if (plan.mode === 'single-ip' && plan.httpPort !== 0 && plan.rtspPort !== 0) {
    const [a, b] = [plan.httpPort, plan.rtspPort].sort((x, y) => x - y) as [number, number];
    if (a + count > b) throw new SimulatorError('invalid_option', `'httpPort' and 'rtspPort' ranges overlap for ${count} cameras`);
  }
  if (count > 0) endpointFor(plan, count - 1);
}
