// Camera ids in media URLs (`/media/live/:cameraId.flv`): only a UUID, always lower case, before the edge
// authorises, keys a session or writes an audit row — an upper-case id would otherwise slip past camera-change
// revocation (sessions are matched by id) and be hashed in a form PostgreSQL does not store.
import type { FastifyInstance } from 'fastify';
import { isUuid } from '../domain/canonical.ts';
import { errors } from '../errors.ts';

export function canonicaliseCameraIdParams(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const params = req.params as Record<string, unknown> | undefined;
    const id = params?.cameraId;
    if (typeof id !== 'string') return;
    if (!isUuid(id)) throw errors.validation('params cameraId: must be a UUID (8-4-4-4-12 hex digits)');
    params!.cameraId = id.toLowerCase();
  });
}
