// The route-tracing workspace (循线追踪): a case, its sightings on the map (the route drawn in time order) and on
// a timeline, reachable cameras by owning station with "request all", the case's grants, members and the route
// report. The case, the tab and the camera search live in the URL, so a reload or a re-login comes back here.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Camera, type Grant } from '../api/client.ts';
import { stationName, useShell } from '../context.ts';
import { t, type MessageKey } from '../i18n/index.ts';
import { CanvasMap, type MapPoint, type MapShape } from '../map/canvas-map.tsx';
import { loadAllCameras, loadBoundaries } from '../map/boundaries.ts';
import { drawRoute } from '../map/route-overlay.ts';
import { cameraName } from '../camera-names.ts';
import { fmtTime } from '../time.ts';
import { ErrorLine } from '../ui.tsx';
import { GrantCard } from './grant-card.tsx';
import { CasesView, MembersPanel } from './tracing-cases.tsx';
import { SightingForm, SightingList, type PickedCamera } from './tracing-sightings.tsx';
import { GrantLinks, ReachForm, ReachResults } from './tracing-reach.tsx';
import { ReportPanel } from './tracing-report.tsx';
import { TimelineStrip } from './tracing-timeline.tsx';
import {
  fromCorridor, fromReach, nearM, readSearch, searchQuery, TABS,
  type Case, type Finding, type Member, type Route, type Sighting, type Tab, type Timeline,
} from './tracing-model.ts';

/** A click this close to a camera (metres) marks it. */
const CLICK_RADIUS_M = 400;

export function TracingPage() {
  const shell = useShell();
  const caseId = shell.query.get('case');
  const open = (id: string | null) => shell.navigate(id ? `/tracing?case=${encodeURIComponent(id)}` : '/tracing');
  if (!caseId || !/^[0-9a-f-]{36}$/i.test(caseId)) return <CasesView onOpen={open} />;
  return <Workspace key={caseId} caseId={caseId} onBack={() => open(null)} />;
}

