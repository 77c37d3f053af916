// A camera's card: snapshot, state, owner station, sharing mode, and what you may do with it (and why not),
// as the gateway decides it when asked for a snapshot token. Drawn at once from the map's record; the full
// record (last seen) is fetched on opening.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Camera } from '../api/client.ts';
import type { MapCamera } from '../map/map-cameras.ts';
import { stationName, useShell } from '../context.ts';
import { t, tCode, type MessageKey } from '../i18n/index.ts';
import { fmtTime } from '../time.ts';
import { StateBadge, errorText } from '../ui.tsx';

export function CameraCard({ camera: summary, onClose }: { camera: MapCamera; onClose: () => void }) {
  const shell = useShell();
  const [snap, setSnap] = useState<string | null>(null);
  const [allowed, setAllowed] = useState<{ ok: boolean; why: string } | null>(null);
  const [full, setFull] = useState<Camera | null>(null);
  // the live state from the map (events) over the fetched record's
  const camera = { ...(full?.id === summary.id ? full : { lastSeenAt: null }), ...summary };
  useEffect(() => {
    setSnap(null);
    setAllowed(null);
    let live = true;
    api('get', '/api/v1/cameras/{id}', { params: { id: summary.id } }).then((c) => { if (live) setFull(c); }, () => undefined);
    api('post', '/api/v1/play-tokens', { body: { cameraId: camera.id, action: 'snapshot' } }).then((r) => {
      if (!live) return;
      setAllowed({ ok: true, why: tCode('reason', r.reason) });
      setSnap(`/media/snapshot/${camera.id}.jpg?token=${encodeURIComponent((r as unknown as { token: string }).token)}`);
    }, (e: unknown) => {
      if (live) setAllowed({ ok: false, why: e instanceof ApiError && e.reason ? tCode('reason', e.reason) : errorText(e) });
    });
    return () => { live = false; };
  }, [summary.id]);
  const sharingKey = `sharing.${camera.sharingMode ?? 'null'}` as MessageKey;
  return (
    <aside class="card camera-card" data-testid="camera-card">
      <div class="card-head">
        <h3>{camera.name}</h3>
        <button class="link" onClick={onClose}>{t('common.close')}</button>
      </div>
      <div class="snapshot">
        {snap ? <img src={snap} alt={t('card.snapshot')} onError={() => setSnap(null)} /> : <div class="placeholder">{allowed && !allowed.ok ? t('card.noSnapshot', { why: allowed.why }) : t('card.snapshot')}</div>}
      </div>
      <dl>
        <dt>{t('card.state')}</dt><dd><StateBadge state={camera.enabled ? camera.state : 'disabled'} /></dd>
        <dt>{t('card.station')}</dt><dd>{stationName(shell, camera.stationId)}</dd>
        {camera.villageId && <><dt>{t('card.village')}</dt><dd>{stationName(shell, camera.villageId)}</dd></>}
        <dt>{t('map.filterClass')}</dt><dd>{t(`class.${camera.ownerClass}` as MessageKey)}</dd>
        <dt>{t('card.sharing')}</dt><dd>{t(sharingKey)}</dd>
        <dt>{t('card.lastSeen')}</dt><dd>{fmtTime(camera.lastSeenAt)}</dd>
      </dl>
      {allowed && <p class={allowed.ok ? 'ok' : 'warn'} data-testid="card-may">{allowed.ok ? `${t('card.mayLive')} · ${allowed.why}` : t('card.mayNot', { why: allowed.why })}</p>}
      <div class="actions">
        {allowed?.ok && <button class="primary" onClick={() => shell.navigate(`/live?cams=${camera.id}`)}>{t('card.watch')}</button>}
        {allowed?.ok && <button onClick={() => shell.navigate(`/playback?camera=${camera.id}`)}>{t('card.playback')}</button>}
        {allowed && !allowed.ok && <button class="primary" onClick={() => shell.navigate(`/request?cams=${camera.id}`)}>{t('card.request')}</button>}
      </div>
    </aside>
  );
}
