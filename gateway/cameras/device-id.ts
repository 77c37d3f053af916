import type { OwnerClass } from '../domain/types.ts';

// GB/T 28181 device code: 8-digit centre (our station code), 2-digit industry, 3-digit type (131 = IP camera), 7-digit serial.
const INDUSTRY: Record<OwnerClass, string> = { police: '00', village: '08', household: '09' };

/** The first 13 digits; the repository appends the serial from a database sequence. */
export function deviceIdPrefix(stationCode: string, ownerClass: OwnerClass): string {
  const centre = stationCode.padEnd(8, '0').slice(0, 8);
  return `${centre}${INDUSTRY[ownerClass]}131`;
}
