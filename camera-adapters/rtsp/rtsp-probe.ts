// Is a camera's stream endpoint serving? OPTIONS then DESCRIBE with its credentials, bounded in time and size.
import { RtspClient, RtspClientError } from './rtsp-client.ts';

export type RtspProbeCode = 'unreachable' | 'timeout' | 'auth_failed' | 'redirect' | 'bad_status' | 'bad_response' | 'too_large';
export type RtspProbeResult = { ok: true; ms: number } | { ok: false; code: RtspProbeCode; message: string };

export interface RtspProbeOptions {
  username: string;
  password: string;
  /** Total budget for connect, OPTIONS and DESCRIBE (a Digest retry included). */
  deadlineMs: number;
  /** Largest reply we buffer; an SDP is a few hundred bytes. Default 64 KiB. */
  maxBytes?: number;
}

const CODES: Record<RtspClientError['code'], RtspProbeCode> = {
  connect_failed: 'unreachable', timeout: 'timeout', closed: 'bad_response', unauthorized: 'auth_failed',
  bad_response: 'bad_response', bad_status: 'bad_status', too_large: 'too_large',
};

/** Never follows a redirect (a 3xx is a failure: the camera may not send us elsewhere); the password never appears in a message. */
export async function rtspProbe(url: string, opts: RtspProbeOptions): Promise<RtspProbeResult> {
  const t0 = Date.now();
  const where = (() => {
    try {
      return new URL(url).host;
    } catch {
      return 'an invalid URL';
    }
  })();
  let client: RtspClient | null = null;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RtspClientError('timeout', `no complete answer from ${where} in ${opts.deadlineMs} ms`)), opts.deadlineMs);
  });
  const run = async (): Promise<RtspProbeResult> => {
    client = await RtspClient.connect(url, { timeoutMs: opts.deadlineMs, maxBytes: opts.maxBytes ?? 64 * 1024, username: opts.username, password: opts.password });
    // A connect that completes after the deadline must not leave its socket open.
    if (finished) {
      client.close();
      return { ok: false, code: 'timeout', message: 'deadline passed' };
    }
    for (const [method, headers] of [['OPTIONS', {}], ['DESCRIBE', { Accept: 'application/sdp' }]] as const) {
      const res = await client.request(method, client.url, headers);
      if (res.status >= 300 && res.status < 400) {
        return { ok: false, code: 'redirect', message: `${method} answered ${res.status} (redirect not followed)` };
      }
      if (res.status !== 200) return { ok: false, code: 'bad_status', message: `${method} answered ${res.status}` };
      if (method === 'DESCRIBE' && !/^v=0\s*$/m.test(res.body)) return { ok: false, code: 'bad_response', message: 'DESCRIBE did not return an SDP' };
    }
    return { ok: true, ms: Date.now() - t0 };
  };
  try {
    return await Promise.race([run(), deadline]);
  } catch (e) {
    if (e instanceof RtspClientError) {
      const message = e.code === 'connect_failed' ? `cannot connect to ${where}: ${e.message}` : e.message;
      return { ok: false, code: CODES[e.code], message: message.replace(opts.password || '\u0000', '***').slice(0, 200) };
    }
    return { ok: false, code: 'bad_response', message: `${(e as Error).message}`.replace(opts.password || '\u0000', '***').slice(0, 200) };
  } finally {
    finished = true;
    clearTimeout(timer);
    (client as RtspClient | null)?.close();
  }
}
