// The masks service as the running gateway wires it: over the footage repository and the access caches, and
// announcing every committed change on the bus so each process's live edge re-decides its open views.
import type { Gateway } from '../../compose.ts';
import { footageRepository, type FootageRepository } from '../../repositories/footage.repository.ts';
import { masksService, type MaskChange, type MasksService } from './masks.service.ts';

/** Bus message kind of a committed mask change (payload: MaskChange). */
export const MASK_BUS_KIND = 'mask';

export function gatewayMasks(gw: Gateway, repo: FootageRepository = footageRepository(gw.db)): MasksService {
  return masksService({
    db: gw.db, repo, audit: gw.repos.audit, subject: (id) => gw.access.subject(id), camera: (id) => gw.access.camera(id),
    grant: (id) => gw.repos.grants.byId(id), villageCommitteeMayView: gw.config.access.villageCommitteeMayView,
    onChange: (c: MaskChange) => void gw.bus.publish(MASK_BUS_KIND, { ...c }).catch((err: unknown) => gw.log.error({ err }, 'announcing a mask change failed')),
  });
}

/** The camera a bus message names as changed mask-wise, else null. */
export function maskChangeOf(m: { kind: string; data: Record<string, unknown> }): string | null {
  return m.kind === MASK_BUS_KIND && typeof m.data.cameraId === 'string' ? m.data.cameraId : null;
}
