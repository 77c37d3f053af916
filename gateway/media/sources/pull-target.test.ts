import { describe, it, expect } from 'vitest';
import { checkPullTarget } from './pull-target.ts';

const rules = { enrolledHost: '192.168.1.20', mediaPorts: [554, 8554], gatewayPorts: [8080, 5432, 19350] };

describe('checkPullTarget', () => {
  it.each([
    ['rtsp://192.168.1.20:554/live', true, undefined],
    ['rtsp://192.168.1.20/live', true, undefined],
    ['rtsp://192.168.1.20:8554/live', true, undefined],
    ['rtsp://192.168.1.20:5432/x', false, 'gateway_port'],
    ['rtsp://192.168.1.20:22/x', false, 'port'],
    ['rtsp://10.0.0.9:554/x', false, 'host'],
    ['rtsp://admin:pw@192.168.1.20:554/x', false, 'userinfo'],
    ['http://192.168.1.20:554/x', false, 'scheme'],
    ['not a url', false, 'bad_url'],
  ])('%s → %s', (url, ok, why) => {
    const v = checkPullTarget(url, rules);
    expect(v.ok).toBe(ok);
    if (!v.ok) expect(v.reason).toBe(why);
  });
  it('a snapshot URL: http on the enrolled host, never a gateway port', () => {
    expect(checkPullTarget('http://192.168.1.20/snap.jpg', { ...rules, schemes: ['http:', 'https:'] }).ok).toBe(true);
    expect(checkPullTarget('http://192.168.1.20:8080/snap.jpg', { ...rules, schemes: ['http:', 'https:'] }).ok).toBe(false);
  });
});
