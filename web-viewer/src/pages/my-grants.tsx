// My requests and grants with countdowns; watch the granted cameras live; withdraw.
import { useEffect, useState } from 'preact/hooks';
import { api, type Grant } from '../api/client.ts';
import { useShell } from '../context.ts';
import { t } from '../i18n/index.ts';
import { ErrorLine } from '../ui.tsx';
import { GrantCard } from './grant-card.tsx';
import { RevokeCard } from './inbox.tsx';

export function MyGrantsPage() {
  const shell = useShell();
  const [items, setItems] = useState<Grant[]>([]);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const load = () => api('get', '/api/v1/grants', { query: { view: 'mine' } }).then((r) => { setItems(r.items); setError(null); }, setError);
  useEffect(() => {
    void load();
    return shell.events.on((e) => { if (e.type.startsWith('grant.') || e.type === 'resync') void load(); });
  }, []);
  useEffect(() => {
    const missing = [...new Set(items.flatMap((g) => g.cameraIds))].filter((id) => !names.has(id)).slice(0, 50);
    for (const id of missing) void api('get', '/api/v1/cameras/{id}', { params: { id } }).then((c) => setNames((n) => new Map(n).set(id, c.name)), () => undefined);
  }, [items]);
  const open = items.filter((g) => g.state === 'pending' || g.state === 'approved');
  const done = items.filter((g) => !(g.state === 'pending' || g.state === 'approved'));
  return (
    <div class="grants-page">
      <h2>{t('grants.title')}</h2>
      <ErrorLine error={error} />
      {items.length === 0 && <p class="empty">{t('grants.empty')}</p>}
      <div class="cards">
        {open.map((g) => g.state === 'approved' ? (
          <div key={g.id} class="with-actions">
            <RevokeCard grant={g} names={names} onDone={load} label={t('grants.withdraw')} />
            <div class="actions">
              {g.actions.includes('live') && <button class="primary" data-testid="watch" onClick={() => shell.navigate(`/live?cams=${g.cameraIds.join(',')}&grant=${g.id}`)}>{t('grants.watch')}</button>}
              {g.actions.includes('playback') && <button onClick={() => shell.navigate(`/playback?camera=${g.cameraIds[0]}&grant=${g.id}${g.footage ? `&from=${encodeURIComponent(g.footage.from)}&to=${encodeURIComponent(g.footage.to)}` : ''}`)}>{t('grants.playback')}</button>}
            </div>
          </div>
        ) : <RevokeCard key={g.id} grant={g} names={names} onDone={load} label={t('grants.withdraw')} />)}
        {done.map((g) => <GrantCard key={g.id} grant={g} names={names} />)}
      </div>
    </div>
  );
}
