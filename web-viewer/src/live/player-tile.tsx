// One live tile: asks for a play token, plays HTTP-FLV with mpegts.js, renews the token before it expires by
// starting a second player and swapping once it shows frames (no visible break), and says in words why it
// cannot play or why it stopped (from the gateway's error code), with a retry.
import { useEffect, useRef, useState } from 'preact/hooks';
import mpegtsModule from 'mpegts.js';
import { api, ApiError } from '../api/client.ts';
import { useShell } from '../context.ts';
import { t, tCode } from '../i18n/index.ts';

// mpegts.js is CommonJS typed as `export default`: the bundler hands us module.exports either way.
type MpegtsApi = typeof mpegtsModule extends { default: infer D } ? D : typeof mpegtsModule;
const mpegts = ((mpegtsModule as unknown as { default?: MpegtsApi }).default ?? mpegtsModule) as MpegtsApi;
type Player = ReturnType<MpegtsApi['createPlayer']>;

type Status =
  | { kind: 'connecting' }
  | { kind: 'playing' }
  | { kind: 'refused'; code: string; text: string }
  | { kind: 'ended'; code: string; text: string }
  | { kind: 'revoked' };

interface Slot { player: Player | null; gen: number }

function describe(e: unknown): { code: string; text: string } {
  if (e instanceof ApiError) {
    if (e.reason) return { code: e.reason, text: tCode('reason', e.reason, tCode('error', e.code, e.message)) };
    return { code: e.code, text: tCode('error', e.code, e.message) };
  }
  return { code: 'generic', text: t('error.generic') };
}

