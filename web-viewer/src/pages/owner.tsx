// A household owner's page: my cameras, sharing mode and consent history, requests for my cameras, and
// who looked at each camera (when, which station, which case, live or playback, which window), and each camera's
// privacy mask (drawn on its snapshot, versioned, lifted for one grant: mask-editor.tsx).
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiResponse, type Camera, type Grant } from '../api/client.ts';
import { stationName, useShell } from '../context.ts';
import { t, type MessageKey } from '../i18n/index.ts';
import { loadAllCameras } from '../map/boundaries.ts';
import { fmtRange, fmtTime, todayInShanghai } from '../time.ts';
import { ErrorLine, StateBadge } from '../ui.tsx';
import { GrantCard } from './grant-card.tsx';
import { MaskEditor, type GrantRef } from './mask-editor.tsx';

type Access = ApiResponse<'/api/v1/my/cameras/{id}/accesses', 'get'>['items'][number];
type Consent = ApiResponse<'/api/v1/cameras/{id}/consents', 'get'>['items'][number];
const MODES = ['station', 'on_request', 'never_live'] as const;

export function OwnerPage() {
  const shell = useShell();
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [requests, setRequests] = useState<Grant[]>([]);
  const [decided, setDecided] = useState<Grant[]>([]);
  const [error, setError] = useState<unknown>(null);
  const loadRequests = () => {
    // the grants this owner approved stay listed under each camera, where the mask can be lifted for one of them
    void api('get', '/api/v1/grants', { query: { view: 'inbox', state: ['approved'] } }).then((r) => setDecided(r.items), () => undefined);
    return api('get', '/api/v1/grants', { query: { view: 'inbox' } }).then((r) => setRequests(r.items.filter((g) => g.state === 'pending')), setError);
  };
  useEffect(() => {
    loadAllCameras().then(setCameras, setError);
    void loadRequests();
    return shell.events.on((e) => { if (e.type.startsWith('grant.') || e.type === 'resync') void loadRequests(); });
  }, []);
  const names = new Map(cameras.map((c) => [c.id, c.name]));
  return (
    <div class="owner-page">
      <h2>{t('owner.title')}</h2>
      <ErrorLine error={error} />
      {cameras.length === 0 && <p class="empty">{t('owner.noCameras')}</p>}
      {requests.length > 0 && <>
        <h3>{t('owner.requests')}</h3>
        {requests.map((g) => (
          <GrantCard key={g.id} grant={g} names={names}>
            <button class="primary" onClick={() => void api('post', '/api/v1/grants/{id}/approve', { params: { id: g.id }, body: { version: g.version } }).then(loadRequests, setError)}>{t('inbox.approve')}</button>
            <button class="danger" onClick={() => void api('post', '/api/v1/grants/{id}/deny', { params: { id: g.id }, body: { reason: t('inbox.deny'), version: g.version } }).then(loadRequests, setError)}>{t('inbox.deny')}</button>
          </GrantCard>
        ))}
      </>}
      {cameras.map((c) => <OwnerCamera key={c.id} camera={c} approved={decided.filter((g) => g.cameraIds.includes(c.id))} onChange={(n) => setCameras((cs) => cs.map((x) => (x.id === n.id ? n : x)))} />)}
    </div>
  );
}

/** Grants on this camera: those the owner approved, and those named by accesses (approved by a delegate). */
function grantsOf(approved: Grant[], accesses: Access[], stationOf: (id: string) => string): GrantRef[] {
  const out = new Map<string, GrantRef>();
  for (const g of approved) out.set(g.id, { id: g.id, caseNo: g.caseNo, station: stationOf(g.requesterStationId), footage: g.footage });
  for (const a of accesses) {
    if (a.grantId && !out.has(a.grantId)) out.set(a.grantId, { id: a.grantId, caseNo: a.caseNo, station: a.station?.name ?? null, footage: a.footage });
  }
  return [...out.values()];
}

function OwnerCamera({ camera, approved, onChange }: { camera: Camera; approved: Grant[]; onChange: (c: Camera) => void }) {
  const shell = useShell();
  const [accesses, setAccesses] = useState<Access[]>([]);
  const [consents, setConsents] = useState<Consent[]>([]);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    void api('get', '/api/v1/my/cameras/{id}/accesses', { params: { id: camera.id } }).then((r) => setAccesses(r.items), setError);
    void api('get', '/api/v1/cameras/{id}/consents', { params: { id: camera.id } }).then((r) => setConsents(r.items), () => undefined);
  };
  useEffect(load, [camera.id]);
  const change = (mode: (typeof MODES)[number]) => api('put', '/api/v1/cameras/{id}/sharing', {
    params: { id: camera.id }, body: { sharingMode: mode, consentDate: todayInShanghai() },
  }).then((c) => { onChange(c as Camera); load(); }, setError);
  return (
    <section class="card owner-camera" data-testid="owner-camera" data-camera={camera.id}>
      <header><h3>{camera.name}</h3><StateBadge state={camera.state} /><span class="muted">{camera.address ?? ''}</span></header>
      <div class="row">
        <label>{t('owner.sharing')}
          <select value={camera.sharingMode ?? ''} onChange={(e) => void change(e.currentTarget.value as (typeof MODES)[number])}>
            {MODES.map((m) => <option key={m} value={m}>{t(`sharing.${m}`)}</option>)}
          </select>
        </label>
      </div>
      <ErrorLine error={error} />
      <h4>{t('owner.accesses')}</h4>
      <table class="table" data-testid="accesses">
        <thead><tr><th>{t('owner.when')}</th><th>{t('owner.kind')}</th><th>{t('owner.station')}</th><th>{t('owner.case')}</th><th>{t('owner.window')}</th></tr></thead>
        <tbody>
          {accesses.map((a, i) => (
            <tr key={i}>
              <td>{fmtTime(a.at, true)}</td>
              <td>{a.kind.includes('live') ? t('action.live') : a.kind.includes('snapshot') ? t('action.snapshot') : a.kind.includes('playback') ? t('action.playback') : a.kind.includes('export') ? t('action.export') : a.kind}{a.emergency && <span class="badge emergency">{t('grant.emergency')}</span>}</td>
              <td>{a.station?.name ?? '—'}</td>
              <td>{a.caseNo ?? '—'}</td>
              <td class="small">{fmtRange(a.footage)}</td>
            </tr>
          ))}
          {accesses.length === 0 && <tr><td colSpan={5} class="muted">{t('common.empty')}</td></tr>}
        </tbody>
      </table>
      <h4>{t('mask.title')}</h4>
      <MaskEditor camera={camera} grants={grantsOf(approved, accesses, (id) => stationName(shell, id))} />
      <h4>{t('owner.consents')}</h4>
      <ul class="plain small">
        {consents.map((c, i) => <li key={i}>{c.consentDate} · {t(`sharing.${c.sharingMode}` as MessageKey)} · {fmtTime(c.recordedAt)}</li>)}
      </ul>
    </section>
  );
}
