import { createHash, randomBytes } from 'node:crypto';
import { NS } from './soap.ts';
import { escapeXml } from './xml.ts';

/** WS-Security timestamps without milliseconds: some devices reject fractional seconds. */
export function wsseCreated(nowMs: number, clockOffsetMs: number): string {
  return new Date(nowMs + clockOffsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** PasswordDigest = Base64(SHA1(nonce + created + password)), every part as bytes, the password as UTF-8. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/** A UsernameToken header; `created` uses device time (local + learned offset) so the device accepts it. */
export function usernameTokenHeader(
  credentials: { username: string; password: string },
  clockOffsetMs: number,
  nowMs: number = Date.now(),
  nonce: Buffer = randomBytes(16),
): string {
  const created = wsseCreated(nowMs, clockOffsetMs);
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}">` +
    '<wsse:UsernameToken>' +
    `<wsse:Username>${escapeXml(credentials.username)}</wsse:Username>` +
    '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">' +
    `${passwordDigest(nonce, created, credentials.password)}</wsse:Password>` +
    '<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">' +
    `${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created>` +
    '</wsse:UsernameToken></wsse:Security>'
  );
}
