// Recorded playback against the footage API (GET /cameras/:id/recordings, HLS at /media/playback/:id/index.m3u8):
// a timeline of recorded ranges, gaps and the granted window; click to seek; 1×–8×. Says so where the gateway
// has no recordings API yet.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, rawCall, urlOf } from '../api/client.ts';
import { useShell } from '../context.ts';
import { t } from '../i18n/index.ts';
import { fmtTime, fromLocalInput, toLocalInput } from '../time.ts';
import { ErrorLine } from '../ui.tsx';

interface Range { from: string; to: string }
interface Recordings { ranges: Range[]; gaps: Range[] }
const SPEEDS = [1, 2, 4, 8] as const;

export function PlaybackPage() {
  const shell = useShell();
  const cameraId = shell.query.get('camera') ?? '';
  const grantId = shell.query.get('grant') ?? undefined;
  const [from, setFrom] = useState(toLocalInput(new Date(Date.now() - 3600_000)));
  const [to, setTo] = useState(toLocalInput(new Date()));
  const [rec, setRec] = useState<Recordings | null>(null);
  const [window_, setWindow] = useState<Range | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [speed, setSpeed] = useState(1);
  const video = useRef<HTMLVideoElement>(null);
  const hls = useRef<{ destroy(): void } | null>(null);

  const load = async () => {
    setError(null);
    const f = fromLocalInput(from);
    const tt = fromLocalInput(to);
    if (!cameraId || !f || !tt) return;
    try {
      const res = await rawCall('get', urlOf(`/api/v1/cameras/${cameraId}/recordings`, {}, { from: f, to: tt }));
      const body = (await res.json()) as { ranges?: Range[]; segments?: Range[]; items?: Range[]; gaps?: Range[] };
      setRec({ ranges: body.ranges ?? body.segments ?? body.items ?? [], gaps: body.gaps ?? [] });
      const tok = await api('post', '/api/v1/play-tokens', { body: { cameraId, action: 'playback', footage: { from: f, to: tt }, ...(grantId ? { grantId } : {}) } });
      setWindow(tok.footage);
      const { default: Hls } = await import('hls.js');
      hls.current?.destroy();
      const src = urlOf(`/media/playback/${cameraId}/index.m3u8`, {}, { token: (tok as unknown as { token: string }).token, from: tok.footage?.from ?? f, to: tok.footage?.to ?? tt });
      if (Hls.isSupported()) {
        const h = new Hls({ enableWorker: false });
        h.loadSource(src);
        h.attachMedia(video.current!);
        hls.current = h;
      } else {
        video.current!.src = src;
      }
      void video.current!.play().catch(() => undefined);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setUnavailable(true);
      setError(e);
    }
  };
  useEffect(() => () => hls.current?.destroy(), []);
  useEffect(() => { if (video.current) video.current.playbackRate = speed; }, [speed]);

  const span = (() => {
    const a = new Date(fromLocalInput(from) ?? Date.now()).getTime();
    const b = new Date(fromLocalInput(to) ?? Date.now()).getTime();
    return { a, b, len: Math.max(1, b - a) };
  })();
  const pct = (iso: string) => Math.min(100, Math.max(0, (100 * (new Date(iso).getTime() - span.a)) / span.len));
  const seek = (e: MouseEvent) => {
    const el = e.currentTarget as HTMLElement;
    const r = el.getBoundingClientRect();
    const at = span.a + ((e.clientX - r.left) / r.width) * span.len;
    const start = new Date(window_?.from ?? span.a).getTime();
    if (video.current) video.current.currentTime = Math.max(0, (at - start) / 1000);
  };

  return (
    <div class="playback-page">
      <h2>{t('playback.title')}</h2>
      <div class="filters">
        <label>{t('request.footageFrom')}<input type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} /></label>
        <label>{t('request.footageTo')}<input type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} /></label>
        <button class="primary" disabled={!cameraId} onClick={() => void load()}>{t('playback.load')}</button>
        <span>{t('playback.speed')}</span>
        {SPEEDS.map((s) => <button key={s} class={s === speed ? 'active' : ''} onClick={() => setSpeed(s)}>{`${s}×`}</button>)}
      </div>
      <p class="muted small">{t('common.tz')}</p>
      {unavailable && <p class="banner info">{t('playback.unavailable')}</p>}
      <ErrorLine error={unavailable ? null : error} />
      <div class="timeline" onClick={seek} data-testid="timeline">
        {rec?.ranges.map((r, i) => <span key={`r${i}`} class="rec" style={{ left: `${pct(r.from)}%`, width: `${pct(r.to) - pct(r.from)}%` }} title={`${fmtTime(r.from)} – ${fmtTime(r.to)}`} />)}
        {rec?.gaps.map((r, i) => <span key={`g${i}`} class="gap" style={{ left: `${pct(r.from)}%`, width: `${pct(r.to) - pct(r.from)}%` }} />)}
        {window_ && <span class="window" style={{ left: `${pct(window_.from)}%`, width: `${pct(window_.to) - pct(window_.from)}%` }} />}
      </div>
      <div class="legend small"><span><i class="swatch rec" />{t('playback.recorded')}</span><span><i class="swatch gap" />{t('playback.gap')}</span><span><i class="swatch window" />{t('playback.window')}</span></div>
      {rec && rec.ranges.length === 0 && <p class="muted">{t('playback.noRecordings')}</p>}
      <video ref={video} class="playback-video" controls muted playsInline />
    </div>
  );
}
