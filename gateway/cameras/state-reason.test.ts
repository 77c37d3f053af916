import { describe, expect, it } from 'vitest';
import { stateReasonFor } from './state-reason.ts';

const detail = 'rtsp_unreachable: cannot connect to 127.10.0.5:8554: connect ECONNREFUSED 127.10.0.5:8554';

describe('stateReasonFor', () => {
  it.each(['officer', 'duty_officer', 'village_committee', 'system_admin'] as const)('%s sees the detail', (role) => {
    expect(stateReasonFor(role, detail)).toBe(detail);
  });

  it.each([
    ['investigator', detail, 'rtsp_unreachable: camera is not delivering video'],
    ['household_owner', 'stream_port_not_allowed: stream URI names port 5432, not one of this camera\'s media ports (554, 8554)', 'stream_port_not_allowed: camera is not delivering video'],
    ['household_owner', 'onvif_timeout: no answer from 192.168.1.64:80 in 3000 ms', 'onvif_timeout: camera is not answering'],
    ['auditor', 'rtsp_auth_failed: the stream endpoint refused the stored credentials', 'rtsp_auth_failed: camera refused the stored credentials'],
    ['household_owner', 'credentials_unreadable: the stored credentials cannot be decrypted with any configured key', 'credentials_unreadable: camera credentials need to be entered again'],
    ['investigator', 'slow: answered in 2400 ms', 'slow: camera is answering slowly or its clock is off'],
    ['investigator', null, null],
  ] as const)('%s reads %s as %s', (role, reason, expected) => {
    const seen = stateReasonFor(role, reason);
    expect(seen).toBe(expected);
    expect(seen ?? '').not.toMatch(/\d+\.\d+\.\d+\.\d+|:\d{2,5}\b/);
  });
});
