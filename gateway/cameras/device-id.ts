import { randomInt } from 'node:crypto';
import type { OwnerClass } from '../domain/types.ts';

// GB/T 28181 device code: 8-digit centre (our station code), 2-digit industry, 3-digit type (131 = IP camera), 7-digit serial.
const INDUSTRY: Record<OwnerClass, string> = { police: '00', village: '08', household: '09' };

export function newDeviceId(stationCode: string, ownerClass: OwnerClass): string {
  const centre = stationCode.padEnd(8, '0').slice(0, 8);
  return `${centre}${INDUSTRY[ownerClass]}131${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
}