export function PlayerTile({ cameraId, name, grantId, onRemove }: { cameraId: string; name: string; grantId?: string; onRemove: () => void }) {
  const shell = useShell();
  const videos = [useRef<HTMLVideoElement>(null), useRef<HTMLVideoElement>(null)];
  const [active, setActive] = useState(0);
  const [status, setStatus] = useState<Status>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);
  const st = useRef({ slots: [{ player: null, gen: 0 }, { player: null, gen: 0 }] as Slot[], active: 0, gen: 0, grantId: grantId ?? null as string | null, renewTimer: 0 as unknown as ReturnType<typeof setTimeout>, closed: false, startedAt: 0 });

  useEffect(() => {
    const s = st.current;
    s.closed = false;
    s.startedAt = performance.now();
    setStatus({ kind: 'connecting' });

    const destroy = (i: number) => {
      const slot = s.slots[i]!;
      slot.gen = -1;
      try { slot.player?.destroy(); } catch { /* already gone */ }
      slot.player = null;
    };

    const stopAll = () => {
      clearTimeout(s.renewTimer);
      destroy(0);
      destroy(1);
    };

    const token = async () => {
      const r = await api('post', '/api/v1/play-tokens', { body: { cameraId, action: 'live', ...(s.grantId ? { grantId: s.grantId } : {}) } });
      s.grantId = r.grantId;
      return r as typeof r & { token: string };
    };

    const schedule = (expiresAt: string) => {
      clearTimeout(s.renewTimer);
      const left = new Date(expiresAt).getTime() - Date.now();
      // renew with a fifth of the lifetime (at least 10 s) to spare
      const at = Math.max(1000, left - Math.max(10_000, left / 5));
      s.renewTimer = setTimeout(() => void renew(), at);
    };

    // The active player's stream ended: ask again, so the tile can say why (revoked, expired, offline…).
    const ended = async (gen: number) => {
      if (s.closed || s.slots[s.active]!.gen !== gen) return;
      stopAll();
      try {
        await token();
        setStatus({ kind: 'ended', code: 'stream_ended', text: t('error.stream_ended') });
      } catch (e) {
        const d = describe(e);
        setStatus(d.code === 'grant_revoked' ? { kind: 'revoked' } : { kind: 'ended', ...d });
      }
    };

    const start = (i: number, tok: string, onFrame: () => void) => {
      const video = videos[i]!.current!;
      const gen = ++s.gen;
      const player = mpegts.createPlayer(
        { type: 'flv', isLive: true, hasAudio: false, url: `${location.origin}/media/live/${cameraId}.flv?token=${encodeURIComponent(tok)}` },
        { enableWorker: false, lazyLoad: false, enableStashBuffer: false, liveBufferLatencyChasing: true },
      );
      s.slots[i] = { player, gen };
      player.on(mpegts.Events.ERROR, () => void ended(gen));
      player.on(mpegts.Events.LOADING_COMPLETE, () => void ended(gen));
      player.attachMediaElement(video);
      player.load();
      void Promise.resolve(player.play()).catch(() => undefined);
      // first decoded frame: the frame callback, or the decoded-frame count for a player not on screen yet
      const v = video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
      let seen = false;
      const first = () => {
        if (seen || s.slots[i]!.gen !== gen) return;
        seen = true;
        clearInterval(poll);
        onFrame();
      };
      const poll = setInterval(() => {
        if (s.slots[i]!.gen !== gen) clearInterval(poll);
        else if (video.getVideoPlaybackQuality().totalVideoFrames > 0) first();
      }, 100);
      v.requestVideoFrameCallback?.(first);
    };

    const open = async () => {
      let tok;
      try {
        tok = await token();
      } catch (e) {
        if (!s.closed) { const d = describe(e); setStatus(d.code === 'grant_revoked' ? { kind: 'revoked' } : { kind: 'refused', ...d }); }
        return;
      }
      if (s.closed) return;
      // how long the token took, so a slow first frame can be told apart from a slow token
      videos[0]!.current!.parentElement!.parentElement!.dataset.tokenMs = String(Math.round(performance.now() - s.startedAt));
      s.active = 0;
      setActive(0);
      start(0, tok.token, () => {
        const ms = Math.round(performance.now() - s.startedAt);
        videos[0]!.current!.parentElement!.parentElement!.dataset.firstFrameMs = String(ms);
        setStatus({ kind: 'playing' });
      });
      schedule(tok.expiresAt);
    };

    const renew = async () => {
      if (s.closed) return;
      let tok;
      try {
        tok = await token();
      } catch (e) {
        // the running stream ends by itself at its token's expiry; the end handler then says why
        const d = describe(e);
        if (d.code === 'grant_revoked') { stopAll(); setStatus({ kind: 'revoked' }); }
        return;
      }
      const next = 1 - s.active;
      start(next, tok.token, () => {
        const old = s.active;
        s.active = next;
        setActive(next);
        destroy(old);
        const tile = videos[next]!.current!.parentElement!.parentElement!;
        tile.dataset.renewals = String(Number(tile.dataset.renewals ?? 0) + 1);
      });
      schedule(tok.expiresAt);
    };

    void open();
    const off = shell.events.on((e) => {
      if (e.type !== 'grant.revoked' && e.type !== 'grant.expired') return;
      const p = e.payload as { grantId?: string; memberIds?: string[] };
      if (s.grantId && (p.grantId === s.grantId || p.memberIds?.includes(s.grantId))) {
        stopAll();
        setStatus(e.type === 'grant.revoked' ? { kind: 'revoked' } : { kind: 'ended', code: 'grant_expired', text: t('error.grant_expired') });
      }
    });
    return () => { s.closed = true; off(); stopAll(); };
  }, [cameraId, attempt]);

  const code = status.kind === 'refused' || status.kind === 'ended' ? status.code : status.kind === 'revoked' ? 'grant_revoked' : '';
  return (
    <div class={`tile status-${status.kind}`} data-testid="tile" data-camera={cameraId} data-status={status.kind} data-code={code}>
      <div class="tile-head">
        <span class="tile-name">{name}</span>
        <button class="link" onClick={onRemove}>{t('live.remove')}</button>
      </div>
      <div class="tile-video">
        <video ref={videos[0]} muted playsInline autoPlay class={active === 0 ? '' : 'standby'} />
        <video ref={videos[1]} muted playsInline autoPlay class={active === 1 ? '' : 'standby'} />
        {status.kind !== 'playing' && (
          <div class="tile-overlay">
            {status.kind === 'connecting' && <span>{t('live.connecting')}</span>}
            {status.kind === 'refused' && <span>{t('live.cannotPlay', { why: status.text })}<small>{status.code}</small></span>}
            {status.kind === 'ended' && <span>{t('live.ended', { why: status.text })}<small>{status.code}</small></span>}
            {status.kind === 'revoked' && <span>{t('live.revoked')}<small>{code}</small></span>}
            {status.kind !== 'connecting' && <button onClick={() => setAttempt((a) => a + 1)}>{t('common.retry')}</button>}
          </div>
        )}
      </div>
    </div>
  );
}
