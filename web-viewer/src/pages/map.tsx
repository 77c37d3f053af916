// The map: boundaries and cameras coloured by class and state, filtered by class/state/station and searched by name.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useShell } from '../context.ts';
import { t, type MessageKey } from '../i18n/index.ts';
import { CanvasMap, type MapShape } from '../map/canvas-map.tsx';
import { loadBoundaries } from '../map/boundaries.ts';
import { loadMapCameras, type MapCamera } from '../map/map-cameras.ts';
import { ErrorLine, StateBadge } from '../ui.tsx';
import { CameraCard } from './camera-card.tsx';

const CLASSES = ['police', 'village', 'household'] as const;
const STATES = ['online', 'offline', 'degraded', 'auth_failed', 'unknown'] as const;

export function MapPage() {
  const shell = useShell();
  const q = shell.query;
  const [cameras, setCameras] = useState<MapCamera[]>([]);
  const [shapes, setShapes] = useState<MapShape[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [cls, setCls] = useState(q.get('class') ?? '');
  const [state, setState] = useState(q.get('state') ?? '');
  const [station, setStation] = useState(q.get('station') ?? '');
  const [search, setSearch] = useState(q.get('q') ?? '');
  const [picked, setPicked] = useState<string | null>(q.get('camera'));

  const [camerasLoaded, setCamerasLoaded] = useState(false);
  // state changes from a health sweep arrive by the hundred: applied together, at most four times a second,
  // so 6,000 cameras are filtered and clustered again once, not once per camera
  const changes = useRef({ states: new Map<string, string>(), timer: 0 as unknown as ReturnType<typeof setTimeout> });
  useEffect(() => {
    loadMapCameras().then((cs) => { setCameras(cs); setCamerasLoaded(true); }, (e: unknown) => { setError(e); setCamerasLoaded(true); });
    const ch = changes.current;
    const apply = () => {
      ch.timer = 0 as unknown as ReturnType<typeof setTimeout>;
      const states = ch.states;
      ch.states = new Map();
      setCameras((cs) => cs.map((c) => (states.has(c.id) ? { ...c, state: states.get(c.id)! } : c)));
    };
    const off = shell.events.on((e) => {
      if (e.type === 'camera.state') {
        const p = e.payload as { cameraId: string; to: string };
        ch.states.set(p.cameraId, p.to);
        if (!ch.timer) ch.timer = setTimeout(apply, 250);
      } else if (e.type === 'resync') loadMapCameras().then(setCameras, setError);
    });
    return () => { off(); clearTimeout(ch.timer); };
  }, []);
  // boundaries after the cameras: the cameras make the page usable, the outlines can follow
  useEffect(() => {
    if (shell.jurisdictions.size && camerasLoaded) void loadBoundaries([...shell.jurisdictions.values()]).then(setShapes);
  }, [shell.jurisdictions, camerasLoaded]);

  // filters live in the URL, so a reload or a re-login returns to the same view
  useEffect(() => {
    const p = new URLSearchParams();
    if (cls) p.set('class', cls);
    if (state) p.set('state', state);
    if (station) p.set('station', station);
    if (search) p.set('q', search);
    if (picked) p.set('camera', picked);
    const s = p.toString();
    history.replaceState(null, '', s ? `/map?${s}` : '/map');
  }, [cls, state, station, search, picked]);

  const stations = useMemo(() => [...new Set(cameras.map((c) => c.stationId))], [cameras]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return cameras.filter((c) => (!cls || c.ownerClass === cls) && (!state || c.state === state) && (!station || c.stationId === station)
      && (!needle || c.name.toLowerCase().includes(needle)));
  }, [cameras, cls, state, station, search]);
  const points = useMemo(() => shown.map((c) => ({ id: c.id, lat: c.lat, lon: c.lon, cls: c.ownerClass, state: c.enabled ? c.state : 'offline', name: c.name })), [shown]);
  const ownName = shell.me.stationId ? shell.jurisdictions.get(shell.me.stationId)?.name : undefined;
  const ownRings = useMemo(() => shapes.find((sh) => sh.kind === 'station' && sh.name === ownName)?.rings ?? [], [shapes, ownName]);
  const marked = useMemo(() => shapes.map((sh) => (sh.kind === 'station' && sh.name === ownName ? { ...sh, own: true } : sh)), [shapes, ownName]);
  const camera = picked ? cameras.find((c) => c.id === picked) ?? null : null;

  return (
    <div class="map-page">
      <section class="sidebar">
        <input class="search" type="search" placeholder={t('map.searchPlaceholder')} value={search} onInput={(e) => setSearch(e.currentTarget.value)} data-testid="map-search" />
        <label>{t('map.filterClass')}
          <select value={cls} onChange={(e) => setCls(e.currentTarget.value)}>
            <option value="">{t('common.all')}</option>
            {CLASSES.map((c) => <option key={c} value={c}>{t(`class.${c}`)}</option>)}
          </select>
        </label>
        <label>{t('map.filterState')}
          <select value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">{t('common.all')}</option>
            {STATES.map((s) => <option key={s} value={s}>{t(`state.${s}` as MessageKey)}</option>)}
          </select>
        </label>
        <label>{t('map.filterStation')}
          <select value={station} onChange={(e) => setStation(e.currentTarget.value)}>
            <option value="">{t('common.all')}</option>
            {stations.map((s) => <option key={s} value={s}>{shell.jurisdictions.get(s)?.name ?? s}</option>)}
          </select>
        </label>
        <div class="legend">
          {CLASSES.map((c) => <span key={c}><i class={`swatch cls-${c}`} />{t(`class.${c}`)}</span>)}
        </div>
        <p class="muted" data-testid="map-count">{t('map.cameraCount', { n: shown.length })}</p>
        <ErrorLine error={error} />
        <ul class="camera-list">
          {shown.slice(0, 200).map((c) => (
            <li key={c.id} class={c.id === picked ? 'active' : ''} onClick={() => setPicked(c.id)}>
              <span class={`swatch cls-${c.ownerClass}`} /><span class="grow">{c.name}</span><StateBadge state={c.enabled ? c.state : 'disabled'} />
            </li>
          ))}
          {shown.length === 0 && cameras.length > 0 && <li class="muted">{t('map.noResults')}</li>}
        </ul>
      </section>
      <section class="map-area">
        <CanvasMap points={points} shapes={marked} tileUrl={shell.viewerConfig.tileUrl} selected={picked ? new Set([picked]) : undefined}
          onPick={setPicked} fitKey={`${cameras.length > 0}-${shapes.length > 0}`} fitRings={ownRings} />
        {camera && <CameraCard camera={camera} onClose={() => setPicked(null)} />}
      </section>
    </div>
  );
}
