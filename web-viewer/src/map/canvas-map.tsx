// The offline map: boundaries and cameras drawn on one canvas (no tiles needed), clustered with supercluster
// so thousands of cameras stay fluid; pan by dragging, zoom with the wheel or buttons; draw a radius or polygon.
import { useEffect, useRef } from 'preact/hooks';
import Supercluster from 'supercluster';
import { fitBounds, fromScreen, metres, project, toScreen, type View } from './projection.ts';
import { t } from '../i18n/index.ts';

export interface MapPoint { id: string; lat: number; lon: number; cls: string; state: string; name: string }
export interface MapShape { kind: string; name: string; rings: number[][][]; labelAt?: [number, number]; own?: boolean }
export type Area = { near: { lat: number; lon: number; radiusM: number } } | { polygon: Array<[number, number]> } | null;
export type MapMode = 'browse' | 'pick' | 'radius' | 'polygon';

export interface CanvasMapProps {
  points: MapPoint[];
  shapes: MapShape[];
  tileUrl?: string | null;
  mode?: MapMode;
  selected?: Set<string>;
  area?: Area;
  onPick?: (id: string) => void;
  onArea?: (a: Area) => void;
  /** Changing this refits the view to the points and `fitRings` (or all shapes when there are neither). */
  fitKey?: string;
  fitRings?: number[][][];
  /** Drawn over the cameras (a route, numbered sightings); `at` gives a point's screen position. Redrawn when it changes. */
  overlay?: (ctx: CanvasRenderingContext2D, at: (lat: number, lon: number) => [number, number]) => void;
  /** A click on the map where there is no camera or cluster (browse and pick modes). */
  onMapClick?: (lat: number, lon: number) => void;
}

const CLASS_COLOUR: Record<string, string> = { police: '#1d4ed8', village: '#15803d', household: '#c2410c' };
const STATE_RING: Record<string, string> = { online: '#ffffff', offline: '#6b7280', auth_failed: '#dc2626', degraded: '#f59e0b' };

interface Hit { id: string; x: number; y: number; cluster: boolean; clusterId?: number; count?: number }

