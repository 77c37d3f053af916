// How much of a camera's health reason a user sees: operators get the detail (addresses, ports, device errors);
// everyone else the part that failed in plain words, which tells an attacker nothing about the camera's network.
import type { Role } from '../domain/types.ts';

/** Roles that enrol or manage cameras, and so must be able to fix them. */
const OPERATORS: ReadonlySet<Role> = new Set(['officer', 'duty_officer', 'village_committee', 'system_admin']);

const GENERIC: [RegExp, string][] = [
  [/^onvif_auth_failed|^rtsp_auth_failed/, 'camera refused the stored credentials'],
  [/^onvif_/, 'camera is not answering'],
  [/^(rtsp_|stream_port_not_allowed|uri_rejected)/, 'camera is not delivering video'],
  [/^credentials_unreadable/, 'camera credentials need to be entered again'],
  [/^(slow|clock)/, 'camera is answering slowly or its clock is off'],
];

/** The reason as this role may read it: in full for operators; else the code and a generic sentence. */
export function stateReasonFor(role: Role, reason: string | null): string | null {
  if (reason === null || OPERATORS.has(role)) return reason;
  return genericStateReason(reason);
}

/** The code and a generic sentence, for anyone: what a partner station reads of a camera granted to it. */
export function genericStateReason(reason: string | null): string | null {
  if (reason === null) return null;
  const code = /^[a-z_]+/.exec(reason)?.[0] ?? 'unavailable';
  const text = GENERIC.find(([re]) => re.test(reason))?.[1] ?? 'camera is not delivering video';
  return `${code}: ${text}`;
}
