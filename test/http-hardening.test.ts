// Issue 8 §5 and §4 (tokens in logs): bad input is a 4xx with a code; slow and crowding clients are cut off;
// request logs never carry a play token or an Authorization header.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { buildApp } from '../gateway/http/app.ts';
import { redactUrl } from '../gateway/http/log-redaction.ts';
import { validatorCompiler } from '../gateway/http/validator.ts';
import { Type } from 'typebox';
import { Uuid } from '../gateway/http/schemas.ts';

let t: TestGateway;
let officer: { authorization: string };
let auditor: { authorization: string };
beforeAll(async () => {
  t = await testGateway({ overrides: { http: { headersTimeoutMs: 1000, requestTimeoutMs: 1000, maxConnectionsPerAddress: 10 } } });
  officer = { authorization: `Bearer ${await t.login('shouzhang.officer')}` };
  auditor = { authorization: `Bearer ${await t.login('shouzhang.auditor')}` };
});
afterAll(async () => {
  await t?.close();
});

describe('bad input is a 400 with a code', () => {
  const cases: Array<[string, () => Promise<{ statusCode: number; json(): { error: { code: string } } }>]> = [
    ['afterId=1e20', () => t.app.inject({ url: '/api/v1/audit?afterId=1e20', headers: auditor })],
    ['leap second in /audit from', () => t.app.inject({ url: '/api/v1/audit?from=2026-12-31T23:59:60Z', headers: auditor })],
    ['February 30 in /audit to', () => t.app.inject({ url: '/api/v1/audit?to=2026-02-30T00:00:00Z', headers: auditor })],
    ['year 0 in /audit from', () => t.app.inject({ url: '/api/v1/audit?from=0000-01-01T00:00:00Z', headers: auditor })],
    ['urn:uuid camera id in /audit', () => t.app.inject({ url: '/api/v1/audit?cameraId=urn:uuid:6f1b5c3e-4d2a-4b8e-9c1f-2a3b4c5d6e7f', headers: auditor })],
    ['NUL in /audit caseNo', () => t.app.inject({ url: '/api/v1/audit?caseNo=a%00b', headers: auditor })],
    ['NUL in /audit action', () => t.app.inject({ url: '/api/v1/audit?action=grant.%00', headers: auditor })],
    ['urn:uuid grant id', () => t.app.inject({ url: '/api/v1/grants/urn:uuid:6f1b5c3e-4d2a-4b8e-9c1f-2a3b4c5d6e7f', headers: officer })],
    ['NUL in a jurisdiction name', () => t.app.inject({ method: 'PUT', url: '/api/v1/jurisdictions/3715210199', headers: officer, payload: { name: 'a\u0000b', kind: 'village', parentCode: '37152101' } })],
    ['lone surrogate in a grant case number', () => t.app.inject({ method: 'POST', url: '/api/v1/grants/preview', headers: { ...officer, 'content-type': 'application/json' }, payload: '{"caseNo":"\\udc00","cameraIds":[]}' })],
    ['leap second in play-token footage', () => t.app.inject({
      method: 'POST', url: '/api/v1/play-tokens', headers: officer,
      payload: { cameraId: '6f1b5c3e-4d2a-4b8e-9c1f-2a3b4c5d6e7f', action: 'playback', footage: { from: '2016-12-31T23:59:60Z', to: '2017-01-01T00:10:00Z' } },
    })],
    ['a field name with NUL', () => t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":"x","password":"y","\\u0000":1}' })],
  ];
  for (const [name, call] of cases) {
    it(name, async () => {
      const r = await call();
      expect(r.statusCode).toBe(400);
      expect(r.json().error.code).toMatch(/^(validation_failed|bad_request)$/);
    });
  }

  it('the validator lower-cases every uuid-format value it accepts (params, nested, arrays, unions)', () => {
    const schema = Type.Object({ id: Uuid, ids: Type.Array(Uuid), maybe: Type.Union([Uuid, Type.Null()]), inner: Type.Object({ id: Uuid }), name: Type.String() });
    const validate = validatorCompiler()({ schema, httpPart: 'body', method: 'POST', url: '/x' }) as (d: unknown) => boolean;
    const U = '6F1B5C3E-4D2A-4B8E-9C1F-2A3B4C5D6E7F';
    const data = { id: U, ids: [U], maybe: U, inner: { id: U }, name: U };
    expect(validate(data)).toBe(true);
    expect(data).toEqual({ id: U.toLowerCase(), ids: [U.toLowerCase()], maybe: U.toLowerCase(), inner: { id: U.toLowerCase() }, name: U });
    expect(validate({ ...data, id: `urn:uuid:${U}` })).toBe(false);
  });

  it('an UPPER-CASE id is accepted and used in its canonical lower-case form', async () => {
    const list = (await t.app.inject({ url: '/api/v1/jurisdictions', headers: officer })).json();
    const j = (list.items ?? list)[0];
    const r = await t.app.inject({ url: `/api/v1/jurisdictions/${String(j.id).toUpperCase()}`, headers: officer });
    expect(r.statusCode, r.body).toBe(200);
  });
});

function listening(app: FastifyInstance): Promise<number> {
  return app.listen({ host: '127.0.0.1', port: 0 }).then(() => (app.server.address() as net.AddressInfo).port);
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('the HTTP server on real sockets', () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    app = await buildApp(t.gw, {
      plugins: [
        async (a) => {
          // Stands in for a live stream: a response far longer than the request timeout.
          a.get('/test/slow-stream', (req, reply) => {
            reply.hijack();
            const s = req.raw.socket;
            s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n');
            let n = 0;
            const tick = setInterval(() => {
              s.write('x');
              if (++n === 12) {
                clearInterval(tick);
                s.end();
              }
            }, 200);
          });
        },
      ],
    });
    port = await listening(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('closes connections beyond maxConnectionsPerAddress from one address', async () => {
    const socks: net.Socket[] = [];
    for (let i = 0; i < 15; i++) socks.push(await connect(port).catch(() => new net.Socket()));
    await new Promise((r) => setTimeout(r, 300));
    const alive = socks.filter((s) => !s.destroyed && s.readyState === 'open');
    expect(alive.length).toBe(10);
    for (const s of socks) s.destroy();
    await Promise.all(socks.map(closed));
    await new Promise((r) => setTimeout(r, 100));
    const again = await connect(port);
    again.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const body = await new Promise<string>((r) => {
      let b = '';
      again.on('data', (d) => (b += d));
      again.on('close', () => r(b));
    });
    expect(body).toMatch(/^HTTP\/1.1 200/);
  });

  it('drops a client that never finishes its headers', async () => {
    const s = await connect(port);
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const started = Date.now();
    await Promise.race([closed(s), new Promise((r) => setTimeout(r, 8000))]);
    expect(s.destroyed || s.readableEnded).toBe(true);
    expect(Date.now() - started).toBeLessThan(8000);
    s.destroy();
  });

  it('does not cut a response that lasts longer than the request timeout (live video)', async () => {
    const s = await connect(port);
    s.write('GET /test/slow-stream HTTP/1.1\r\nHost: x\r\n\r\n');
    const body = await new Promise<string>((r) => {
      let b = '';
      s.on('data', (d) => (b += d));
      s.on('close', () => r(b));
    });
    expect(body.split('\r\n\r\n')[1]).toBe('x'.repeat(12));
  });
});

describe('request logs', () => {
  it('never contain a play token or an Authorization header', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const app = await buildApp(t.gw, { logger: pino({ level: 'info' }, sink) });
    await app.ready();
    try {
      await app.inject({ url: '/media/live/6f1b5c3e-4d2a-4b8e-9c1f-2a3b4c5d6e7f.flv?stream=main&token=SECRET-PLAY-TOKEN-1' });
      await app.inject({ url: '/media/snapshot/6f1b5c3e-4d2a-4b8e-9c1f-2a3b4c5d6e7f.jpg?Token=SECRET-PLAY-TOKEN-2' });
      await app.inject({ url: '/media/snapshot/x.jpg?%74oken=SECRET-PLAY-TOKEN-3' });
      await app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer SECRET-SESSION-4' } });
    } finally {
      await app.close();
    }
    const log = lines.join('');
    expect(log).toContain('incoming request');
    expect(log).toContain('token=[redacted]');
    expect(log).toContain('stream=main');
    expect(log).not.toMatch(/SECRET/);
  });

  it('redactUrl keeps everything but secret values', () => {
    expect(redactUrl('/a?x=1&token=abc&y=2')).toBe('/a?x=1&token=[redacted]&y=2');
    expect(redactUrl('/a?access_token=abc')).toBe('/a?access_token=[redacted]');
    expect(redactUrl('/a')).toBe('/a');
  });
});
