import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { probeCamera } from './probe.ts';

// Own 127/8 block so it cannot collide with the simulator's own tests running in parallel.
const BASE = '127.10.77.1';

describe('probeCamera against the camera simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      cameras: [{ id: 'onvif-it-1', password: '守望2024', clockOffsetMs: 3_600_000 }],
      baseAddress: BASE,
      httpPort: 18_770,
      rtspPort: 18_771,
      nameOverlay: false,
    });
  });
  afterAll(async () => {
    await sim?.close();
  });

  // The simulator serves RTSP on 18771: an operator would give that port at enrolment.
  const mediaPorts = { stream: [18_771], snapshot: [18_770], forbidden: [] };

  it('refuses the simulator stream port unless the operator allowed it', async () => {
    const cam = sim.cameras[0]!;
    await expect(probeCamera({ host: cam.host, port: cam.httpPort, username: cam.username, password: cam.password })).rejects.toMatchObject({ code: 'stream_port_not_allowed' });
  });

  it('reads clock offset, device facts and pinned stream/snapshot URIs', async () => {
    const cam = sim.cameras[0]!;
    const result = await probeCamera({ host: cam.host, port: cam.httpPort, username: cam.username, password: cam.password, mediaPorts });
    expect(Math.abs(result.clockOffsetMs - 3_600_000)).toBeLessThan(2_000);
    expect(result.device.serial).not.toBe('');
    expect(result.device.manufacturer).not.toBe('');
    expect(result.profiles.length).toBeGreaterThan(0);
    for (const p of result.profiles) {
      expect(new URL(p.streamUri).hostname).toBe(cam.host);
      expect(p.streamUri).toMatch(/^rtsps?:\/\//);
      if (p.snapshotUri) expect(new URL(p.snapshotUri).hostname).toBe(cam.host);
      expect(p.width).toBeGreaterThan(0);
    }
  });

  it('refuses the wrong password', async () => {
    const cam = sim.cameras[0]!;
    await expect(probeCamera({ host: cam.host, port: cam.httpPort, username: cam.username, password: 'nope' })).rejects.toMatchObject({
      code: 'auth_failed',
    });
  });
});
