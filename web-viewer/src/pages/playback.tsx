// Recorded playback: GET /cameras/:id/recordings lists what the user may see (recorded ranges from the gateway or
// the camera's SD card, gaps, the visible window: everything for their own cameras, a grant's footage window
// otherwise); a play token for the chosen window opens the HLS VOD playlist /media/playback/:id/index.m3u8, played
// by hls.js (loaded only here). Positions are wall clock, from each segment's EXT-X-PROGRAM-DATE-TIME; click the
// timeline to seek, drag across it to play just that window, 1×–8× is the player's playbackRate, and the player
// stops at the window's end. Below the player: a frame snapshot (PNG) and the evidence export of the window.
import { useEffect, useRef, useState } from 'preact/hooks';
import type Hls from 'hls.js';
import { api, ApiError, rawCall, urlOf, type ApiResponse } from '../api/client.ts';
import { useShell } from '../context.ts';
import { t } from '../i18n/index.ts';
import { fmtRange, fmtTime, fromLocalInput, toLocalInput } from '../time.ts';
import { ErrorLine } from '../ui.tsx';
import { cameraName } from '../camera-names.ts';
import { fileStem, saveBlob } from '../download.ts';
import { ExportPanel } from './export-panel.tsx';

interface Win { from: string; to: string }
type Listing = ApiResponse<'/api/v1/cameras/{cameraId}/recordings', 'get'>;
/** A segment of the playlist: media time `start` (s) shows wall clock `pdt` (ms). */
interface Frag { start: number; duration: number; pdt: number }
type State = 'idle' | 'loading' | 'playing' | 'paused' | 'ended';

const ms = (iso: string) => new Date(iso).getTime();

function intersect(a: Win, b: Win): Win | null {
  const from = Math.max(ms(a.from), ms(b.from));
  const to = Math.min(ms(a.to), ms(b.to));
  return from < to ? { from: new Date(from).toISOString(), to: new Date(to).toISOString() } : null;
}

/** Wall clock (ms) shown at media time `tSec`, or null before the playlist is known. */
function wallAt(frags: Frag[], tSec: number): number | null {
  if (frags.length === 0) return null;
  let f = frags[0]!;
  for (const x of frags) if (x.start <= tSec) f = x;
  return f.pdt + (tSec - f.start) * 1000;
}

/** Media time (s) of wall clock `wall`: inside a segment, or the start of the next one after a gap. */
function mediaAt(frags: Frag[], wall: number): number | null {
  for (const f of frags) {
    if (wall < f.pdt) return f.start;
    if (wall < f.pdt + f.duration * 1000) return f.start + (wall - f.pdt) / 1000;
  }
  return null;
}

