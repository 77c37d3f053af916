// Issue 8 §7: every demo owner owns a simulated camera and logs in with the demo password.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testGateway, type TestGateway } from './helpers/gateway.ts';
import { DEMO_DIR } from '../gateway/demo/load-demo.ts';
import { readDemoCameras, startDemoCameras } from '../gateway/demo/demo-cameras.ts';
import type { Simulator } from '../camera-adapters/simulator/index.ts';

let t: TestGateway;
let sim: Simulator;
const users = (JSON.parse(readFileSync(path.join(DEMO_DIR, 'users.json'), 'utf8')) as { users: { username: string; role: string }[] }).users;

beforeAll(async () => {
  t = await testGateway({ overrides: { cameras: { healthEnabled: false } } });
  // Own loopback block: a demo gateway (127.77.0.x) may be running on this machine.
  sim = await startDemoCameras(t.gw, { sim: { baseAddress: `127.${150 + (process.pid % 50)}.20.1` } });
}, 120_000);
afterAll(async () => {
  await sim?.close();
  await t?.close();
});

describe('demo data', () => {
  it('enrols every demo camera', async () => {
    expect((await t.gw.repos.cameras.list({ limit: 5000 })).length).toBe(readDemoCameras().length);
  });

  it('every household owner in users.json logs in with the demo password and sees a camera of their own', async () => {
    const owners = users.filter((u) => u.role === 'household_owner');
    expect(owners.length).toBeGreaterThanOrEqual(16);
    for (const o of owners) {
      const token = await t.login(o.username);
      const r = await t.app.inject({ url: '/api/v1/cameras', headers: { authorization: `Bearer ${token}` } });
      expect(r.statusCode).toBe(200);
      const mine = r.json().items as { ownerClass: string; ownerUserId: string }[];
      expect(mine.length, `${o.username} owns no camera`).toBeGreaterThanOrEqual(1);
      expect(mine.every((c) => c.ownerClass === 'household')).toBe(true);
    }
  });

  it('no household camera is owned by an account without a password (no owner-<phone> accounts)', async () => {
    for (const c of readDemoCameras().filter((x) => x.ownerClass === 'household')) expect(c.ownerUsername, c.name).toBeTruthy();
    const { rows } = await t.tdb.db.query(`SELECT username FROM users WHERE username LIKE 'owner-%'`);
    expect(rows).toEqual([]);
  });
});
