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
  /** Apply rows written since the last look (what no bus message announced, e.g. a moved camera). */
  catchUp(): Promise<number>;
  close(): void;
}

export async function loadAll(repo: CameraPositionsRepository): Promise<CameraPosition[]> {
  const out: CameraPosition[] = [];
  const stations = new Map<string, string>();
  await repo.scan(PAGE, (rows) => {
    for (const c of rows) {
      // One string per station: a million cameras share a few hundred ids.
      const s = stations.get(c.stationId);
      if (s === undefined) stations.set(c.stationId, c.stationId);
      else c.stationId = s;
      out.push(c);
    }
  });
  return out;
}

const CATCH_UP_MS = 15_000;
const CATCH_UP_PAGE = 5000;
// A transaction's now() is its start: a row committed just after the load carries an older stamp, so the first look reaches back.
const CATCH_UP_OVERLAP_MS = 5_000;
const ZERO_ID = '00000000-0000-0000-0000-000000000000';

/** Whether a re-read row differs from what the index holds in anything a search or decide() uses. */
function differs(a: CameraPosition | undefined, b: CameraPosition): boolean {
  return !a || a.lat !== b.lat || a.lon !== b.lon || a.enabled !== b.enabled || a.stationId !== b.stationId || a.villageId !== b.villageId
    || a.ownerClass !== b.ownerClass || a.ownerUserId !== b.ownerUserId || a.sharingMode !== b.sharingMode
    || a.delegatedToCommittee !== b.delegatedToCommittee || a.name !== b.name;
}

export function syncedCameraIndex(deps: { repo: CameraPositionsRepository; bus: PgBus; log: Logger; rebuildAfter?: number; catchUpMs?: number }): SyncedIndex {
  const { repo, bus, log } = deps;
  let index: CameraIndex | null = null;
  let cursor = { at: new Date(0), id: ZERO_ID };
  let loading: Promise<CameraIndex> | null = null;
  // Changes that arrive while a load runs are re-read once it finishes.
  const pending = new Set<string>();

  const load = (): Promise<CameraIndex> => {
    loading ??= (async () => {
      try {
        const mark = await repo.lastWrite();
        const built = CameraIndex.build(await loadAll(repo));
        cursor = { at: new Date(mark.getTime() - CATCH_UP_OVERLAP_MS), id: ZERO_ID };
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

  async function catchUp(): Promise<number> {
    if (!index || loading) return 0;
    const into = index;
    let applied = 0;
    for (let page = 0; page < 4; page++) {
      const rows = await repo.changedSince(cursor, CATCH_UP_PAGE);
      for (const r of rows) {
        const { removed, updatedAt, ...cam } = r;
        if (removed ? into.get(cam.id) !== undefined : differs(into.get(cam.id), cam)) {
          into.apply(cam.id, removed ? null : cam);
          applied++;
        }
        cursor = { at: updatedAt, id: cam.id };
      }
      if (rows.length < CATCH_UP_PAGE) break;
    }
    const threshold = deps.rebuildAfter ?? Math.max(1000, Math.floor(into.size / 50));
    if (into.overlaySize > threshold && index === into) index = CameraIndex.build(into.all());
    return applied;
  }
  const timer = setInterval(() => void catchUp().catch((err: unknown) => log.warn({ err }, 'camera index catch-up failed')), deps.catchUpMs ?? CATCH_UP_MS);
  timer.unref();

  const offBus = bus.on((m) => {
    let id: string | null = null;
    if (m.kind === 'camera' && typeof m.data.cameraId === 'string') id = m.data.cameraId;
    const payload = (m.data as { type?: string; payload?: { cameraId?: unknown } }).payload;
    // Health changes (camera.state) move nothing the index holds; enrolments and edits do.
    if (m.kind === 'event' && typeof m.data.type === 'string' && m.data.type.startsWith('camera.') && m.data.type !== 'camera.state' && typeof payload?.cameraId === 'string') id = payload.cameraId;
    if (id) void refresh(id).catch((err: unknown) => log.warn({ err, cameraId: id }, 'camera index refresh failed'));
  });
  const offResync = bus.onResync(() => {
    if (index) void load().catch((err: unknown) => log.warn({ err }, 'camera index reload failed'));
  });

  return {
    get: () => (index ? Promise.resolve(index) : load()),
    refresh,
    reload: load,
    catchUp,
    close() {
      clearInterval(timer);
      offBus();
      offResync();
    },
  };
}