export function PlaybackPage() {
  const shell = useShell();
  const cameraId = shell.query.get('camera') ?? '';
  const grantParam = shell.query.get('grant') ?? undefined;
  const qFrom = shell.query.get('from');
  const qTo = shell.query.get('to');
  const [from, setFrom] = useState(toLocalInput(qFrom ?? new Date(Date.now() - 3600_000)));
  const [to, setTo] = useState(toLocalInput(qTo ?? new Date()));
  const [listing, setListing] = useState<Listing | null>(null);
  const [played, setPlayed] = useState<Win | null>(null);
  const [state, setState] = useState<State>('idle');
  const [position, setPosition] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [speed, setSpeed] = useState(1);
  const video = useRef<HTMLVideoElement>(null);
  const hls = useRef<Hls | null>(null);
  const frags = useRef<Frag[]>([]);
  const playedRef = useRef<Win | null>(null);
  const pressX = useRef<number | null>(null);
  const renewTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [renewals, setRenewals] = useState(0);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  // to the second, from the query (a grant's footage window) until the inputs (to the minute) are edited
  const [exact, setExact] = useState<Win | null>(qFrom && qTo ? { from: new Date(qFrom).toISOString(), to: new Date(qTo).toISOString() } : null);

  /** The window the inputs choose, as ISO instants. */
  const chosen = (): Win | null => {
    if (exact) return exact;
    const f = fromLocalInput(from);
    const tt = fromLocalInput(to);
    return f && tt ? { from: f, to: tt } : null;
  };

  const stop = () => {
    clearTimeout(renewTimer.current);
    hls.current?.destroy();
    hls.current = null;
    frags.current = [];
  };

  const load = async () => {
    setError(null);
    const w = chosen();
    if (!cameraId || !w) return;
    try {
      const l = await api('get', '/api/v1/cameras/{cameraId}/recordings', { params: { cameraId }, query: { from: w.from, to: w.to } });
      setListing(l);
      // the camera's name (for file names and the exports list), told by the listing to whoever may see its footage
      if (l.cameraName) setNames((n) => new Map([...n, [l.cameraId, l.cameraName!]]));
    } catch (e) {
      setListing(null);
      setError(e);
    }
  };

  /**
   * Plays `win`'s playlist with `tok` on the video from media time `startAt`, and renews the token before it
   * expires: the gateway closes a playback when its token expires, so the renewal opens the same window again with
   * a new token and carries on at the same point (same window, same media timeline).
   */
  const open = async (win: Win, grantId: string | undefined, tok: { token: string; expiresAt: string }, rate: number, autoplay: boolean, startAt?: number) => {
    const src = urlOf(`/media/playback/${encodeURIComponent(cameraId)}/index.m3u8`, {}, { token: tok.token, from: win.from, to: win.to });
    const { default: HlsJs } = await import('hls.js');
    const el = video.current!;
    clearTimeout(renewTimer.current);
    hls.current?.destroy();
    const h = new HlsJs({ enableWorker: false, ...(startAt !== undefined ? { startPosition: startAt } : {}) });
    hls.current = h;
    h.on(HlsJs.Events.LEVEL_LOADED, (_e, data) => {
      frags.current = data.details.fragments
        .filter((f) => f.programDateTime !== null)
        .map((f) => ({ start: f.start, duration: f.duration, pdt: f.programDateTime! }));
    });
    h.on(HlsJs.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      stop();
      setState('idle');
      const status = data.response?.code ?? 0;
      const url = data.url ?? data.frag?.url ?? data.context?.url;
      // the gateway's error body says why (token, grant, not recorded); hls.js keeps only the status
      if (status >= 400 && url) void rawCall('get', url).then(() => setError(new ApiError(status, 'media_error', data.details)), setError);
      else setError(new ApiError(status, 'media_error', data.details));
    });
    h.loadSource(src);
    h.attachMedia(el);
    el.defaultPlaybackRate = rate;
    el.playbackRate = rate;
    if (autoplay) await el.play().catch(() => undefined);
    const left = ms(tok.expiresAt) - Date.now();
    // with a fifth of the lifetime (at least 10 s) to spare, as live tiles do
    renewTimer.current = setTimeout(() => void renew(win, grantId), Math.max(1000, left - Math.max(10_000, left / 5)));
  };

  const renew = async (win: Win, grantId: string | undefined) => {
    const el = video.current;
    if (!el || !hls.current) return;
    try {
      const tok = await api('post', '/api/v1/play-tokens', { body: { cameraId, action: 'playback', footage: win, ...(grantId ? { grantId } : {}) } });
      if (!hls.current) return; // stopped meanwhile
      const ended = el.ended || (playedRef.current !== null && (wallAt(frags.current, el.currentTime) ?? 0) >= ms(win.to));
      const paused = el.paused;
      await open(win, grantId, tok, el.playbackRate, !paused && !ended, el.currentTime);
      setRenewals((n) => n + 1);
    } catch (e) {
      stop();
      setState('idle');
      setError(e);
    }
  };

  /** Plays `pick` (a window dragged on the timeline) or the chosen window, within what the listing shows. */
  const play = async (pick?: Win) => {
    setError(null);
    const w = pick ?? chosen();
    if (!cameraId || !w || !listing) return;
    // what may be played: the chosen window inside the first visible (own or granted) window it meets
    const vis = listing.visible.map((v) => ({ v, w: intersect(w, v) })).find((x) => x.w);
    if (!vis?.w) {
      setError(new ApiError(403, 'footage_outside_grant', 'outside the visible window'));
      return;
    }
    stop();
    setState('loading');
    try {
      const grantId = vis.v.grantId ?? grantParam;
      const tok = await api('post', '/api/v1/play-tokens', { body: { cameraId, action: 'playback', footage: vis.w, ...(grantId ? { grantId } : {}) } });
      const win = tok.footage ?? vis.w;
      setPlayed(win);
      playedRef.current = win;
      setPosition(ms(win.from));
      await open(win, grantId, tok, speed, true);
    } catch (e) {
      stop();
      setState('idle');
      setError(e);
    }
  };

  const seekTo = (wall: number) => {
    const el = video.current;
    const win = playedRef.current;
    if (!el || !win || !hls.current) return;
    const target = mediaAt(frags.current, Math.min(Math.max(wall, ms(win.from)), ms(win.to)));
    if (target === null) return;
    el.currentTime = target;
    if (el.paused) void el.play().catch(() => undefined);
  };

  /** The frame on screen as a PNG named with the camera and the frame's wall clock (Beijing time). */
  const snapshot = () => {
    const el = video.current;
    if (!el || el.videoWidth === 0) return;
    const canvas = document.createElement('canvas');
    canvas.width = el.videoWidth;
    canvas.height = el.videoHeight;
    canvas.getContext('2d')!.drawImage(el, 0, 0);
    const wall = position ?? Date.now();
    canvas.toBlob((b) => { if (b) saveBlob(b, `${fileStem(cameraName(cameraId, names), wall)}.png`); }, 'image/png');
  };

  useEffect(() => {
    if (cameraId) void load();
    return stop;
  }, [cameraId]);
  useEffect(() => {
    const el = video.current;
    if (!el) return;
    el.playbackRate = speed;
    el.defaultPlaybackRate = speed;
  }, [speed]);
  useEffect(() => {
    const el = video.current;
    if (!el) return;
    // the position shown is the frame on screen (requestVideoFrameCallback's mediaTime) where the browser says
    // which; timeupdate (4 Hz) only where it does not, and to stop at the end
    const perFrame = 'requestVideoFrameCallback' in el;
    const onTime = (mediaTime: number, show: boolean) => {
      const win = playedRef.current;
      const wall = wallAt(frags.current, mediaTime);
      if (!win || wall === null) return;
      if (show) setPosition(Math.round(wall / 100) * 100);
      // the playlist ends with the window; this also stops a player that would run past it
      if (wall >= ms(win.to) && !el.paused) {
        el.pause();
        setState('ended');
      }
    };
    const onPlay = () => setState('playing');
    const onPause = () => setState((s) => (s === 'ended' ? s : 'paused'));
    const onEnded = () => setState('ended');
    const onTimeUpdate = () => onTime(el.currentTime, !perFrame);
    let frame = 0;
    const onFrame = (_now: number, meta: { mediaTime: number }) => {
      onTime(meta.mediaTime, true);
      frame = el.requestVideoFrameCallback(onFrame);
    };
    if (perFrame) frame = el.requestVideoFrameCallback(onFrame);
    el.addEventListener('timeupdate', onTimeUpdate);
    el.addEventListener('playing', onPlay);
    el.addEventListener('pause', onPause);
    el.addEventListener('ended', onEnded);
    return () => {
      el.removeEventListener('timeupdate', onTimeUpdate);
      if (frame) el.cancelVideoFrameCallback(frame);
      el.removeEventListener('playing', onPlay);
      el.removeEventListener('pause', onPause);
      el.removeEventListener('ended', onEnded);
    };
  }, []);

  const span = listing ? { a: ms(listing.from), b: ms(listing.to) } : null;
  const pct = (v: string | number) => {
    if (!span) return 0;
    const x = typeof v === 'number' ? v : ms(v);
    return Math.min(100, Math.max(0, (100 * (x - span.a)) / Math.max(1, span.b - span.a)));
  };
  const box = (w: Win) => ({ left: `${pct(w.from)}%`, width: `${Math.max(0.2, pct(w.to) - pct(w.from))}%` });
  const wallOf = (e: MouseEvent, x: number) => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    return span!.a + (Math.min(Math.max(x - r.left, 0), r.width) / r.width) * (span!.b - span!.a);
  };
  // a click seeks; a drag of more than a few pixels picks a window and plays it
  const onDown = (e: MouseEvent) => { pressX.current = e.clientX; };
  const onUp = (e: MouseEvent) => {
    const x0 = pressX.current;
    pressX.current = null;
    if (!span || x0 === null) return;
    if (Math.abs(e.clientX - x0) < 6) return seekTo(wallOf(e, e.clientX));
    const [a, b] = [wallOf(e, x0), wallOf(e, e.clientX)].sort((p, q) => p - q) as [number, number];
    void play({ from: new Date(a).toISOString(), to: new Date(b).toISOString() });
  };
  const speeds = listing?.speeds.length ? listing.speeds : [1, 2, 4, 8];
  // what an export covers: the window being played, else the chosen one inside the first window the user may see
  const exportWin = (): { w: Win; grantId: string | undefined } | null => {
    if (!listing) return null;
    const w = played ?? chosen();
    if (!w) return null;
    const vis = listing.visible.map((v) => ({ v, w: intersect(w, v) })).find((x) => x.w);
    return vis?.w ? { w: vis.w, grantId: vis.v.grantId ?? grantParam } : null;
  };
  const ex = exportWin();

  return (
    <div class="playback-page" data-testid="playback" data-state={state} data-position={position ?? ''} data-renewals={renewals}>
      <h2>{t('playback.title')}{listing?.cameraName && <span class="muted title-sub">{listing.cameraName}</span>}</h2>
      <div class="filters">
        <label>{t('request.footageFrom')}<input type="datetime-local" name="from" value={from} onInput={(e) => { setFrom(e.currentTarget.value); setExact(null); }} /></label>
        <label>{t('request.footageTo')}<input type="datetime-local" name="to" value={to} onInput={(e) => { setTo(e.currentTarget.value); setExact(null); }} /></label>
        <button disabled={!cameraId} onClick={() => void load()} data-testid="load">{t('playback.load')}</button>
        <button class="primary" disabled={!listing || listing.ranges.length === 0} onClick={() => void play()} data-testid="play">{t('playback.play')}</button>
        <span>{t('playback.speed')}</span>
        {speeds.map((s) => <button key={s} class={s === speed ? 'active' : ''} data-speed={s} onClick={() => setSpeed(s)}>{`${s}×`}</button>)}
      </div>
      <p class="muted small">{t('common.tz')}</p>
      {!cameraId && <p class="muted">{t('playback.pickCamera')}</p>}
      <ErrorLine error={error} />
      {listing && (
        <>
          <div class="timeline-labels small"><span>{fmtTime(listing.from)}</span><span>{fmtTime(listing.to)}</span></div>
          <div class="timeline" onMouseDown={onDown} onMouseUp={onUp} data-testid="timeline" data-from={ms(listing.from)} data-to={ms(listing.to)} title={t('playback.clickToSeek')}>
            {listing.visible.map((v, i) => <span key={`v${i}`} class="visible" style={box(v)} />)}
            {listing.ranges.map((r, i) => <span key={`r${i}`} class={`rec ${r.source === 'camera' ? 'camera' : 'gateway'}`} style={box(r)} title={`${fmtTime(r.from)} – ${fmtTime(r.to)}`} />)}
            {listing.gaps.map((g, i) => <span key={`g${i}`} class="gap" style={box(g)} title={`${fmtTime(g.from)} – ${fmtTime(g.to)}`} />)}
            {played && <span class="window" style={box(played)} />}
            {played && position !== null && <span class="head" style={{ left: `${pct(position)}%` }} />}
          </div>
          <div class="legend small">
            <span><i class="swatch rec gateway" />{t('playback.recordedGateway')}</span>
            <span><i class="swatch rec camera" />{t('playback.recordedCamera')}</span>
            <span><i class="swatch gap" />{t('playback.gap')}</span>
            <span><i class="swatch visible" />{listing.scope === 'grant' ? t('playback.window') : t('playback.visibleOwn')}</span>
            <span><i class="swatch window" />{t('playback.playing')}</span>
            <span class="muted">{t('playback.clickToSeek')}</span>
          </div>
          {listing.scope === 'grant' && <p class="small">{t('playback.grantScope', { window: listing.visible.map((v) => fmtRange(v)).join(t('common.listSeparator')) })}</p>}
          {listing.ranges.length === 0 && <p class="muted">{t('playback.noRecordings')}</p>}
        </>
      )}
      {played && (
        <p class="small" data-testid="position">
          {t('playback.position', { time: position === null ? '—' : fmtTime(new Date(position)), window: fmtRange(played) })}
          {state === 'ended' && <span class="badge">{t('playback.ended')}</span>}
        </p>
      )}
      <video ref={video} class={played ? 'playback-video' : 'playback-video idle'} data-testid="playback-video" controls muted playsInline />
      {played && (
        <div class="row player-actions">
          <button onClick={snapshot} disabled={state === 'idle' || state === 'loading'} data-testid="snapshot">{t('playback.snapshot')}</button>
          <span class="muted small">{t('playback.snapshotHint')}</span>
        </div>
      )}
      {cameraId && listing && <ExportPanel cameraId={cameraId} window={ex?.w ?? null} grantId={ex?.grantId} names={names} />}
    </div>
  );
}
