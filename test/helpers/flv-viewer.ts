// An HTTP-FLV viewer for tests: counts (and keeps, up to a cap) what arrives until the stream closes or `limitMs` passes.
import http from 'node:http';

export interface FlvViewer {
  readonly status: number;
  readonly bytes: number;
  /** When the gateway closed the stream (or the request failed); null while it is open. */
  readonly closedAt: number | null;
  /** What arrived, up to `keepBytes`. */
  flv(): Buffer;
  done: Promise<void>;
  stop(): void;
}

export function watchFlv(url: string, limitMs: number, keepBytes = 0): FlvViewer {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let status = 0;
  let closedAt: number | null = null;
  let req: http.ClientRequest;
  const done = new Promise<void>((resolve) => {
    req = http.get(url, (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        if (bytes < keepBytes) chunks.push(d);
      });
      res.on('close', () => {
        closedAt ??= Date.now();
        resolve();
      });
    });
    req.on('error', () => {
      closedAt ??= Date.now();
      resolve();
    });
  });
  const timer = setTimeout(() => req.destroy(), limitMs);
  return {
    get status() { return status; },
    get bytes() { return bytes; },
    get closedAt() { return closedAt; },
    flv: () => Buffer.concat(chunks),
    done: done.finally(() => clearTimeout(timer)),
    stop: () => req.destroy(),
  };
}
