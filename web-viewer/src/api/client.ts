// Typed calls to the gateway API (types generated from its OpenAPI document) with the session's bearer token.
import type { ApiPaths } from './types.gen.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Op<P extends keyof ApiPaths, M extends Method> = M extends keyof ApiPaths[P] ? ApiPaths[P][M] : never;
type Field<O, K extends string> = O extends Record<K, infer X> ? X : never;
export type ApiResponse<P extends keyof ApiPaths, M extends Method> = Field<Op<P, M>, 'response'>;
export type ApiBody<P extends keyof ApiPaths, M extends Method> = Field<Op<P, M>, 'body'>;

export interface CallOptions<P extends keyof ApiPaths, M extends Method> {
  params?: Field<Op<P, M>, 'params'>;
  query?: Field<Op<P, M>, 'query'> | Record<string, string | number | boolean | undefined>;
  body?: Field<Op<P, M>, 'body'>;
  raw?: { body: BodyInit; contentType: string; accept?: string };
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly reason: string | null = null, readonly details: Record<string, unknown> | null = null) {
    super(message);
  }
}

let token: string | null = null;
let onUnauthenticated: () => void = () => undefined;

export function setToken(t: string | null): void {
  token = t;
}
export function getToken(): string | null {
  return token;
}
/** Called once when an authenticated call comes back 401: the shell sends the user to login, keeping the page. */
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export function urlOf(path: string, params?: Record<string, unknown>, query?: Record<string, unknown>): string {
  let p = path;
  for (const [k, v] of Object.entries(params ?? {})) p = p.replace(`{${k}}`, encodeURIComponent(String(v)));
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) qs.append(k, String(x));
    else qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${p}?${s}` : p;
}

export async function rawCall(method: Method, url: string, init: { body?: BodyInit; contentType?: string; accept?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.contentType) headers['content-type'] = init.contentType;
  if (init.accept) headers.accept = init.accept;
  let res: Response;
  try {
    res = await fetch(url, { method: method.toUpperCase(), headers, body: init.body });
  } catch {
    throw new ApiError(0, 'network', 'network unavailable');
  }
  if (!res.ok) {
    let code = 'generic';
    let message = res.statusText;
    let reason: string | null = null;
    let details: Record<string, unknown> | null = null;
    try {
      const b = (await res.json()) as { error?: { code?: string; message?: string; details?: { reason?: unknown } } };
      code = b.error?.code ?? code;
      message = b.error?.message ?? message;
      if (b.error?.details && typeof b.error.details === 'object') details = b.error.details;
      if (typeof b.error?.details?.reason === 'string') reason = b.error.details.reason;
    } catch {
      // not JSON: keep the status text
    }
    if (res.status === 429) code = 'rate_limited';
    if (res.status === 401 && token && !url.endsWith('/auth/login')) onUnauthenticated();
    throw new ApiError(res.status, code, message, reason, details);
  }
  return res;
}

export async function api<P extends keyof ApiPaths, M extends Method>(method: M, path: P, opts: CallOptions<P, M> = {}): Promise<ApiResponse<P, M>> {
  const url = urlOf(path as string, opts.params as Record<string, unknown>, opts.query as Record<string, unknown>);
  const res = opts.raw
    ? await rawCall(method, url, { body: opts.raw.body, contentType: opts.raw.contentType, accept: opts.raw.accept })
    : await rawCall(method, url, opts.body === undefined ? {} : { body: JSON.stringify(opts.body), contentType: 'application/json' });
  if (res.status === 204) return null as ApiResponse<P, M>;
  return (await res.json()) as ApiResponse<P, M>;
}

export type Camera = ApiResponse<'/api/v1/cameras', 'get'>['items'][number];
export type Grant = ApiResponse<'/api/v1/grants', 'get'>['items'][number];
export type Jurisdiction = ApiResponse<'/api/v1/jurisdictions', 'get'>['items'][number];
export type Me = ApiResponse<'/api/v1/me', 'get'>;
export type Preview = ApiResponse<'/api/v1/grants/preview', 'post'>;
export type RequestBody = ApiBody<'/api/v1/grants', 'post'>;
