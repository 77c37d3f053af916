// The live edge's mask decisions without media: a change re-decides open views and closes only those whose
// decision changed; a decision that raced a change is taken again; an undecidable mask refuses (fail closed).
import { EventEmitter } from 'node:events';
import { describe, it, expect } from 'vitest';
import { errors, isAppError } from '../../errors.ts';
import { SessionRegistry } from '../sessions.ts';
import type { EdgeDeps, LiveMaskDecision } from '../edge-types.ts';
import type { PullManager } from '../sources/pulls.ts';
import type { WorkerPool } from '../sources/worker-supervisor.ts';
import { LiveEdge } from './live-edge.ts';

const CAM = '6a1c0b7e-0000-4000-8000-000000000001';
const masked = (version: number): LiveMaskDecision => ({ mask: { version, rects: [{ x: 0.1, y: 0.1, w: 0.2, h: 0.2 }] }, liftedVersion: null });
const plain: LiveMaskDecision = { mask: null, liftedVersion: null };

function edgeWith(liveMask: EdgeDeps['liveMask']) {
  const registry = new SessionRegistry();
  const audits: unknown[] = [];
  const deps: EdgeDeps = {
    authorize: async () => ({ userId: 'partner', grantId: 'g1', until: new Date(Date.now() + 60_000), sessionKey: 'k' }),
    // the media side is not under test: stop right after the mask decision
    resolveCamera: async () => undefined,
    audit: (e) => void audits.push(e),
    liveMask,
  };
  const edge = new LiveEdge({ ffmpegPath: 'ffmpeg' }, deps, new EventEmitter() as unknown as PullManager, new EventEmitter() as unknown as WorkerPool, 's', registry);
  return { edge, registry, audits };
}

function openView(registry: SessionRegistry, userId: string, grantId: string | null, maskVersion: number | null, closed: string[]) {
  registry.open({
    kind: maskVersion === null ? 'live' : 'masked-live', userId, cameraId: CAM, grantId, revocationKeys: [`user:${userId}`],
    until: new Date(Date.now() + 60_000), close: (r) => void closed.push(`${userId}:${r}`), info: { stream: 'main', maskVersion },
  });
}

describe('live edge and privacy masks', () => {
  it('a mask change closes exactly the views whose decision changed, with mask_changed', async () => {
    const decisions: Record<string, LiveMaskDecision | Error> = {
      owner: plain, // the owner keeps the original
      partner: masked(2), // was on version 1
      newcomer: masked(2), // watched the original before any mask existed
      lifted: plain, // grant lifted: was masked
      same: masked(2), // already on version 2
      broken: new Error('database down'), // undecidable: closed rather than risk the original
    };
    const { edge, registry } = edgeWith(async (_c, userId) => {
      const d = decisions[userId]!;
      if (d instanceof Error) throw d;
      return d;
    });
    const closed: string[] = [];
    openView(registry, 'owner', null, null, closed);
    openView(registry, 'partner', 'g1', 1, closed);
    openView(registry, 'newcomer', 'g2', null, closed);
    openView(registry, 'lifted', 'g3', 2, closed);
    openView(registry, 'same', 'g4', 2, closed);
    openView(registry, 'broken', 'g5', 2, closed);
    expect(await edge.masksChanged(CAM.toUpperCase())).toBe(4);
    expect(closed.sort()).toEqual(['broken:mask_changed', 'lifted:mask_changed', 'newcomer:mask_changed', 'partner:mask_changed']);
    expect(registry.list().map((s) => s.userId).sort()).toEqual(['owner', 'same']);
    await edge.close();
  });

  it('a decision taken while the mask changed is taken again; an unreadable mask refuses the view', async () => {
    let calls = 0;
    let edgeRef: LiveEdge | null = null;
    const { edge, audits } = edgeWith(async () => {
      calls++;
      // the owner saves a mask while the first decision is on its way back
      if (calls === 1) await edgeRef!.masksChanged(CAM);
      return calls === 1 ? plain : masked(1);
    });
    edgeRef = edge;
    const e = await edge.prepareLive({ token: 't', cameraId: CAM, stream: 'main', ip: '127.0.0.1' }).catch((x: unknown) => x);
    expect(calls).toBe(2);
    expect(isAppError(e) && e.code).toBe('not_found'); // got past the mask decision (the camera is not there)
    await edge.close();

    const failing = edgeWith(async () => {
      throw new Error('connection terminated');
    });
    const f = await failing.edge.prepareLive({ token: 't', cameraId: CAM, stream: 'main', ip: '127.0.0.1' }).catch((x: unknown) => x);
    expect(isAppError(f) && f.code).toBe('mask_unavailable');
    expect(failing.audits).toMatchObject([{ type: 'live.refused', code: 'mask_unavailable' }]);
    const denied = edgeWith(async () => {
      throw errors.accessDenied('no');
    });
    const d = await denied.edge.prepareLive({ token: 't', cameraId: CAM, stream: 'main', ip: '127.0.0.1' }).catch((x: unknown) => x);
    expect(isAppError(d) && d.code).toBe('access_denied');
    await failing.edge.close();
    await denied.edge.close();
  });
});
