import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Gateway } from '../compose.ts';
import type { JurisdictionKind, Role } from '../domain/types.ts';
import { hashPassword } from '../auth/passwords.ts';
import { loadDemoAgreements } from './demo-agreements.ts';

export const DEMO_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../config/demo');
export const DEMO_PASSWORD = 'shouwang-demo';

interface DemoJurisdiction {
  code: string;
  name: string;
  kind: JurisdictionKind;
  parentCode: string | null;
  centre: { lat: number; lon: number } | null;
  boundary: unknown;
}
interface DemoUser {
  username: string;
  displayName: string;
  role: Role;
  jurisdictionCode: string;
  phone: string | null;
}

const read = <T>(file: string): T => JSON.parse(readFileSync(path.join(DEMO_DIR, file), 'utf8')) as T;

/** Loads demo jurisdictions and users; idempotent (existing users keep their passwords). */
export async function loadDemo(gw: Gateway, opts: { password?: string } = {}): Promise<{ users: DemoUser[] }> {
  const { jurisdictions } = read<{ jurisdictions: DemoJurisdiction[] }>('jurisdictions.json');
  for (const j of jurisdictions) {
    await gw.jurisdictions.save({ code: j.code, name: j.name, kind: j.kind, parentCode: j.parentCode, boundary: j.boundary, centre: j.centre });
  }
  const { users } = read<{ users: DemoUser[] }>('users.json');
  const password = opts.password ?? DEMO_PASSWORD;
  const missing: DemoUser[] = [];
  for (const u of users) if (!(await gw.repos.users.byUsername(u.username))) missing.push(u);
  // Hash only for new users, two at a time (argon2 runs on the libuv pool; the machine has 2 cores).
  for (let i = 0; i < missing.length; i += 2) {
    await Promise.all(
      missing.slice(i, i + 2).map(async (u) => {
        const j = await gw.repos.jurisdictions.byCode(u.jurisdictionCode);
        if (!j) throw new Error(`demo user ${u.username}: no jurisdiction ${u.jurisdictionCode}`);
        await gw.repos.users.upsert({ username: u.username, displayName: u.displayName, role: u.role, jurisdictionId: j.id, phone: u.phone, passwordHash: await hashPassword(password) });
      }),
    );
  }
  await loadDemoAgreements(gw, DEMO_DIR);
  return { users };
}