function Workspace({ caseId, onBack }: { caseId: string; onBack: () => void }) {
  const shell = useShell();
  const q = shell.query;
  const tab: Tab = (TABS as readonly string[]).includes(q.get('tab') ?? '') ? q.get('tab') as Tab : 'route';
  const search = readSearch(q);
  const [info, setInfo] = useState<{ case: Case; members: Member[] } | null>(null);
  const [route, setRoute] = useState<Route>({ items: [], cameras: [] });
  const [routeLoaded, setRouteLoaded] = useState(false);
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [grants, setGrants] = useState<Grant[]>([]);
  const [mine, setMine] = useState<Camera[]>([]);
  const [shapes, setShapes] = useState<MapShape[]>([]);
  const [reach, setReach] = useState<Finding | null>(null);
  const [reachBusy, setReachBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [reachError, setReachError] = useState<unknown>(null);
  const [searchTick, setSearchTick] = useState(0);
  const [picked, setPicked] = useState<PickedCamera | null>(null);
  const [editing, setEditing] = useState<Sighting | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [focused, setFocused] = useState<string | null>(null);
  const [hint, setHint] = useState<string | null>(null);

  const setQuery = (patch: Record<string, string | null>) => {
    const p = new URLSearchParams(q);
    for (const [k, v] of Object.entries(patch)) if (v === null) p.delete(k); else p.set(k, v);
    shell.navigate(`/tracing?${p.toString()}`, true);
  };

  const loadCase = () => api('get', '/api/v1/cases/{id}', { params: { id: caseId } }).then((r) => setInfo({ case: r.case, members: r.members }), setError);
  const loadRoute = () => api('get', '/api/v1/cases/{id}/sightings', { params: { id: caseId } }).then((r) => { setRoute(r); setRouteLoaded(true); }, setError);
  const loadTimeline = () => api('get', '/api/v1/cases/{id}/timeline', { params: { id: caseId } }).then(setTimeline, () => undefined);
  const loadGrants = (caseNo: string) => api('get', '/api/v1/grants', { query: { view: 'mine' } })
    .then((r) => setGrants(r.items.filter((g) => g.caseNo === caseNo)), () => undefined);

  useEffect(() => {
    void loadCase();
    void loadRoute();
    void loadTimeline();
    void loadAllCameras().then(setMine, () => undefined);
  }, [caseId]);
  useEffect(() => { if (shell.jurisdictions.size) void loadBoundaries([...shell.jurisdictions.values()]).then(setShapes); }, [shell.jurisdictions]);
  const caseNo = info?.case.caseNo ?? null;
  useEffect(() => {
    if (!caseNo) return;
    void loadGrants(caseNo);
    // a partner's decision arrives as an event: the grants, the timeline and the camera search (what is viewable) follow it
    return shell.events.on((e) => {
      if (e.type.startsWith('grant.') || e.type === 'resync') { void loadGrants(caseNo); void loadTimeline(); setSearchTick((n) => n + 1); }
    });
  }, [caseNo]);

  // the search in the URL runs again after a reload
  const searchKey = search ? JSON.stringify(search) : '';
  useEffect(() => {
    if (!search) { setReach(null); return; }
    let live = true;
    setReachBusy(true);
    setReachError(null);
    const found: Promise<Finding> = search.kind === 'reach'
      ? api('post', '/api/v1/cases/{id}/reachable', { params: { id: caseId }, body: { from: { sightingId: search.from }, mode: search.mode, minutes: search.minutes, direction: search.direction } }).then((r) => fromReach(search, r))
      : api('post', '/api/v1/cases/{id}/corridor', { params: { id: caseId }, body: { useSightings: true, widthM: search.widthM, mode: search.mode } }).then((r) => fromCorridor(search, r));
    found.then((r) => { if (live) setReach(r); }, (e: unknown) => { if (live) { setReach(null); setReachError(e); } })
      .finally(() => { if (live) setReachBusy(false); });
    return () => { live = false; };
  }, [searchKey, caseId, searchTick]);

  // what the map knows about each camera: my own, the route's, the reachable ones
  const known = useMemo(() => {
    const m = new Map<string, MapPoint & { stationId: string | null }>();
    for (const c of mine) m.set(c.id, { id: c.id, lat: c.lat, lon: c.lon, cls: c.ownerClass, state: c.enabled ? c.state : 'offline', name: c.name, stationId: c.stationId });
    for (const c of reach?.cameras ?? []) if (!m.has(c.cameraId)) m.set(c.cameraId, { id: c.cameraId, lat: c.lat, lon: c.lon, cls: c.ownerClass, state: 'unknown', name: c.name, stationId: c.ownerStation.id });
    for (const c of route.cameras) if (!m.has(c.id)) m.set(c.id, { id: c.id, lat: c.lat, lon: c.lon, cls: c.ownerClass, state: c.removed ? 'offline' : 'unknown', name: c.name, stationId: c.stationId });
    return m;
  }, [mine, reach, route]);
  const points = useMemo(() => [...known.values()], [known]);
  const names = useMemo(() => {
    const m = new Map<string, string>();
    for (const row of timeline?.cameras ?? []) m.set(row.cameraId, cameraName(row.cameraId));
    for (const [id, p] of known) m.set(id, p.name);
    return m;
  }, [known, timeline]);
  const stations = useMemo(() => new Map([...known].map(([id, p]) => [id, p.stationId])), [known]);
  const order = useMemo(() => new Map(route.items.map((s, i) => [s.id, i + 1])), [route]);

  const overlay = useMemo(() => drawRoute({
    route: route.items.map((s) => ({ id: s.id, at: known.get(s.cameraId) ?? null })),
    reach: (reach?.cameras ?? []).map((c) => ({ lat: c.lat, lon: c.lon, canView: c.access.canView, focused: c.cameraId === focused })),
    origin: reach?.circle ? { lat: reach.circle.lat, lon: reach.circle.lon } : null,
    selected,
    picked: picked ? known.get(picked.id) ?? null : null,
  }), [route, reach, known, selected, focused, picked]);

  const ownName = shell.me.stationId ? shell.jurisdictions.get(shell.me.stationId)?.name : undefined;
  const ownRings = useMemo(() => shapes.find((sh) => sh.kind === 'station' && sh.name === ownName)?.rings ?? [], [shapes, ownName]);
  // the view opens on the route as it was loaded (or the own station); adding a sighting never moves it
  const fitRings = useMemo(() => (route.cameras.length ? [route.cameras.map((x) => [x.lon, x.lat])] : ownRings), [routeLoaded, ownRings]);
  const marked = useMemo(() => shapes.map((sh) => (sh.kind === 'station' && sh.name === ownName ? { ...sh, own: true } : sh)), [shapes, ownName]);
  const c = info?.case ?? null;
  const isOpen = c?.status === 'open';

  const pick = (id: string) => {
    const p = known.get(id);
    if (!p) return;
    setHint(null);
    if (tab === 'reach') { setFocused(id); return; }
    if (!isOpen) return;
    if (tab !== 'route') setQuery({ tab: 'route' });
    setPicked({ id, name: p.name, stationId: p.stationId });
  };
  const clickMap = (lat: number, lon: number) => {
    let best: { id: string; d: number } | null = null;
    for (const p of points) {
      const d = nearM({ lat, lon }, p);
      if (d <= CLICK_RADIUS_M && (!best || d < best.d)) best = { id: p.id, d };
    }
    if (best) pick(best.id);
    else setHint(t('tracing.noCameraHere'));
  };
  const afterSave = (s: Sighting) => {
    setEditing(null);
    setPicked(null);
    setSelected(s.id);
    void loadRoute();
    void loadTimeline();
  };
  const defaultAt = route.items.length ? route.items[route.items.length - 1]!.seenAt : (c?.openedAt ?? new Date().toISOString());
  const reachArea = reach?.circle ? { near: reach.circle } : null;

  if (!c) {
    return <div class="tracing-cases"><ErrorLine error={error} />{!error && <div class="loading">{t('common.loading')}</div>}<button onClick={onBack}>{t('tracing.backToCases')}</button></div>;
  }
  return (
    <div class="tracing-page" data-testid="tracing" data-case={c.id}>
      <div class="tracing-main">
        <section class="map-area">
          <div class="toolbar floating small">
            <span>{tab === 'reach' ? t('tracing.mapHintReach') : isOpen ? t('tracing.mapHint') : t('tracing.closedHint')}</span>
            {hint && <span class="pill">{hint}</span>}
          </div>
          <CanvasMap points={points} shapes={marked} tileUrl={shell.viewerConfig.tileUrl} mode="pick" area={reachArea}
            selected={picked ? new Set([picked.id]) : undefined} onPick={pick} onMapClick={clickMap} overlay={overlay}
            fitKey={`${mine.length > 0}-${shapes.length > 0}-${routeLoaded}`} fitRings={fitRings} />
          <div class="map-legend small">
            <span><i class="swatch route" />{t('tracing.legendRoute')}</span>
            <span><i class="swatch reach-ok" />{t('tracing.legendViewable')}</span>
            <span><i class="swatch reach-need" />{t('tracing.legendNeedsGrant')}</span>
          </div>
        </section>
        {timeline && <TimelineStrip timeline={timeline} order={order} names={names} selected={selected} onSelect={setSelected} />}
      </div>
      <aside class="sidebar tracing-side">
        <div class="case-head">
          <button class="link back" onClick={onBack}>{t('tracing.backToCases')}</button>
          <h2 data-testid="case-no">{c.caseNo}</h2>
          <div>{c.title} <span class={`badge case-${c.status}`}>{t(`tracing.status.${c.status}` as MessageKey)}</span></div>
          <div class="small muted">{stationName(shell, c.ownerStationId)} · {t('tracing.openedAtShort', { time: fmtTime(c.openedAt, true) })} · {t('tracing.memberCount', { n: info!.members.length })}</div>
        </div>
        <nav class="tabs">
          {TABS.map((x) => (
            <button key={x} type="button" class={x === tab ? 'active' : ''} data-tab={x} onClick={() => setQuery({ tab: x })}>
              {t(`tracing.tab.${x}` as MessageKey)}
              {x === 'route' && route.items.length > 0 && <span class="count">{route.items.length}</span>}
              {x === 'grants' && grants.length > 0 && <span class="count">{grants.length}</span>}
            </button>
          ))}
        </nav>
        <ErrorLine error={error} />
        {tab === 'route' && (
          <>
            {isOpen && <SightingForm caseId={c.id} camera={picked ?? (editing ? { id: editing.cameraId, name: names.get(editing.cameraId) ?? editing.cameraId.slice(0, 8), stationId: stations.get(editing.cameraId) ?? null } : null)}
              editing={editing} defaultAt={defaultAt} onSaved={afterSave} onCancel={() => { setEditing(null); setPicked(null); }} />}
            <h4>{t('tracing.timelineTitle')}</h4>
            <SightingList caseId={c.id} items={route.items} names={names} stations={stations} members={info!.members} open={isOpen}
              selected={selected} onSelect={setSelected} onEdit={(s) => { setEditing(s); setPicked(null); setSelected(s.id); }}
              onDeleted={() => { void loadRoute(); void loadTimeline(); }} />
          </>
        )}
        {tab === 'reach' && (
          <>
            <ReachForm sightings={route.items} names={names} params={search} busy={reachBusy} onSearch={(p) => setQuery(searchQuery(p))} />
            <ErrorLine error={reachError} />
            {reachBusy && <p class="muted small">{t('common.loading')}</p>}
            {reach && <ReachResults c={c} finding={reach} grants={grants} focused={focused} onFocus={setFocused} onRequested={() => { void loadGrants(c.caseNo); void loadTimeline(); }} />}
          </>
        )}
        {tab === 'grants' && (
          <div data-testid="case-grants">
            {grants.length === 0 ? <p class="empty small">{t('tracing.noGrants')}</p> : grants.map((g) => <GrantCard key={g.id} grant={g} names={names} />)}
            <GrantLinks grants={grants} />
          </div>
        )}
        {tab === 'members' && <MembersPanel c={c} members={info!.members} onChange={(m) => setInfo({ case: c, members: m })} onClosed={(x) => setInfo({ case: x, members: info!.members })} />}
        {tab === 'report' && <ReportPanel c={c} />}
      </aside>
    </div>
  );
}
