// The duty officer's inbox: requests arrive live over the events socket; approve, narrow (cameras and a
// shorter footage window) or deny; the emergency review queue; approved grants of the station, to revoke.
import { useEffect, useState } from 'preact/hooks';
import { api, type Grant } from '../api/client.ts';
import { useShell } from '../context.ts';
import { t } from '../i18n/index.ts';
import { loadMapCameras } from '../map/map-cameras.ts';
import { fromLocalInput, toLocalInput } from '../time.ts';
import { ErrorLine } from '../ui.tsx';
import { GrantCard } from './grant-card.tsx';
import { cameraName } from '../camera-names.ts';

export function InboxPage() {
  const shell = useShell();
  const [inbox, setInbox] = useState<Grant[]>([]);
  const [review, setReview] = useState<Grant[]>([]);
  const [station, setStation] = useState<Grant[]>([]);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);

  const load = async () => {
    try {
      const [a, b, c] = await Promise.all([
        api('get', '/api/v1/grants', { query: { view: 'inbox' } }),
        api('get', '/api/v1/grants', { query: { view: 'review' } }),
        api('get', '/api/v1/grants', { query: { view: 'station' } }),
      ]);
      setInbox(a.items.filter((g) => g.state === 'pending'));
      setReview(b.items.filter((g) => g.reviewState === 'pending_review'));
      setStation(c.items.filter((g) => g.state === 'approved' && g.ownerStationId === shell.me.stationId));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
    void loadMapCameras().then((cs) => setNames(new Map(cs.map((c) => [c.id, c.name]))), () => undefined);
    return shell.events.on((e) => {
      if (e.type === 'grant.requested' || e.type === 'grant.emergency') {
        const id = (e.payload as { grantId?: string }).grantId;
        if (id) setFresh((f) => new Set(f).add(id));
      }
      if (e.type.startsWith('grant.') || e.type === 'resync') void load();
    });
  }, []);

  return (
    <div class="inbox-page columns">
      <section>
        <h2>{t('inbox.title')} <span class="count">{inbox.length}</span></h2>
        <ErrorLine error={error} />
        {inbox.length === 0 && <p class="empty">{t('inbox.empty')}</p>}
        {inbox.map((g) => <PendingCard key={g.id} grant={g} names={names} fresh={fresh.has(g.id)} onDone={load} />)}
      </section>
      <section>
        <h2>{t('inbox.review')} <span class="count">{review.length}</span></h2>
        <div data-testid="review-queue">{review.map((g) => <ReviewCard key={g.id} grant={g} names={names} fresh={fresh.has(g.id)} onDone={load} />)}</div>
        <h2>{t('inbox.station')} <span class="count">{station.length}</span></h2>
        {station.map((g) => <RevokeCard key={g.id} grant={g} names={names} onDone={load} />)}
      </section>
    </div>
  );
}

