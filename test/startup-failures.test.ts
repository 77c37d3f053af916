// Start-up failures end with one line naming the problem and a non-zero exit, never a stack trace.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { startEmbedded, EmbeddedStartError } from '../gateway/db/embedded.ts';
import { blockedForPostgres, embeddedBinDir } from '../gateway/db/postgres-user-access.ts';

const asRoot = process.getuid?.() === 0;
// As root the embedded server runs as 'postgres'; in a checkout that user cannot enter, it cannot start at all.
const embeddedBlocked = asRoot ? blockedForPostgres(embeddedBinDir() ?? '/') : null;

const root = path.resolve(import.meta.dirname, '..');

function start(env: Record<string, string>, timeoutMs = 40_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['gateway/main.ts'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'error', SHOUWANG_DEMO: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

let dir: string;
let tdb: TestDatabase;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'shouwang-startfail-'));
  chmodSync(dir, 0o777);
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('start-up failures', () => {
  it('invalid config names the key', async () => {
    const r = await start({ PORT: 'eighty' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("invalid config 'http.port'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unreachable DATABASE_URL is retried for a bounded time, then one line', async () => {
    const cfg = path.join(dir, 'short.json');
    writeFileSync(cfg, JSON.stringify({ database: { connectTimeoutMs: 1500 } }));
    const r = await start({ SHOUWANG_CONFIG: cfg, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unreachable after \d+ attempts/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a port in use is reported as such', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      // Media off: another gateway on this machine may hold the default media ports, and this test is about the HTTP port.
      const r = await start({ DATABASE_URL: tdb.url, PORT: String(port), SHOUWANG_MEDIA: 'false', SHOUWANG_CREDENTIAL_KEY: Buffer.alloc(32, 1).toString('base64') });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it.skipIf(embeddedBlocked !== null)(`a second gateway on the same data dir refuses; a read-only data dir is named (needs the embedded binaries reachable${embeddedBlocked ? `; ${embeddedBlocked} is not` : ''})`, async () => {
    const dataDir = path.join(dir, 'pg');
    const port = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const first = await startEmbedded({ dataDir, port });
    try {
      await expect(startEmbedded({ dataDir, port: port + 1 })).rejects.toThrow(EmbeddedStartError);
      await expect(startEmbedded({ dataDir, port: port + 1 })).rejects.toThrow(/in use by another Shouwang process/);
    } finally {
      await first.stop();
    }
    // A data dir under a regular file cannot be created (root ignores permission bits, so no chmod here).
    writeFileSync(path.join(dir, 'a-file'), 'x');
    await expect(startEmbedded({ dataDir: path.join(dir, 'a-file', 'pg'), port })).rejects.toThrow(/not writable/);
  });

  it.runIf(asRoot)('as root, a data dir the postgres user cannot enter is named before anything is spawned', async () => {
    const locked = mkdtempSync(path.join(tmpdir(), 'shouwang-locked-'));
    chmodSync(locked, 0o700);
    try {
      // The binaries are checked first: in a checkout the postgres user cannot enter, that directory is the one named.
      const named = embeddedBlocked ?? locked;
      await expect(startEmbedded({ dataDir: path.join(locked, 'pg'), port: 1 })).rejects.toThrow(`cannot enter ${named} `);
    } finally {
      rmSync(locked, { recursive: true, force: true });
    }
  });

  it('serves HTTPS from a configured certificate and key, with security headers', { timeout: 60_000 }, async () => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const port = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['gateway/main.ts'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'error', SHOUWANG_DEMO: 'false', SHOUWANG_MEDIA: 'false', DATABASE_URL: tdb.url, PORT: String(port), SHOUWANG_TLS_CERT: cert, SHOUWANG_TLS_KEY: key, SHOUWANG_CREDENTIAL_KEY: Buffer.alloc(32, 1).toString('base64') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const get = () => new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      }).on('error', reject);
    });
    try {
      let r: { status: number; headers: Record<string, unknown> } | null = null;
      for (let i = 0; i < 100 && !r && child.exitCode === null; i++) {
        r = await get().catch(() => null);
        if (!r) await new Promise((res) => setTimeout(res, 200));
      }
      expect(r?.status, stderr).toBe(200);
      expect(r?.headers['strict-transport-security']).toBeDefined();
      expect(r?.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((res) => child.once('exit', res));
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});
