// Web Mercator in world pixels (256 · 2^zoom per world width), the same as any slippy-map tile source.
export interface View { lon: number; lat: number; zoom: number }

export function worldSize(zoom: number): number {
  return 256 * 2 ** zoom;
}

export function project(lon: number, lat: number, zoom: number): [number, number] {
  const w = worldSize(zoom);
  const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return [((lon + 180) / 360) * w, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * w];
}

export function unproject(x: number, y: number, zoom: number): [number, number] {
  const w = worldSize(zoom);
  const lon = (x / w) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * y) / w;
  const lat = (180 / Math.PI) * Math.atan(0.5 * (Math.exp(n) - Math.exp(-n)));
  return [lon, lat];
}

/** Screen position (CSS px) of a point, for a view centred in a box of width × height. */
export function toScreen(view: View, width: number, height: number, lon: number, lat: number): [number, number] {
  const [cx, cy] = project(view.lon, view.lat, view.zoom);
  const [x, y] = project(lon, lat, view.zoom);
  return [x - cx + width / 2, y - cy + height / 2];
}

export function fromScreen(view: View, width: number, height: number, sx: number, sy: number): [number, number] {
  const [cx, cy] = project(view.lon, view.lat, view.zoom);
  return unproject(cx + sx - width / 2, cy + sy - height / 2, view.zoom);
}

/** The view that shows a bounding box [west, south, east, north] in a box of width × height. */
export function fitBounds(b: [number, number, number, number], width: number, height: number, pad = 40): View {
  const [w, s, e, n] = b;
  let zoom = 18;
  for (; zoom > 2; zoom -= 0.25) {
    const [x1, y1] = project(w, n, zoom);
    const [x2, y2] = project(e, s, zoom);
    if (x2 - x1 <= width - 2 * pad && y2 - y1 <= height - 2 * pad) break;
  }
  const [x1, y1] = project(w, n, zoom);
  const [x2, y2] = project(e, s, zoom);
  const [lon, lat] = unproject((x1 + x2) / 2, (y1 + y2) / 2, zoom);
  return { lon, lat, zoom };
}

/** Metres between two points (haversine), for the radius a user drags. */
export function metres(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = 6_371_000;
  const toRad = Math.PI / 180;
  const dLat = (lat2 - lat1) * toRad;
  const dLon = (lon2 - lon1) * toRad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * toRad) * Math.cos(lat2 * toRad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(a));
}
