// Internal publish credential between the gateway and its media workers. Never leaves the gateway host.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Query string a publisher must present: exp (unix s) and an HMAC bound to the stream path. */
export function publishQuery(secret: string, streamPath: string, ttlSec = 60, now = Date.now()): string {
  const exp = Math.floor(now / 1000) + ttlSec;
  return `exp=${exp}&pub=${publishMac(secret, streamPath, exp)}`;
}

export function publishMac(secret: string, streamPath: string, exp: number): string {
  return createHmac('sha256', secret).update(`publish\n${streamPath}\n${exp}`).digest('hex');
}

export function verifyPublish(secret: string, streamPath: string, query: Record<string, unknown>, now = Date.now()): boolean {
  const exp = Number(query['exp']);
  const mac = query['pub'];
  if (!Number.isInteger(exp) || typeof mac !== 'string' || exp < Math.floor(now / 1000)) return false;
  const want = Buffer.from(publishMac(secret, streamPath, exp));
  const got = Buffer.from(mac);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** node-media-server's own play signature (auth.play): `<exp>-md5(path-exp-secret)`. */
export function playSign(secret: string, streamPath: string, ttlSec = 60, now = Date.now()): string {
  const exp = Math.floor(now / 1000) + ttlSec;
  const md5 = createHash('md5').update(`${streamPath}-${exp}-${secret}`).digest('hex');
  return `${exp}-${md5}`;
}
