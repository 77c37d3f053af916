// RTSP/1.0 message framing (RFC 2326): requests from a TCP byte stream, interleaved frames skipped.

export interface RtspRequest {
  method: string;
  uri: string;
  headers: Map<string, string>;
  body: Buffer;
}

export class RtspProtocolError extends Error {
  readonly code = 'rtsp_protocol_error';
  constructor(message: string) {
    super(message);
    this.name = 'RtspProtocolError';
  }
}

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_MESSAGES_PER_CHUNK = 256;

/** Incremental reader: feed it socket data, get back complete requests. */
export class RtspRequestReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Interleaved frames ($, channel, length) from the client are RTCP reports we do not need. */
  push(chunk: Buffer): RtspRequest[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: RtspRequest[] = [];
    for (let i = 0; i < MAX_MESSAGES_PER_CHUNK && this.buffer.length > 0; i++) {
      if (this.buffer[0] === 0x24) {
        if (this.buffer.length < 4) break;
        const size = this.buffer.readUInt16BE(2);
        if (this.buffer.length < 4 + size) break;
        this.buffer = this.buffer.subarray(4 + size);
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES) throw new RtspProtocolError('request header too large');
        break;
      }
      const head = this.buffer.subarray(0, end).toString('utf8');
      const { method, uri, headers } = parseHead(head);
      const length = Number(headers.get('content-length') ?? '0');
      if (!Number.isInteger(length) || length < 0 || length > MAX_BODY_BYTES) {
        throw new RtspProtocolError('bad Content-Length');
      }
      if (this.buffer.length < end + 4 + length) break;
      const body = Buffer.from(this.buffer.subarray(end + 4, end + 4 + length));
      this.buffer = this.buffer.subarray(end + 4 + length);
      out.push({ method, uri, headers, body });
    }
    return out;
  }
}

function parseHead(head: string): Omit<RtspRequest, 'body'> {
  const lines = head.split('\r\n');
  const requestLine = (lines.shift() ?? '').trim();
  const match = /^([A-Z_]+) (\S+) RTSP\/1\.0$/.exec(requestLine);
  if (!match?.[1] || !match[2]) throw new RtspProtocolError(`bad request line: ${requestLine.slice(0, 80)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method: match[1], uri: match[2], headers };
}

export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** Serialises a response; header values that are arrays become repeated header lines. */
export function formatResponse(
  status: number,
  headers: Record<string, string | number | string[] | undefined>,
  body?: string,
): Buffer {
  const lines = [`RTSP/1.0 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}`];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'utf8');
  if (payload.length > 0) lines.push(`Content-Length: ${payload.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), payload]);
}
