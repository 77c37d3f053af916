import iconv from 'iconv-lite';
import { OnvifError } from './errors.ts';
import { digestAuthorization, parseDigestChallenge, type DigestChallenge } from './digest.ts';
import { buildEnvelope, parseSoapBody } from './soap.ts';
import { httpRequest, type HttpResponse } from './transport.ts';
import { usernameTokenHeader } from './wsse.ts';
import type { XmlNode } from './xml.ts';

export interface Credentials {
  username: string;
  password: string;
}

export interface ChannelOptions {
  deadlineMs: number;
  maxBytes: number;
  credentials?: Credentials;
  rejectUnauthorized?: boolean;
  signal?: AbortSignal;
}

/** Decode a body by its declared charset: UTF-8 unless the device says GB2312/GBK/GB18030. */
function decodeBody(res: HttpResponse): string {
  const head = res.body.subarray(0, 200).toString('latin1');
  const declared =
    /charset\s*=\s*"?([\w-]+)/i.exec(String(res.headers['content-type'] ?? ''))?.[1] ??
    /<\?xml[^>]*encoding\s*=\s*["']([\w-]+)["']/i.exec(head)?.[1] ??
    'utf-8';
  return /^(gb2312|gbk|gb18030)$/i.test(declared) ? iconv.decode(res.body, 'gb18030') : res.body.toString('utf8');
}

/**
 * SOAP over HTTP to one device, with its authentication state: WS-Security always when credentials are set,
 * HTTP Digest added once the device has challenged for it (one retry per call after a 401).
 */
export class SoapChannel {
  private digest: { challenge: DigestChallenge; nc: number } | undefined;
  /** Device UTC minus local clock, in ms; WS-Security `Created` depends on it. */
  clockOffsetMs = 0;

  constructor(private readonly options: ChannelOptions) {}

  async call(url: URL, action: string, bodyXml: string, opts: { wsSecurity: boolean }): Promise<XmlNode> {
    const deadlineAt = Date.now() + this.options.deadlineMs;
    const creds = this.options.credentials;
    let retried = false;
    for (;;) {
      const header = opts.wsSecurity && creds ? usernameTokenHeader(creds, this.clockOffsetMs) : '';
      const headers: Record<string, string> = {
        'content-type': `application/soap+xml; charset=utf-8; action="${action}"`,
        accept: 'application/soap+xml, text/xml',
      };
      if (creds && this.digest) {
        this.digest.nc += 1;
        headers['authorization'] = digestAuthorization(this.digest.challenge, creds, 'POST', url.pathname + url.search, this.digest.nc);
      }
      const res = await httpRequest({
        url,
        method: 'POST',
        headers,
        body: Buffer.from(buildEnvelope(bodyXml, header), 'utf8'),
        deadlineMs: Math.max(1, deadlineAt - Date.now()),
        maxBytes: this.options.maxBytes,
        signal: this.options.signal,
        rejectUnauthorized: this.options.rejectUnauthorized,
      });
      if (res.status === 401) {
        const challenge = parseDigestChallenge(res.wwwAuthenticate);
        if (!creds) throw new OnvifError('auth_failed', 'device requires credentials and none were given');
        if (!challenge) throw new OnvifError('auth_failed', 'device refused the credentials (HTTP 401)');
        if (retried) throw new OnvifError('auth_failed', 'device refused the credentials (HTTP 401 after Digest)');
        this.digest = { challenge, nc: 0 };
        retried = true;
        continue;
      }
      return this.interpret(res);
    }
  }

  private interpret(res: HttpResponse): XmlNode {
    if (res.status >= 300 && res.status < 400) {
      throw new OnvifError('not_onvif', `device answered HTTP ${res.status} redirect; redirects are not followed`);
    }
    let body: XmlNode;
    try {
      body = parseSoapBody(decodeBody(res));
    } catch (err) {
      if (err instanceof OnvifError && err.code === 'not_onvif' && res.status !== 200) {
        throw new OnvifError('not_onvif', `device answered HTTP ${res.status} without SOAP: ${err.message}`);
      }
      throw err;
    }
    if (res.status < 200 || res.status >= 300) {
      throw new OnvifError('bad_response', `device answered HTTP ${res.status} with a SOAP body but no Fault`);
    }
    return body;
  }
}
