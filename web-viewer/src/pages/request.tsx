// The request form: cameras picked on the map or drawn as a radius/polygon, a preview per camera (who approves,
// what is left out and why), windows, actions, case number, reason, emergency with its rules.
// The half-filled form is kept in localStorage, so a reload or a re-login loses nothing.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Preview, type RequestBody } from '../api/client.ts';
import { stationName, useShell } from '../context.ts';
import { t, tCode, type MessageKey } from '../i18n/index.ts';
import { CanvasMap, type Area, type MapMode, type MapShape } from '../map/canvas-map.tsx';
import { loadBoundaries } from '../map/boundaries.ts';
import { loadMapCameras, type MapCamera } from '../map/map-cameras.ts';
import { fromLocalInput, toLocalInput } from '../time.ts';
import { ErrorLine, StateBadge } from '../ui.tsx';
import { rememberNames } from '../camera-names.ts';

const ACTIONS = ['live', 'playback', 'export', 'snapshot'] as const;
type Action = (typeof ACTIONS)[number];

interface Draft {
  mode: MapMode;
  area: Area;
  picked: string[];
  unticked: string[];
  caseNo: string;
  reason: string;
  actions: Action[];
  footageFrom: string;
  footageTo: string;
  lifetime: number;
  emergency: boolean;
}

function emptyDraft(): Draft {
  const now = Date.now();
  return {
    mode: 'radius', area: null, picked: [], unticked: [], caseNo: '', reason: '', actions: ['live', 'playback'],
    footageFrom: toLocalInput(new Date(now - 2 * 3600_000)), footageTo: toLocalInput(new Date(now)), lifetime: 60, emergency: false,
  };
}