function PendingCard({ grant, names, fresh, onDone }: { grant: Grant; names: Map<string, string>; fresh: boolean; onDone: () => void }) {
  const [mode, setMode] = useState<'idle' | 'narrow' | 'deny'>('idle');
  const [cams, setCams] = useState<string[]>(grant.cameraIds);
  const [until, setUntil] = useState(grant.footage ? toLocalInput(grant.footage.to) : '');
  const [why, setWhy] = useState('');
  const [error, setError] = useState<unknown>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try { await fn(); onDone(); } catch (e) { setError(e); }
  };
  const approve = (narrow: boolean) => act(() => api('post', '/api/v1/grants/{id}/approve', {
    params: { id: grant.id },
    body: narrow ? {
      cameraIds: cams,
      ...(grant.footage && fromLocalInput(until) ? { footage: { from: grant.footage.from, to: fromLocalInput(until)! } } : {}),
      version: grant.version,
    } : { version: grant.version },
  }));
  return (
    <GrantCard grant={grant} names={names} fresh={fresh}>
      {mode === 'narrow' && (
        <div class="narrow" data-testid="narrow">
          {grant.cameraIds.map((id) => (
            <label key={id} class="check"><input type="checkbox" data-camera={id} checked={cams.includes(id)}
              onChange={(e) => setCams(e.currentTarget.checked ? [...cams, id] : cams.filter((x) => x !== id))} />{cameraName(id, names)}</label>
          ))}
          {grant.footage && <label>{t('inbox.narrowTo')}<input type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} /></label>}
          <button class="primary" disabled={cams.length === 0} onClick={() => void approve(true)} data-testid="approve-narrowed">{t('inbox.approveNarrowed')}</button>
          <button onClick={() => setMode('idle')}>{t('common.cancel')}</button>
        </div>
      )}
      {mode === 'deny' && (
        <div class="narrow">
          <label>{t('inbox.denyReason')}<input value={why} onInput={(e) => setWhy(e.currentTarget.value)} /></label>
          <button class="danger" disabled={!why.trim()} onClick={() => void act(() => api('post', '/api/v1/grants/{id}/deny', { params: { id: grant.id }, body: { reason: why.trim(), version: grant.version } }))}>{t('inbox.deny')}</button>
          <button onClick={() => setMode('idle')}>{t('common.cancel')}</button>
        </div>
      )}
      {mode === 'idle' && <>
        <button class="primary" onClick={() => void approve(false)} data-testid="approve">{t('inbox.approve')}</button>
        <button onClick={() => setMode('narrow')} data-testid="narrow-open">{t('inbox.narrow')}</button>
        <button class="danger" onClick={() => setMode('deny')}>{t('inbox.deny')}</button>
      </>}
      <ErrorLine error={error} />
    </GrantCard>
  );
}

function ReviewCard({ grant, names, fresh, onDone }: { grant: Grant; names: Map<string, string>; fresh: boolean; onDone: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const review = (verdict: 'upheld' | 'misuse') => api('post', '/api/v1/grants/{id}/review', {
    params: { id: grant.id }, body: { verdict, ...(note.trim() ? { note: note.trim() } : {}) },
  }).then(onDone, setError);
  return (
    <GrantCard grant={grant} names={names} fresh={fresh}>
      <label class="review-note">{t('inbox.reviewNote')}<input value={note} maxLength={2000} onInput={(e) => setNote(e.currentTarget.value)} data-testid="review-note" /></label>
      <button class="primary" onClick={() => void review('upheld')} data-testid="review-upheld">{t('inbox.upheld')}</button>
      <button class="danger" onClick={() => void review('misuse')} data-testid="review-misuse">{t('inbox.misuse')}</button>
      <ErrorLine error={error} />
    </GrantCard>
  );
}

export function RevokeCard({ grant, names, onDone, label }: { grant: Grant; names: Map<string, string>; onDone: () => void; label?: string }) {
  const [open, setOpen] = useState(false);
  const [why, setWhy] = useState('');
  const [error, setError] = useState<unknown>(null);
  return (
    <GrantCard grant={grant} names={names}>
      {open ? (
        <div class="narrow">
          <label>{t('inbox.revokeReason')}<input value={why} onInput={(e) => setWhy(e.currentTarget.value)} data-testid="revoke-reason" /></label>
          <button class="danger" disabled={!why.trim()} data-testid="revoke-confirm"
            onClick={() => void api('post', '/api/v1/grants/{id}/revoke', { params: { id: grant.id }, body: { reason: why.trim() } }).then(onDone, setError)}>{label ?? t('inbox.revoke')}</button>
          <button onClick={() => setOpen(false)}>{t('common.cancel')}</button>
        </div>
      ) : <button class="danger" onClick={() => setOpen(true)} data-testid="revoke">{label ?? t('inbox.revoke')}</button>}
      <ErrorLine error={error} />
    </GrantCard>
  );
}
