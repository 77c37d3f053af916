import http from 'node:http';
import https from 'node:https';
import { deviceLookup } from '../net/device-lookup.ts';
import { OnvifError } from './errors.ts';

export const DEFAULT_DEADLINE_MS = 5_000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;

export interface HttpRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Buffer;
  /** Total budget for connect + headers + whole body. */
  deadlineMs: number;
  /** Response body cap; exceeded (or announced by Content-Length) → `too_large`. */
  maxBytes: number;
  signal?: AbortSignal;
  /** Only for https: whether to verify the device certificate. */
  rejectUnauthorized?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every WWW-Authenticate header value, unjoined. */
  wwwAuthenticate: string[];
  body: Buffer;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL',
  'ECONNRESET', 'EPIPE', 'EADDRNOTAVAIL', 'ENETDOWN',
]);

function mapError(err: unknown, url: URL): OnvifError {
  if (err instanceof OnvifError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  if (UNREACHABLE.has(code)) return new OnvifError('unreachable', `cannot reach ${where} (${code})`, { cause: err });
  if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') {
    return new OnvifError('bad_response', `device sent a value that cannot go into an HTTP header (${code})`, { cause: err });
  }
  if (code.startsWith('HPE_')) return new OnvifError('bad_response', `malformed HTTP from ${where} (${code})`, { cause: err });
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'EPROTO') {
    return new OnvifError('unreachable', `TLS failed with ${where} (${code})`, { cause: err });
  }
  return new OnvifError('unreachable', `request to ${where} failed (${code || (err as Error)?.message || 'unknown'})`, { cause: err });
}

/**
 * One HTTP exchange with an untrusted device: hard total deadline, bounded body, no redirects followed,
 * no connection reuse (each request owns and destroys its socket).
 */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const { url } = req;
    const mod = url.protocol === 'https:' ? https : http;
    let settled = false;
    let request: http.ClientRequest | undefined;

    const finish = (err: OnvifError | undefined, res?: HttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (err) {
        request?.destroy();
        reject(err);
      } else {
        resolve(res!);
      }
    };
    const onAbort = (): void => finish(new OnvifError('timeout', 'request aborted by caller'));
    const timer = setTimeout(
      () => finish(new OnvifError('timeout', `device did not answer completely within ${req.deadlineMs} ms`)),
      Math.max(1, req.deadlineMs),
    );
    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = { ...req.headers, connection: 'close' };
    if (req.body) headers['content-length'] = String(req.body.length);
    try {
      request = mod.request(url, {
        method: req.method,
        headers,
        agent: false,
        lookup: deviceLookup,
        maxHeaderSize: 16 * 1024,
        ...(url.protocol === 'https:' ? { rejectUnauthorized: req.rejectUnauthorized ?? true } : {}),
      });
    } catch (err) {
      return finish(mapError(err, url));
    }
    request.on('error', (err) => finish(mapError(err, url)));
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const announced = Number(res.headers['content-length']);
      if (Number.isFinite(announced) && announced > req.maxBytes) {
        finish(new OnvifError('too_large', `device announced ${announced} bytes, cap is ${req.maxBytes}`));
        return void res.destroy();
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > req.maxBytes) {
          finish(new OnvifError('too_large', `response exceeded ${req.maxBytes} bytes`));
          return void res.destroy();
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(undefined, {
          status,
          headers: res.headers,
          wwwAuthenticate: res.headersDistinct['www-authenticate'] ?? [],
          body: Buffer.concat(chunks, received),
        }),
      );
      res.on('error', (err) => finish(mapError(err, url)));
      res.on('aborted', () => finish(new OnvifError('bad_response', 'device closed the connection mid-response')));
    });
    request.end(req.body);
  });
}
