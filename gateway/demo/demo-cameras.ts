import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Gateway } from '../compose.ts';
import { DEMO_DIR } from './load-demo.ts';
import { subjectOf } from '../services/subjects.ts';
import type { EnrolInput } from '../cameras/enrolment.service.ts';
import { startSimulator, type Simulator } from '../../camera-adapters/simulator/index.ts';

interface DemoCamera extends Omit<EnrolInput, 'host' | 'port' | 'username' | 'password'> {
  name: string;
  /** A household camera's owner: a demo account from users.json, so the owner can log in with the demo password. */
  ownerUsername?: string;
}

export const DEMO_SIM = { baseAddress: '127.77.0.1', httpPort: 8000, rtspPort: 8554, username: 'admin', password: 'demo-1234' };

export function readDemoCameras(): DemoCamera[] {
  return (JSON.parse(readFileSync(path.join(DEMO_DIR, 'cameras.json'), 'utf8')) as { cameras: DemoCamera[] }).cameras;
}

/**
 * Starts simulated cameras for the demo and enrols the ones not enrolled yet (idempotent across restarts).
 * `sim` overrides the simulator's addresses (tests run beside a demo gateway).
 */
export async function startDemoCameras(gw: Gateway, opts: { sim?: Partial<typeof DEMO_SIM> } = {}): Promise<Simulator> {
  const cameras = readDemoCameras();
  const sim = await startSimulator({
    cameras: cameras.map((c, i) => ({ id: `demo-${String(i + 1).padStart(2, '0')}`, name: c.name })),
    addressMode: 'per-camera-ip',
    ...DEMO_SIM,
    ...opts.sim,
  });
  const admin = await gw.repos.users.byUsername('admin');
  if (!admin) return sim;
  const actor = { ...(await subjectOf(admin, gw.repos.jurisdictions)), username: admin.username };
  for (const [i, c] of cameras.entries()) {
    const s = sim.cameras[i]!;
    if (await gw.repos.cameras.byEndpoint(s.host, s.httpPort)) continue;
    try {
      const { ownerUsername, ...camera } = c;
      const owner = ownerUsername ? await gw.repos.users.byUsername(ownerUsername) : undefined;
      if (ownerUsername && !owner) throw new Error(`no demo user ${ownerUsername}`);
      const ownerFields = owner ? { ownerUserId: owner.id, ownerName: camera.ownerName ?? owner.displayName, ownerPhone: camera.ownerPhone ?? owner.phone } : {};
      await gw.enrolment.enrol(actor, { ...camera, ...ownerFields, host: s.host, port: s.httpPort, username: DEMO_SIM.username, password: DEMO_SIM.password });
    } catch (e) {
      gw.log.warn({ camera: c.name, err: (e as Error).message }, 'demo camera not enrolled');
    }
  }
  return sim;
}