export function RequestPage() {
  const shell = useShell();
  const key = `shouwang.requestDraft.${shell.me.user.id}`;
  const [draft, setDraft] = useState<Draft>(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(key) ?? 'null') as Draft | null;
      const base = saved ? { ...emptyDraft(), ...saved } : emptyDraft();
      const fromUrl = (shell.query.get('cams') ?? '').split(',').filter(Boolean);
      return fromUrl.length ? { ...base, mode: 'pick', area: null, picked: fromUrl } : base;
    } catch {
      return emptyDraft();
    }
  });
  const [mine, setMine] = useState<MapCamera[]>([]);
  const [shapes, setShapes] = useState<MapShape[]>([]);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => { void loadMapCameras().then(setMine, () => undefined); }, []);
  useEffect(() => { if (shell.jurisdictions.size) void loadBoundaries([...shell.jurisdictions.values()]).then(setShapes); }, [shell.jurisdictions]);
  useEffect(() => { localStorage.setItem(key, JSON.stringify(draft)); }, [draft]);

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  const body = (forPreview: boolean): RequestBody | null => {
    const sel = draft.mode === 'pick'
      ? (draft.picked.length ? { cameraIds: draft.picked } : null)
      : draft.area;
    if (!sel) return null;
    const needsFootage = draft.actions.includes('playback') || draft.actions.includes('export');
    const from = fromLocalInput(draft.footageFrom);
    const to = fromLocalInput(draft.footageTo);
    const b: RequestBody = {
      ...sel,
      caseNo: draft.caseNo.trim() || (forPreview ? 'PREVIEW' : ''),
      reason: draft.reason.trim() || (forPreview ? '-' : ''),
      actions: draft.actions.length ? draft.actions : ['live'],
      ...(needsFootage && from && to ? { footage: { from, to } } : {}),
      lifetimeMinutes: draft.lifetime,
      ...(draft.emergency ? { emergency: true } : {}),
    } as RequestBody;
    // cameras unticked in the preview: send the rest by id
    if (!forPreview && draft.unticked.length && preview) {
      const ids = preview.cameras.map((c) => c.id).filter((id) => !draft.unticked.includes(id) && !preview.excluded.some((x) => x.cameraId === id));
      const { near: _n, polygon: _p, cameraIds: _c, ...rest } = b as RequestBody & { near?: unknown; polygon?: unknown; cameraIds?: unknown };
      return { ...rest, cameraIds: ids } as RequestBody;
    }
    return b;
  };

  // preview whenever the selection or the windows change
  const previewKey = JSON.stringify([draft.mode, draft.area, draft.picked, draft.actions, draft.footageFrom, draft.footageTo, draft.lifetime, draft.emergency]);
  useEffect(() => {
    const b = body(true);
    if (!b) { setPreview(null); return; }
    let live = true;
    const timer = setTimeout(() => {
      api('post', '/api/v1/grants/preview', { body: b }).then((p) => { if (live) { setPreview(p); setError(null); } }, (e: unknown) => { if (live) { setPreview(null); setError(e); } });
    }, 250);
    return () => { live = false; clearTimeout(timer); };
  }, [previewKey]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const b = body(false);
    if (!b) return;
    setBusy(true);
    setError(null);
    try {
      if (preview) rememberNames(preview.cameras);
      const r = await api('post', '/api/v1/grants', { body: b });
      setSent(`${t('request.sent', { n: r.grants.length })} · ${r.grants.map((g) => t(`dedup.${g.dedup}` as MessageKey)).join(' · ')}`);
      localStorage.removeItem(key);
      setDraft({ ...emptyDraft(), mode: draft.mode });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const ownName = shell.me.stationId ? shell.jurisdictions.get(shell.me.stationId)?.name : undefined;
  const ownRings = useMemo(() => shapes.find((sh) => sh.kind === 'station' && sh.name === ownName)?.rings ?? [], [shapes, ownName]);
  const marked = useMemo(() => shapes.map((sh) => (sh.kind === 'station' && sh.name === ownName ? { ...sh, own: true } : sh)), [shapes, ownName]);
  const previewCams = preview?.cameras ?? [];
  const points = useMemo(() => {
    const m = new Map<string, { id: string; lat: number; lon: number; cls: string; state: string; name: string }>();
    for (const c of mine) m.set(c.id, { id: c.id, lat: c.lat, lon: c.lon, cls: c.ownerClass, state: c.state, name: c.name });
    for (const c of previewCams) m.set(c.id, { id: c.id, lat: c.lat, lon: c.lon, cls: c.ownerClass, state: c.state, name: c.name });
    return [...m.values()];
  }, [mine, preview]);
  const selected = useMemo(() => new Set(draft.mode === 'pick' ? draft.picked : previewCams.filter((c) => !draft.unticked.includes(c.id)).map((c) => c.id)), [draft, preview]);
  const excluded = new Map((preview?.excluded ?? []).map((x) => [x.cameraId, x]));
  const approverOf = new Map<string, Preview['groups'][number]>();
  for (const g of preview?.groups ?? []) for (const id of g.cameraIds) approverOf.set(id, g);
  const agreement = preview?.groups.find((g) => g.agreement)?.agreement ?? null;
  const count = previewCams.filter((c) => !excluded.has(c.id) && !draft.unticked.includes(c.id)).length;

  return (
    <div class="request-page">
      <section class="map-area">
        <div class="toolbar floating">
          <span>{t('request.draw')}</span>
          {(['radius', 'polygon', 'pick'] as const).map((m) => (
            <button key={m} type="button" class={draft.mode === m ? 'active' : ''} data-mode={m}
              onClick={() => setDraft((d) => ({ ...d, mode: m, area: null, unticked: [] }))}>
              {t(m === 'radius' ? 'request.drawRadius' : m === 'polygon' ? 'request.drawPolygon' : 'request.drawPick')}
            </button>
          ))}
          <span class="muted">{t(`request.drawHint.${draft.mode === 'browse' ? 'pick' : draft.mode}` as MessageKey)}</span>
          {draft.area && 'near' in draft.area && <span class="pill">{t('request.radius', { m: Math.round(draft.area.near.radiusM) })}</span>}
        </div>
        <CanvasMap points={points} shapes={marked} tileUrl={shell.viewerConfig.tileUrl} mode={draft.mode} selected={selected} area={draft.area}
          onArea={(a) => setDraft((d) => ({ ...d, area: a, unticked: [] }))}
          onPick={(id) => draft.mode === 'pick' && set('picked', draft.picked.includes(id) ? draft.picked.filter((x) => x !== id) : [...draft.picked, id])}
          fitKey={`${mine.length > 0}-${shapes.length > 0}`} fitRings={ownRings} />
      </section>
      <form class="sidebar form" onSubmit={submit} data-testid="request-form">
        <h2>{t('request.title')}</h2>
        <p class="muted small">{t('request.draftKept')}</p>
        <label>{t('request.caseNo')}<input name="caseNo" value={draft.caseNo} onInput={(e) => set('caseNo', e.currentTarget.value)} required maxLength={64} /></label>
        <label>{t('request.reason')}<textarea name="reason" value={draft.reason} onInput={(e) => set('reason', e.currentTarget.value)} required maxLength={2000} rows={2} /></label>
        <fieldset>
          <legend>{t('request.actions')}</legend>
          {ACTIONS.map((a) => (
            <label key={a} class="check"><input type="checkbox" name={`action-${a}`} checked={draft.actions.includes(a)}
              onChange={(e) => set('actions', e.currentTarget.checked ? [...draft.actions, a] : draft.actions.filter((x) => x !== a))} />{t(`action.${a}`)}</label>
          ))}
        </fieldset>
        <div class="row">
          <label>{t('request.footageFrom')}<input type="datetime-local" value={draft.footageFrom} onInput={(e) => set('footageFrom', e.currentTarget.value)} /></label>
          <label>{t('request.footageTo')}<input type="datetime-local" value={draft.footageTo} onInput={(e) => set('footageTo', e.currentTarget.value)} /></label>
        </div>
        <p class="muted small">{t('common.tz')}</p>
        <label>{t('request.lifetime')}<input type="number" min={1} max={43200} value={draft.lifetime} disabled={draft.emergency} onInput={(e) => set('lifetime', Number(e.currentTarget.value) || 60)} /></label>
        <label class="check"><input type="checkbox" name="emergency" checked={draft.emergency} onChange={(e) => set('emergency', e.currentTarget.checked)} />{t('request.emergency')}</label>
        {draft.emergency && agreement && (
          <p class="banner warn small" data-testid="emergency-rules">{agreement.emergencyAllowed ? t('request.emergencyRules', { minutes: agreement.emergencyMinutes ?? 0 }) : t('request.emergencyNotAllowed')}</p>
        )}
        {preview && (
          <div class="preview" data-testid="preview">
            <h3>{t('request.previewTitle')} · {t('request.selectedCameras', { n: count })}</h3>
            <p class="small">{agreement ? t('request.agreement', { name: agreement.name, tier: agreement.tier, hours: agreement.maxFootageHours }) : t('request.noAgreement')}</p>
            <table class="table compact">
              <tbody>
                {previewCams.map((c) => {
                  const x = excluded.get(c.id);
                  const g = approverOf.get(c.id);
                  return (
                    <tr key={c.id} class={x ? 'excluded' : ''} data-camera={c.id}>
                      <td>{!x && <input type="checkbox" checked={!draft.unticked.includes(c.id)}
                        onChange={(e) => set('unticked', e.currentTarget.checked ? draft.unticked.filter((u) => u !== c.id) : [...draft.unticked, c.id])} />}</td>
                      <td>{c.name}<br /><StateBadge state={c.state} /></td>
                      <td class="small">{x ? `${tCode('reason', x.reason, x.message)} (${x.reason})`
                        : g ? (g.approverKind === 'owner' ? t('request.approver.owner') : t('request.approver.station', { station: stationName(shell, g.ownerStationId) })) : ''}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <ErrorLine error={error} />
        {sent && <p class="banner ok" data-testid="request-sent">{sent}</p>}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !preview || count === 0} data-testid="request-submit">{t('request.submit')}</button>
          <button type="button" onClick={() => { setDraft(emptyDraft()); setPreview(null); }}>{t('request.clear')}</button>
        </div>
      </form>
    </div>
  );
}
