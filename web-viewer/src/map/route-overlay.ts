// Draws a case on the canvas map: reachable cameras ringed by whether you may already view them, the reach
// origin, and the route — sightings joined in time order with arrows, numbered as in the list.
export interface RouteOverlayInput {
  route: Array<{ id: string; at: { lat: number; lon: number } | null }>;
  reach: Array<{ lat: number; lon: number; canView: boolean; focused: boolean }>;
  origin: { lat: number; lon: number } | null;
  selected: string | null;
  picked: { lat: number; lon: number } | null;
}

type At = (lat: number, lon: number) => [number, number];

const ROUTE = '#dc2626';

export function drawRoute(input: RouteOverlayInput) {
  return (ctx: CanvasRenderingContext2D, at: At) => {
    for (const c of input.reach) {
      const [x, y] = at(c.lat, c.lon);
      ctx.beginPath();
      ctx.arc(x, y, c.focused ? 13 : 10, 0, Math.PI * 2);
      ctx.strokeStyle = c.canView ? '#16a34a' : '#d97706';
      ctx.lineWidth = c.focused ? 3.5 : 2.2;
      ctx.setLineDash(c.canView ? [] : [3, 2]);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    if (input.origin) {
      const [x, y] = at(input.origin.lat, input.origin.lon);
      ctx.beginPath();
      ctx.moveTo(x - 7, y); ctx.lineTo(x + 7, y); ctx.moveTo(x, y - 7); ctx.lineTo(x, y + 7);
      ctx.strokeStyle = '#92400e';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    // several sightings on one camera sit side by side rather than on top of each other
    const seen = new Map<string, number>();
    const pts = input.route.filter((s) => s.at).map((s) => {
      const [x, y] = at(s.at!.lat, s.at!.lon);
      const key = `${Math.round(x)},${Math.round(y)}`;
      const k = seen.get(key) ?? 0;
      seen.set(key, k + 1);
      return { id: s.id, x: x + 15 + k * 18, y: y + 14, cx: x, cy: y };
    });
    if (pts.length > 1) {
      ctx.beginPath();
      pts.forEach((p, i) => (i === 0 ? ctx.moveTo(p.cx, p.cy) : ctx.lineTo(p.cx, p.cy)));
      ctx.strokeStyle = 'rgba(220,38,38,0.85)';
      ctx.lineWidth = 3.5;
      ctx.lineJoin = 'round';
      ctx.stroke();
      for (let i = 1; i < pts.length; i++) arrow(ctx, pts[i - 1]!, pts[i]!);
    }
    if (input.picked) {
      const [x, y] = at(input.picked.lat, input.picked.lon);
      ctx.beginPath();
      ctx.arc(x, y, 16, 0, Math.PI * 2);
      ctx.strokeStyle = '#7c3aed';
      ctx.lineWidth = 3;
      ctx.stroke();
    }
    ctx.font = 'bold 12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    pts.forEach((p, i) => {
      // a pin beside the camera (its name is above it), so the camera dot stays readable and clickable
      ctx.beginPath();
      ctx.moveTo(p.cx, p.cy);
      ctx.lineTo(p.x, p.y);
      ctx.strokeStyle = ROUTE;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(p.x, p.y, 10, 0, Math.PI * 2);
      ctx.fillStyle = p.id === input.selected ? '#7f1d1d' : ROUTE;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
      ctx.fillStyle = '#fff';
      ctx.fillText(String(i + 1), p.x, p.y + 4);
    });
  };
}

function arrow(ctx: CanvasRenderingContext2D, a: { cx: number; cy: number }, b: { cx: number; cy: number }) {
  const dx = b.cx - a.cx;
  const dy = b.cy - a.cy;
  const len = Math.hypot(dx, dy);
  if (len < 30) return;
  const mx = a.cx + dx / 2;
  const my = a.cy + dy / 2;
  const ang = Math.atan2(dy, dx);
  ctx.beginPath();
  ctx.moveTo(mx + Math.cos(ang) * 7, my + Math.sin(ang) * 7);
  ctx.lineTo(mx + Math.cos(ang + 2.5) * 7, my + Math.sin(ang + 2.5) * 7);
  ctx.lineTo(mx + Math.cos(ang - 2.5) * 7, my + Math.sin(ang - 2.5) * 7);
  ctx.closePath();
  ctx.fillStyle = ROUTE;
  ctx.fill();
}
