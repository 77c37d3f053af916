// The cameras repository as the grants service sees it: "within a radius" and "inside a polygon" answered by
// the tracing camera index (the same selection as route tracing), every other listing unchanged.
import type { Uuid } from '../domain/types.ts';
import type { CameraFilter, CamerasRepository } from '../repositories/cameras.repository.ts';

export type AreaSelect = (sel: { near?: CameraFilter['near']; polygon?: CameraFilter['polygon'] }, limit: number) => Promise<Uuid[]>;

export function camerasWithIndexedArea(repo: CamerasRepository, area: AreaSelect): CamerasRepository {
  return {
    ...repo,
    async list(f: CameraFilter = {}) {
      if (!f.near && !f.polygon) return repo.list(f);
      // The index holds enabled cameras only; the grants service drops disabled ones from an area anyway.
      const limit = Math.min(f.limit ?? 1000, 100_000);
      const ids = await area({ near: f.near, polygon: f.polygon }, limit);
      if (ids.length === 0) return [];
      const { near: _near, polygon: _polygon, ...rest } = f;
      return repo.list({ ...rest, ids, limit });
    },
  };
}
