// Pull-time pin: a camera's media URL may name only the host it was enrolled with and an allowed media
// port, never one of the gateway's own service ports (enrolment checks too; this is the second lock).

export interface PullTargetRules {
  /** The host the camera was enrolled with (its ONVIF host). */
  enrolledHost: string;
  /** Allowed media ports (config cameras.mediaPorts). */
  mediaPorts: readonly number[];
  /** Ports the gateway itself listens on: never a pull target, whatever the allow-list says. */
  gatewayPorts: readonly number[];
  schemes?: readonly string[];
}

export type PullTargetVerdict = { ok: true } | { ok: false; reason: 'bad_url' | 'scheme' | 'host' | 'port' | 'gateway_port' | 'userinfo' };

const defaultPort = (scheme: string): number => (scheme === 'rtsps:' ? 322 : scheme === 'https:' ? 443 : scheme === 'http:' ? 80 : 554);

function canonicalHost(h: string): string {
  return h.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

export function checkPullTarget(url: string, rules: PullTargetRules): PullTargetVerdict {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: 'bad_url' };
  }
  const schemes = rules.schemes ?? ['rtsp:'];
  if (!schemes.includes(u.protocol)) return { ok: false, reason: 'scheme' };
  // credentials come from the gateway's store, never from a URL a device handed us
  if (u.username || u.password) return { ok: false, reason: 'userinfo' };
  if (canonicalHost(u.hostname) !== canonicalHost(rules.enrolledHost)) return { ok: false, reason: 'host' };
  const port = u.port ? Number(u.port) : defaultPort(u.protocol);
  if (rules.gatewayPorts.includes(port)) return { ok: false, reason: 'gateway_port' };
  if (u.protocol.startsWith('rtsp') && !rules.mediaPorts.includes(port)) return { ok: false, reason: 'port' };
  return { ok: true };
}
