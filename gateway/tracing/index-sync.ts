// Keeps the in-memory camera index in step with the cameras table: loaded on first use, one camera
// re-read on every camera change on the bus (any gateway process), rebuilt when many changed.
import type { Logger } from 'pino';
import type { PgBus } from '../events/pg-bus.ts';
import type { CameraPosition, CameraPositionsRepository } from '../repositories/camera-positions.repository.ts';
import { CameraIndex } from './spatial-index.ts';

const PAGE = 50_000;

export interface SyncedIndex {
  /** The index, loaded on first call. */
  get(): Promise<CameraIndex>;
  /** Re-read one camera into the index (what a bus message triggers). */
  refresh(cameraId: string): Promise<void>;
  /** Drop and reload everything (after a lost LISTEN connection). */
  reload(): Promise<CameraIndex>;
  close(): void;
}

export async function loadAll(repo: CameraPositionsRepository): Promise<CameraPosition[]> {
  const out: CameraPosition[] = [];
  const stations = new Map<string, string>();
  let after: string | null = null;
  for (;;) {
    const page = await repo.page(after, PAGE);
    for (const c of page) {
      // One string per station: a million cameras share a few hundred ids.
      const s = stations.get(c.stationId) ?? (stations.set(c.stationId, c.stationId), c.stationId);
      out.push({ ...c, stationId: s });
    }
    if (page.length < PAGE) return out;
    after = page[page.length - 1]!.id;
  }
}

export function syncedCameraIndex(deps: { repo: CameraPositionsRepository; bus: PgBus; log: Logger; rebuildAfter?: number }): SyncedIndex {
  const { repo, bus, log } = deps;
  let index: CameraIndex | null = null;
  let loading: Promise<CameraIndex> | null = null;
  // Changes that arrive while a load runs are re-read once it finishes.
  const pending = new Set<string>();

  const load = (): Promise<CameraIndex> => {
    loading ??= (async () => {
      try {
        const built = CameraIndex.build(await loadAll(repo));
        index = built;
        for (const id of [...pending]) {
          pending.delete(id);
          await applyOne(built, id);
        }
        return built;
      } finally {
        loading = null;
      }
    })();
    return loading;
  };

  async function applyOne(into: CameraIndex, id: string): Promise<void> {
    const cam = await repo.byId(id);
    into.apply(id, cam ?? null);
    const threshold = deps.rebuildAfter ?? Math.max(1000, Math.floor(into.size / 50));
    if (into.overlaySize > threshold && index === into) index = CameraIndex.build(into.all());
  }

  async function refresh(id: string): Promise<void> {
    if (!index || loading) {
      pending.add(id);
      return;
    }
    await applyOne(index, id);
  }

  const offBus = bus.on((m) => {
    let id: string | null = null;
    if (m.kind === 'camera' && typeof m.data.cameraId === 'string') id = m.data.cameraId;
    const payload = (m.data as { type?: string; payload?: { cameraId?: unknown } }).payload;
    if (m.kind === 'event' && typeof m.data.type === 'string' && m.data.type.startsWith('camera.') && typeof payload?.cameraId === 'string') id = payload.cameraId;
    if (id) void refresh(id).catch((err: unknown) => log.warn({ err, cameraId: id }, 'camera index refresh failed'));
  });
  const offResync = bus.onResync(() => {
    if (index) void load().catch((err: unknown) => log.warn({ err }, 'camera index reload failed'));
  });

  return {
    get: () => (index ? Promise.resolve(index) : load()),
    refresh,
    reload: load,
    close() {
      offBus();
      offResync();
    },
  };
}
