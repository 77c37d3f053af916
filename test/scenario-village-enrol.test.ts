// Scenario 3 end to end: `npm run simulate -- --cameras 60 --village <Xijie> --csv out.csv`, then
// `npm run enrol -- out.csv --user lize-xijie.committee --commit` enrols all 60 into Xijie.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { insideBoundary, loadVillage } from '../camera-adapters/simulator/village-area.ts';

const XIJIE = '3716710102';
const TSX = path.resolve('node_modules/.bin/tsx');
let t: TestGateway;
let sim: ChildProcess | null = null;
let dir: string;
let baseUrl: string;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** Starts the simulator CLI and resolves once it says its cameras are up. */
function startSimulatorCli(args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['camera-adapters/simulator/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${out}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/cameras up in/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`simulator exited ${code}: ${out}`)));
  });
}

async function stop(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'shouwang-village-'));
  t = await testGateway({ overrides: { cameras: { healthEnabled: false } } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as net.AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await stop(sim);
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('scenario 3: a committee enrols 60 home cameras from a spreadsheet', () => {
  it('--village puts every simulated camera inside that village', async () => {
    const csv = path.join(dir, 'out.csv');
    sim = await startSimulatorCli(['--cameras', '60', '--village', XIJIE, '--csv', csv, '--base-address', `127.${150 + (process.pid % 50)}.30.1`, '--no-overlay']);
    const rows = readFileSync(csv, 'utf8').trim().split(/\r\n/).slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(60);
    const village = loadVillage(XIJIE);
    for (const r of rows) expect(insideBoundary(village.boundary, Number(r[8]), Number(r[7])), r.join(',')).toBe(true);
    expect(rows.every((r) => r[6]!.startsWith('西街村 '))).toBe(true);

    const enrol = await run(['gateway/cli/enrol.ts', csv, '--user', 'lize-xijie.committee', '--commit', '--url', baseUrl]);
    expect(enrol.code, enrol.err + enrol.out).toBe(0);
    expect(enrol.out).toMatch(/committed: 60 enrolled/);

    const xijie = (await t.gw.repos.jurisdictions.byCode(XIJIE))!;
    const cams = await t.gw.repos.cameras.list({ villageId: xijie.id, limit: 5000 });
    expect(cams).toHaveLength(60);
    expect(cams.every((c) => c.ownerClass === 'household' && c.villageId === xijie.id)).toBe(true);
  }, 180_000);

  it('an unknown village code fails at once and names the villages', async () => {
    const r = await run(['camera-adapters/simulator/cli.ts', '--cameras', '1', '--village', '99', '--csv', path.join(dir, 'x.csv')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/3716710102 西街村/);
  });
});