export function CanvasMap(props: CanvasMapProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const st = useRef({
    view: { lon: 116.5, lat: 35.5, zoom: 6 } as View,
    w: 0, h: 0, index: null as Supercluster | null, hits: [] as Hit[], props, raf: 0,
    drag: null as null | { x: number; y: number; view: View; moved: boolean; radiusFrom?: [number, number] },
    // fingers on the map, and a pinch in progress (the zoom it started from and the fingers' distance then)
    fingers: new Map<number, [number, number]>(), pinch: null as null | { d0: number; zoom0: number },
    draft: [] as Array<[number, number]>, tiles: new Map<string, HTMLImageElement>(), fitted: '',
  });
  st.current.props = props;

  const render = () => {
    const s = st.current;
    if (s.raf) return;
    s.raf = requestAnimationFrame(() => { s.raf = 0; draw(); });
  };

  const draw = () => {
    const s = st.current;
    const c = canvas.current;
    if (!c || !s.w) return;
    const ctx = c.getContext('2d')!;
    const dpr = devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#e8edf2';
    ctx.fillRect(0, 0, s.w, s.h);
    const p = s.props;
    const v = s.view;
    if (p.tileUrl) drawTiles(ctx, p.tileUrl);
    // boundaries: stations bold, villages light
    for (const shape of p.shapes) {
      const station = shape.kind !== 'village';
      ctx.beginPath();
      for (const ring of shape.rings) {
        ring.forEach(([lon, lat], i) => {
          const [x, y] = toScreen(v, s.w, s.h, lon!, lat!);
          if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
        });
        ctx.closePath();
      }
      ctx.fillStyle = shape.own ? 'rgba(219,234,254,0.7)' : station ? 'rgba(255,255,255,0.55)' : 'rgba(21,128,61,0.06)';
      ctx.fill('evenodd');
      ctx.strokeStyle = shape.own ? '#1d4ed8' : station ? '#475569' : '#86a38f';
      ctx.lineWidth = shape.own ? 2.4 : station ? 1.6 : 0.8;
      ctx.setLineDash(station ? [] : [4, 3]);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.font = '12px system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif';
    ctx.textAlign = 'center';
    for (const shape of p.shapes) {
      if (!shape.labelAt || (shape.kind === 'village' && v.zoom < 12)) continue;
      const [x, y] = toScreen(v, s.w, s.h, shape.labelAt[0], shape.labelAt[1]);
      if (x < -50 || y < -20 || x > s.w + 50 || y > s.h + 20) continue;
      ctx.fillStyle = shape.kind === 'village' ? '#3f6b4c' : '#1e293b';
      ctx.font = shape.kind === 'village' ? '12px system-ui, "PingFang SC", "WenQuanYi Micro Hei", sans-serif' : 'bold 13px system-ui, "PingFang SC", "WenQuanYi Micro Hei", sans-serif';
      ctx.fillText(shape.name, x, shape.kind === 'village' ? y : y + 18);
    }
    drawArea(ctx);
    // cameras and clusters
    s.hits = [];
    if (s.index) {
      const [west, north] = fromScreen(v, s.w, s.h, -20, -20);
      const [east, south] = fromScreen(v, s.w, s.h, s.w + 20, s.h + 20);
      // clustered for the zoom level below the view's, so clusters never sit closer than the cluster radius
      const feats = s.index.getClusters([west, south, east, north], Math.floor(v.zoom));
      for (const f of feats) {
        const [lon, lat] = f.geometry.coordinates as [number, number];
        const [x, y] = toScreen(v, s.w, s.h, lon, lat);
        const props = f.properties as { cluster?: boolean; cluster_id?: number; point_count?: number; id?: string; cls?: string; state?: string; name?: string };
        if (props.cluster) {
          const n = props.point_count ?? 0;
          const r = 10 + Math.min(12, Math.log2(n) * 1.8);
          ctx.beginPath();
          ctx.arc(x, y, r, 0, Math.PI * 2);
          ctx.fillStyle = 'rgba(30,64,175,0.82)';
          ctx.fill();
          ctx.lineWidth = 3;
          ctx.strokeStyle = 'rgba(255,255,255,0.9)';
          ctx.stroke();
          ctx.fillStyle = '#fff';
          ctx.font = 'bold 12px system-ui, sans-serif';
          ctx.fillText(String(n), x, y + 4);
          s.hits.push({ id: `c${props.cluster_id}`, x, y, cluster: true, clusterId: props.cluster_id, count: n });
        } else {
          const sel = p.selected?.has(props.id!);
          ctx.beginPath();
          ctx.arc(x, y, sel ? 8 : 6, 0, Math.PI * 2);
          ctx.fillStyle = props.state === 'offline' ? '#9ca3af' : (CLASS_COLOUR[props.cls!] ?? '#334155');
          ctx.fill();
          ctx.lineWidth = 2;
          ctx.strokeStyle = STATE_RING[props.state!] ?? '#ffffff';
          ctx.stroke();
          if (sel) {
            ctx.beginPath();
            ctx.arc(x, y, 12, 0, Math.PI * 2);
            ctx.strokeStyle = '#facc15';
            ctx.lineWidth = 3;
            ctx.stroke();
          }
          if (v.zoom >= 14) {
            ctx.fillStyle = '#0f172a';
            ctx.font = '11px system-ui, "PingFang SC", sans-serif';
            ctx.fillText(props.name ?? '', x, y - 11);
          }
          s.hits.push({ id: props.id!, x, y, cluster: false });
        }
      }
    }
    if (p.overlay) {
      ctx.save();
      p.overlay(ctx, (lat, lon) => toScreen(v, s.w, s.h, lon, lat));
      ctx.restore();
    }
    c.dataset.ready = '1';
    c.dataset.shapes = String(p.shapes.length);
    // for tests: what the view was last fitted to, and how many corners of a polygon are drawn so far
    c.dataset.fitted = s.fitted;
    c.dataset.corners = String(s.draft.length);
    c.dataset.zoom = v.zoom.toFixed(2);
  };

  const drawArea = (ctx: CanvasRenderingContext2D) => {
    const s = st.current;
    const v = s.view;
    const a = s.props.area;
    ctx.fillStyle = 'rgba(234,179,8,0.16)';
    ctx.strokeStyle = '#ca8a04';
    ctx.lineWidth = 2;
    if (a && 'near' in a) {
      const [x, y] = toScreen(v, s.w, s.h, a.near.lon, a.near.lat);
      const [x2] = toScreen(v, s.w, s.h, a.near.lon + a.near.radiusM / (111_320 * Math.cos((a.near.lat * Math.PI) / 180)), a.near.lat);
      ctx.beginPath();
      ctx.arc(x, y, Math.abs(x2 - x), 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    }
    const poly = a && 'polygon' in a ? a.polygon : s.draft;
    if (poly.length > 0) {
      ctx.beginPath();
      poly.forEach(([lon, lat], i) => {
        const [x, y] = toScreen(v, s.w, s.h, lon, lat);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      if (a && 'polygon' in a) { ctx.closePath(); ctx.fill(); }
      ctx.stroke();
    }
    // the corners of a polygon being drawn, the first one bigger: tapping it closes the polygon
    s.draft.forEach(([lon, lat], i) => {
      const [x, y] = toScreen(v, s.w, s.h, lon, lat);
      ctx.beginPath();
      ctx.arc(x, y, i === 0 ? 7 : 4, 0, Math.PI * 2);
      ctx.fillStyle = '#ffffff';
      ctx.fill();
      ctx.stroke();
    });
  };

  const drawTiles = (ctx: CanvasRenderingContext2D, template: string) => {
    const s = st.current;
    const z = Math.max(0, Math.min(19, Math.round(s.view.zoom)));
    const scale = 2 ** (s.view.zoom - z);
    const [cx, cy] = project(s.view.lon, s.view.lat, z);
    const x0 = Math.floor((cx - s.w / 2 / scale) / 256);
    const y0 = Math.floor((cy - s.h / 2 / scale) / 256);
    const x1 = Math.floor((cx + s.w / 2 / scale) / 256);
    const y1 = Math.floor((cy + s.h / 2 / scale) / 256);
    for (let tx = x0; tx <= x1; tx++) {
      for (let ty = y0; ty <= y1; ty++) {
        if (ty < 0 || ty >= 2 ** z) continue;
        const url = template.replace('{z}', String(z)).replace('{x}', String(((tx % 2 ** z) + 2 ** z) % 2 ** z)).replace('{y}', String(ty));
        let img = s.tiles.get(url);
        if (!img) {
          img = new Image();
          img.onload = render;
          img.src = url;
          s.tiles.set(url, img);
        }
        if (img.complete && img.naturalWidth) {
          ctx.drawImage(img, (tx * 256 - cx) * scale + s.w / 2, (ty * 256 - cy) * scale + s.h / 2, 256 * scale, 256 * scale);
        }
      }
    }
  };

  const fit = () => {
    const s = st.current;
    const p = s.props;
    let b: [number, number, number, number] | null = null;
    const add = (lon: number, lat: number) => {
      b = b ? [Math.min(b[0], lon), Math.min(b[1], lat), Math.max(b[2], lon), Math.max(b[3], lat)] : [lon, lat, lon, lat];
    };
    for (const pt of p.points) add(pt.lon, pt.lat);
    for (const r of p.fitRings ?? []) for (const [lon, lat] of r) add(lon!, lat!);
    if (!b) for (const sh of p.shapes) for (const r of sh.rings) for (const [lon, lat] of r) add(lon!, lat!);
    if (b && s.w) {
      const bb = b as [number, number, number, number];
      if (bb[2] - bb[0] < 0.01) { bb[0] -= 0.02; bb[2] += 0.02; bb[1] -= 0.02; bb[3] += 0.02; }
      s.view = fitBounds(bb, s.w, s.h);
    }
    render();
  };

  // size
  useEffect(() => {
    const ro = new ResizeObserver(() => {
      const s = st.current;
      const el = wrap.current;
      if (!el || !canvas.current) return;
      s.w = el.clientWidth;
      s.h = el.clientHeight;
      const dpr = devicePixelRatio || 1;
      canvas.current!.width = Math.round(s.w * dpr);
      canvas.current!.height = Math.round(s.h * dpr);
      if (!s.fitted) { s.fitted = props.fitKey ?? 'init'; fit(); }
      render();
    });
    ro.observe(wrap.current!);
    // A hook for browser tests and the bench: where a lat/lon is on screen, and what is drawn.
    (window as unknown as { shouwangMap: unknown }).shouwangMap = {
      toScreen: (lat: number, lon: number) => {
        const s = st.current;
        const r = canvas.current!.getBoundingClientRect();
        const [x, y] = toScreen(s.view, s.w, s.h, lon, lat);
        return { x: r.left + x, y: r.top + y };
      },
      drawn: () => st.current.hits.length,
      setView: (v: View) => { st.current.view = v; render(); },
    };
    return () => { ro.disconnect(); cancelAnimationFrame(st.current.raf); };
  }, []);

  // points → cluster index
  useEffect(() => {
    const idx = new Supercluster({ radius: 56, maxZoom: 15 });
    idx.load(props.points.map((p) => ({ type: 'Feature' as const, geometry: { type: 'Point' as const, coordinates: [p.lon, p.lat] }, properties: { id: p.id, cls: p.cls, state: p.state, name: p.name } })));
    st.current.index = idx;
    render();
  }, [props.points]);

  useEffect(() => {
    if (props.fitKey !== undefined && props.fitKey !== st.current.fitted && st.current.w) { st.current.fitted = props.fitKey; fit(); }
  }, [props.fitKey, props.points, props.shapes]);

  useEffect(() => { if (props.mode !== 'polygon') st.current.draft = []; render(); }, [props.shapes, props.selected, props.area, props.mode, props.tileUrl, props.overlay]);

  const local = (e: MouseEvent): [number, number] => {
    const r = canvas.current!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };

  const spread = (): { d: number; x: number; y: number } => {
    const [a, b] = [...st.current.fingers.values()] as [[number, number], [number, number]];
    return { d: Math.max(1, Math.hypot(a[0] - b[0], a[1] - b[1])), x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2 };
  };
  const onDown = (e: PointerEvent) => {
    const s = st.current;
    const [x, y] = local(e);
    canvas.current!.setPointerCapture(e.pointerId);
    s.fingers.set(e.pointerId, [x, y]);
    if (s.fingers.size === 2) {
      // a second finger: pinch to zoom instead of panning, drawing or picking
      s.drag = null;
      s.pinch = { d0: spread().d, zoom0: s.view.zoom };
      return;
    }
    if (s.pinch) return;
    s.drag = { x, y, view: { ...s.view }, moved: false };
    if (s.props.mode === 'radius') s.drag.radiusFrom = fromScreen(s.view, s.w, s.h, x, y);
  };
  const onMove = (e: PointerEvent) => {
    const s = st.current;
    if (s.fingers.has(e.pointerId)) s.fingers.set(e.pointerId, local(e));
    if (s.pinch && s.fingers.size >= 2) {
      const p = spread();
      zoomBy(s.pinch.zoom0 + Math.log2(p.d / s.pinch.d0) - s.view.zoom, p.x, p.y);
      return;
    }
    const d = s.drag;
    if (!d) return;
    const [x, y] = local(e);
    if (Math.abs(x - d.x) + Math.abs(y - d.y) > 4) d.moved = true;
    if (!d.moved) return;
    if (d.radiusFrom) {
      const [lon, lat] = fromScreen(s.view, s.w, s.h, x, y);
      const [lon0, lat0] = d.radiusFrom;
      s.props.onArea?.({ near: { lat: round6(lat0), lon: round6(lon0), radiusM: Math.max(10, Math.round(metres(lat0, lon0, lat, lon))) } });
      return;
    }
    const [cx, cy] = project(d.view.lon, d.view.lat, d.view.zoom);
    const [lon, lat] = (() => {
      const w = 256 * 2 ** d.view.zoom;
      const nx = cx - (x - d.x);
      const ny = cy - (y - d.y);
      const lon2 = (nx / w) * 360 - 180;
      const n = Math.PI - (2 * Math.PI * ny) / w;
      return [lon2, (180 / Math.PI) * Math.atan(0.5 * (Math.exp(n) - Math.exp(-n)))];
    })();
    s.view = { lon: lon!, lat: lat!, zoom: d.view.zoom };
    render();
  };
  const onUp = (e: PointerEvent) => {
    const s = st.current;
    s.fingers.delete(e.pointerId);
    if (s.pinch) {
      // the pinch ends with its last finger; lifting fingers is neither a tap nor the start of a pan
      if (s.fingers.size === 0) s.pinch = null;
      s.drag = null;
      return;
    }
    const d = s.drag;
    s.drag = null;
    if (!d || d.moved) return;
    const [x, y] = local(e);
    if (s.props.mode === 'polygon') {
      // a tap on the first corner closes the polygon (a double tap is hard to time on a phone)
      const first = s.draft[0];
      if (first && s.draft.length >= 3) {
        const [fx, fy] = toScreen(s.view, s.w, s.h, first[0], first[1]);
        if ((fx - x) ** 2 + (fy - y) ** 2 < 16 * 16) {
          s.props.onArea?.({ polygon: s.draft });
          s.draft = [];
          return;
        }
      }
      const [lon, lat] = fromScreen(s.view, s.w, s.h, x, y);
      s.draft = [...s.draft, [round6(lon), round6(lat)]];
      render();
      return;
    }
    let best: Hit | null = null;
    let bestD = 14 * 14;
    for (const h of s.hits) {
      const dd = (h.x - x) ** 2 + (h.y - y) ** 2;
      if (dd < bestD) { best = h; bestD = dd; }
    }
    if (!best) {
      const [lon, lat] = fromScreen(s.view, s.w, s.h, x, y);
      s.props.onMapClick?.(round6(lat), round6(lon));
      return;
    }
    if (best.cluster && s.index) {
      const z = Math.min(18, s.index.getClusterExpansionZoom(best.clusterId!));
      const [lon, lat] = fromScreen(s.view, s.w, s.h, best.x, best.y);
      s.view = { lon, lat, zoom: Math.max(z, s.view.zoom + 1) };
      render();
    } else {
      s.props.onPick?.(best.id);
    }
  };
  const onCancel = (e: PointerEvent) => {
    const s = st.current;
    s.fingers.delete(e.pointerId);
    if (s.fingers.size === 0) s.pinch = null;
    s.drag = null;
  };
  const onDbl = (e: MouseEvent) => {
    const s = st.current;
    e.preventDefault();
    if (s.props.mode === 'polygon' && s.draft.length >= 3) {
      s.props.onArea?.({ polygon: s.draft });
      s.draft = [];
    } else if (s.props.mode !== 'polygon') zoomBy(1, ...local(e));
  };
  const zoomBy = (dz: number, sx?: number, sy?: number) => {
    const s = st.current;
    const px = sx ?? s.w / 2;
    const py = sy ?? s.h / 2;
    const [lon, lat] = fromScreen(s.view, s.w, s.h, px, py);
    const zoom = Math.max(3, Math.min(19, s.view.zoom + dz));
    // keep the point under the cursor where it is
    const [x, y] = project(lon, lat, zoom);
    const [clon, clat] = (() => {
      const w = 256 * 2 ** zoom;
      const cx = x - (px - s.w / 2);
      const cy = y - (py - s.h / 2);
      const n = Math.PI - (2 * Math.PI * cy) / w;
      return [(cx / w) * 360 - 180, (180 / Math.PI) * Math.atan(0.5 * (Math.exp(n) - Math.exp(-n)))];
    })();
    s.view = { lon: clon!, lat: clat!, zoom };
    render();
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    zoomBy(e.deltaY < 0 ? 0.5 : -0.5, ...local(e));
  };

  return (
    <div class={`map mode-${props.mode ?? 'browse'}`} ref={wrap}>
      <canvas ref={canvas} data-testid="map-canvas" onPointerDown={onDown} onPointerMove={onMove} onPointerUp={onUp} onPointerCancel={onCancel} onDblClick={onDbl} onWheel={onWheel} />
      <div class="map-controls">
        <button onClick={() => zoomBy(1)} title={t('map.zoomIn')}>＋</button>
        <button onClick={() => zoomBy(-1)} title={t('map.zoomOut')}>－</button>
        <button onClick={fit} title={t('map.fit')}>⤢</button>
      </div>
    </div>
  );
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
