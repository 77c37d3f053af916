// HTTP front of a simulated camera: ONVIF SOAP endpoints and the snapshot URL, behind Digest or WS-Security.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DigestAuth } from '../rtsp/digest-auth.ts';
import {
  DEVICE_SERVICE_PATH,
  MEDIA_SERVICE_PATH,
  UNAUTHENTICATED_OPERATIONS,
  runOperation,
  type OnvifDeviceFacts,
} from './onvif-operations.ts';
import { PROFILES, isProfileToken, type MediaProfile } from './profiles.ts';
import { fault, faultEnvelope, parseSoapRequest, SoapParseError, soapEnvelope, type SoapFault } from './soap.ts';
import { verifyUsernameToken } from './ws-security.ts';
import { RECORDING_SERVICE_PATHS } from './recording-service.ts';

export interface CameraHttpContext {
  facts: OnvifDeviceFacts;
  digest: DigestAuth;
  lookup(username: string): string | undefined;
  /** Fault injection, read per request; Infinity means never answer. */
  delayMs(): number;
  snapshot(profile: MediaProfile): Promise<Buffer>;
}

const MAX_BODY_BYTES = 64 * 1024;
const SOAP_TYPE = 'application/soap+xml; charset=utf-8';

class BodyTooLarge extends Error {
  readonly code = 'body_too_large';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function sendFault(res: ServerResponse, f: SoapFault, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(f.httpStatus, { 'Content-Type': SOAP_TYPE, ...headers });
  res.end(faultEnvelope(f));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createCameraHttpHandler(ctx: CameraHttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  const cameraNow = (): number => Date.now() + ctx.facts.clockOffsetMs;

  const challenge = (stale = false): Record<string, string> => ({ 'WWW-Authenticate': ctx.digest.challenge(stale) });

  async function soap(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let xml: string;
    try {
      xml = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge && !res.headersSent) res.writeHead(413).end();
      return;
    }
    let request;
    try {
      request = parseSoapRequest(xml);
    } catch (err) {
      const reason = err instanceof SoapParseError ? err.message : 'unreadable request';
      return sendFault(res, fault('env:Sender', 'ter:WellFormed', reason));
    }
    if (!UNAUTHENTICATED_OPERATIONS.has(request.operation)) {
      const authorization = req.headers.authorization;
      if (authorization) {
        const result = ctx.digest.verify(req.method ?? 'POST', authorization, ctx.lookup);
        if (!result.ok) {
          return sendFault(res, fault('env:Sender', 'ter:NotAuthorized', 'digest authentication failed', 401), challenge(result.stale));
        }
      } else {
        const token = verifyUsernameToken(request.header, ctx.lookup, cameraNow());
        if (token.status !== 'ok') {
          const reason = token.status === 'absent' ? 'authentication required' : `WS-Security: ${token.reason}`;
          return sendFault(res, fault('env:Sender', 'ter:NotAuthorized', reason, 401), challenge());
        }
      }
    }
    const result = runOperation(request.operation, request.body, ctx.facts);
    if ('fault' in result) return sendFault(res, result.fault);
    res.writeHead(200, { 'Content-Type': SOAP_TYPE });
    res.end(soapEnvelope(result.xml));
  }

  async function snapshot(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const result = ctx.digest.verify(req.method ?? 'GET', req.headers.authorization, ctx.lookup);
    if (!result.ok) {
      res.writeHead(401, challenge(result.stale)).end();
      return;
    }
    if (!isProfileToken(token)) {
      res.writeHead(404).end();
      return;
    }
    const jpeg = await ctx.snapshot(PROFILES[token]);
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length, 'Cache-Control': 'no-store' });
    res.end(jpeg);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const delay = ctx.delayMs();
    if (delay === Number.POSITIVE_INFINITY) return; // unresponsive: the socket idle timeout ends it
    if (delay > 0) await sleep(delay);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === DEVICE_SERVICE_PATH || path === MEDIA_SERVICE_PATH || RECORDING_SERVICE_PATHS.has(path)) {
      if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST' }).end();
        return;
      }
      return soap(req, res);
    }
    const snap = /^\/snapshot\/([a-z]+)\.jpg$/.exec(path);
    if (snap?.[1] && (req.method === 'GET' || req.method === 'HEAD')) return snapshot(req, res, snap[1]);
    res.writeHead(404).end();
  }

  return (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
}
