// WS-Security UsernameToken (OASIS UsernameToken Profile 1.0), as ONVIF clients send it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { childOf, textOf, type XmlNode } from './soap.ts';

export const PASSWORD_DIGEST_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
export const PASSWORD_TEXT_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';

/** Allowed distance between the token's Created and the camera's own clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export type UsernameTokenResult =
  | { status: 'absent' }
  | { status: 'ok'; username: string }
  | { status: 'rejected'; reason: string };

/** Base64(SHA1(nonce bytes + Created + password)), every string as UTF-8. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyUsernameToken(
  header: XmlNode | undefined,
  lookup: (username: string) => string | undefined,
  cameraNowMs: number,
): UsernameTokenResult {
  const token = childOf(header, 'Security', 'UsernameToken');
  if (token === undefined) return { status: 'absent' };
  const username = textOf(childOf(token, 'Username'));
  const passwordNode = childOf(token, 'Password');
  const given = textOf(passwordNode);
  if (!username || given === undefined) return { status: 'rejected', reason: 'incomplete UsernameToken' };
  const password = lookup(username);
  if (password === undefined) return { status: 'rejected', reason: 'unknown user' };
  const type = textOf(childOf(passwordNode, '@_Type')) ?? PASSWORD_TEXT_TYPE;
  if (type.endsWith('#PasswordText')) {
    return sameText(given, password) ? { status: 'ok', username } : { status: 'rejected', reason: 'wrong password' };
  }
  if (!type.endsWith('#PasswordDigest')) return { status: 'rejected', reason: 'unsupported password type' };
  const nonceText = textOf(childOf(token, 'Nonce'));
  const created = textOf(childOf(token, 'Created'));
  if (!nonceText || !created) return { status: 'rejected', reason: 'digest needs Nonce and Created' };
  const createdMs = Date.parse(created);
  if (Number.isNaN(createdMs)) return { status: 'rejected', reason: 'bad Created timestamp' };
  if (Math.abs(createdMs - cameraNowMs) > MAX_CLOCK_SKEW_MS) {
    return { status: 'rejected', reason: 'Created is outside the allowed clock skew' };
  }
  const expected = passwordDigest(Buffer.from(nonceText, 'base64'), created, password);
  return sameText(given, expected) ? { status: 'ok', username } : { status: 'rejected', reason: 'wrong password' };
}

/** Client side: a Security header for a request (used by tests and by anyone scripting the simulator). */
export function usernameTokenHeader(username: string, password: string, nowMs = Date.now()): string {
  const nonce = randomBytes(16);
  const created = new Date(nowMs).toISOString();
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return (
    `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ` +
    `xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
    `<wsse:UsernameToken><wsse:Username>${esc(username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${passwordDigest(nonce, created, password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}
