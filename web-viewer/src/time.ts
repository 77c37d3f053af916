// Every time on the page is shown in Asia/Shanghai; inputs are read as Shanghai wall-clock time.
import { lang } from './i18n/index.ts';

const TZ = 'Asia/Shanghai';

export function fmtTime(iso: string | Date | null | undefined, withOffset = false): string {
  if (!iso) return '—';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  const s = new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  }).format(d);
  return withOffset ? `${s} +08:00` : s;
}

export function fmtRange(w: { from: string; to: string } | null | undefined): string {
  if (!w) return '—';
  return `${fmtTime(w.from)} – ${fmtTime(w.to)} +08:00`;
}

/** "2026-11-24T08:00" (a datetime-local value meant as Shanghai time) → ISO instant. */
export function fromLocalInput(v: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) return null;
  return new Date(`${v}:00+08:00`).toISOString();
}

/** ISO instant → datetime-local value in Shanghai time. */
export function toLocalInput(iso: string | Date): string {
  const d = new Date(new Date(iso).getTime() + 8 * 3600_000);
  return d.toISOString().slice(0, 16);
}

/** Today's date (YYYY-MM-DD) in Beijing: at 02:00 there it is still yesterday in UTC. */
export function todayInShanghai(now: Date = new Date()): string {
  return toLocalInput(now).slice(0, 10);
}

export function fmtDuration(ms: number): string {
  if (ms <= 0) return '0:00';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
