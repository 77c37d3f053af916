import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestAuthorization, parseDigestChallenge } from './digest.ts';
import { OnvifError } from './errors.ts';
import { parseSoapBody } from './soap.ts';
import { passwordDigest, usernameTokenHeader } from './wsse.ts';
import { decodeXmlText, escapeXml, text } from './xml.ts';

const env = (body: string): string =>
  `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>${body}</s:Body></s:Envelope>`;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof OnvifError ? err.code : 'other';
  }
  return undefined;
}

describe('XML parsing of untrusted responses', () => {
  it('decodes predefined entities once and keeps strings as strings', () => {
    const body = parseSoapBody(env('<t:R xmlns:t="x"><t:Uri>rtsp://h/a?x=1&amp;y=&#x41;&amp;lt;</t:Uri><t:Serial>0012</t:Serial></t:R>'));
    expect(text(body, 'R', 'Uri')).toBe('rtsp://h/a?x=1&y=A&lt;');
    expect(text(body, 'R', 'Serial')).toBe('0012');
  });

  it.each([
    ['XXE', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + env('<R>&x;</R>').replace(/^<\?xml[^>]*>/, '')],
    ['billion laughs', '<!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + env('<R>&b;</R>')],
    ['lower-case doctype', '<!doctype r>' + env('<R/>')],
  ])('refuses a document type declaration (%s) as bad_response', (_name, xml) => {
    expect(codeOf(() => parseSoapBody(xml))).toBe('bad_response');
  });

  it.each([
    ['HTML page', '<!-- x --><html><head><title>Login</title></head><body><p>hi<br></body></html>'],
    ['plain text', 'Hello'],
    ['JSON', '{"a":1}'],
    ['XML but not SOAP', '<rss><channel/></rss>'],
    ['empty', ''],
  ])('%s → not_onvif', (_name, body) => expect(codeOf(() => parseSoapBody(body))).toBe('not_onvif'));

  it('refuses absurd nesting', () => {
    expect(codeOf(() => parseSoapBody(env('<a>'.repeat(500) + '</a>'.repeat(500))))).toBe('bad_response');
  });

  it.each([
    ['ter:NotAuthorized', 'auth_failed'],
    ['ter:ActionNotSupported', 'not_supported'],
    ['ter:InvalidArgVal', 'soap_fault'],
  ])('maps fault subcode %s to %s', (subcode, code) => {
    const fault = `<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>${subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Because</s:Text></s:Reason></s:Fault>`;
    let err: unknown;
    try {
      parseSoapBody(env(fault));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnvifError);
    expect((err as OnvifError).code).toBe(code);
    if (code === 'soap_fault') expect((err as OnvifError).message).toMatch(/Because/);
  });

  it('escapes all five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(decodeXmlText(escapeXml(`<"&'>`))).toBe(`<"&'>`);
  });
});

describe('WS-Security UsernameToken', () => {
  it('digests nonce + created + UTF-8 password', () => {
    const nonce = Buffer.from('0123456789abcdef');
    const created = '2024-05-01T02:00:00Z';
    const expected = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created), Buffer.from('守望2024', 'utf8')])).digest('base64');
    expect(passwordDigest(nonce, created, '守望2024')).toBe(expected);
    // Not the ASCII/latin1 mangling the onvif package does.
    expect(passwordDigest(nonce, created, '守望2024')).not.toBe(
      createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created), Buffer.from('守望2024', 'latin1')])).digest('base64'),
    );
  });

  it('escapes the username and applies the clock offset to Created', () => {
    const header = usernameTokenHeader({ username: 'a<b>&"c"', password: 'p' }, 3_600_000, Date.UTC(2024, 0, 1, 0, 0, 0));
    expect(header).toContain('<wsse:Username>a&lt;b&gt;&amp;&quot;c&quot;</wsse:Username>');
    expect(header).toContain('<wsu:Created>2024-01-01T01:00:00Z</wsu:Created>');
    expect(header).not.toContain('>p<');
  });
});

describe('HTTP Digest', () => {
  it('computes the RFC 2617 example response', () => {
    const challenge = parseDigestChallenge([
      'Basic realm="x", Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ]);
    expect(challenge).toMatchObject({ realm: 'testrealm@host.com', qop: 'auth', algorithm: 'MD5' });
    const header = digestAuthorization(challenge!, { username: 'Mufasa', password: 'Circle Of Life' }, 'GET', '/dir/index.html', 1, '0a4f113b');
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('nc=00000001');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('ignores challenges it cannot answer', () => {
    expect(parseDigestChallenge(['Basic realm="x"'])).toBeUndefined();
    expect(parseDigestChallenge(['Digest realm="x", nonce="n", qop="auth-int"'])).toBeUndefined();
    expect(parseDigestChallenge(['Digest realm="x", nonce="n", algorithm=SHA-512-256'])).toBeUndefined();
  });

  it('quotes usernames and uses username* for non-ASCII ones', () => {
    const c = parseDigestChallenge(['Digest realm="r", nonce="n", qop="auth"'])!;
    expect(digestAuthorization(c, { username: 'a"b', password: 'x' }, 'POST', '/', 1)).toContain('username="a\\"b"');
    expect(digestAuthorization(c, { username: '村委', password: 'x' }, 'POST', '/', 1)).toContain("username*=UTF-8''%E6%9D%91%E5%A7%94");
  });
});
