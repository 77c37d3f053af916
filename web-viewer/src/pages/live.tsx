// The live grid (1/4/9/16). Which cameras and layout are in the URL, so a reload or re-login restores the grid.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { useShell } from '../context.ts';
import { t } from '../i18n/index.ts';
import { loadMapCameras } from '../map/map-cameras.ts';
import { PlayerTile } from '../live/player-tile.tsx';
import { cameraName } from '../camera-names.ts';

const LAYOUTS = [1, 4, 9, 16] as const;
// The picker lists this many matches of the search: a station's 6,000 options would hold the page for a second.
const PICK_MAX = 100;

export function LivePage() {
  const shell = useShell();
  const [cams, setCams] = useState<string[]>(() => (shell.query.get('cams') ?? '').split(',').filter((x) => /^[0-9a-f-]{36}$/.test(x)).slice(0, 16));
  const [layout, setLayout] = useState<number>(() => Number(shell.query.get('layout')) || (cams.length <= 1 ? 1 : cams.length <= 4 ? 4 : cams.length <= 9 ? 9 : 16));
  const grant = shell.query.get('grant') ?? undefined;
  const [known, setKnown] = useState<Map<string, string>>(new Map());
  const [choices, setChoices] = useState<Array<{ id: string; name: string }>>([]);
  // granted partner cameras, listed first: they are what a grantee came here for
  const [granted, setGranted] = useState<Array<{ id: string; name: string }>>([]);
  const [needle, setNeedle] = useState('');

  useEffect(() => {
    void loadMapCameras().then((cs) => {
      setChoices(cs);
      setKnown((k) => new Map([...k, ...cs.map((c) => [c.id, c.name] as [string, string])]));
    }, () => undefined);
    // cameras granted to me, so partner cameras can be picked too
    void api('get', '/api/v1/grants', { query: { view: 'mine' } }).then(async (r) => {
      const ids = [...new Set(r.items.filter((g) => g.state === 'approved').flatMap((g) => g.cameraIds))];
      for (const id of ids.slice(0, 64)) {
        const c = await api('get', '/api/v1/cameras/{id}', { params: { id } }).catch(() => null);
        if (c) setGranted((cs) => (cs.some((x) => x.id === c.id) ? cs : [...cs, c]));
        if (c) setKnown((k) => new Map(k).set(c.id, c.name));
      }
    }, () => undefined);
  }, []);

  useEffect(() => {
    const p = new URLSearchParams();
    if (cams.length) p.set('cams', cams.join(','));
    p.set('layout', String(layout));
    if (grant) p.set('grant', grant);
    history.replaceState(null, '', `/live?${p}`);
  }, [cams, layout]);

  const picks = useMemo(() => {
    const n = needle.trim().toLowerCase();
    const out: Array<{ id: string; name: string }> = [];
    const seen = new Set(cams);
    for (const list of [granted, choices]) {
      for (const c of list) {
        if (out.length >= PICK_MAX) break;
        if (!seen.has(c.id) && (!n || c.name.toLowerCase().includes(n))) {
          seen.add(c.id);
          out.push(c);
        }
      }
    }
    return out;
  }, [granted, choices, cams, needle]);

  const add = (id: string) => {
    if (!id || cams.includes(id)) return;
    const next = [...cams, id].slice(-16);
    setCams(next);
    if (next.length > layout) setLayout(LAYOUTS.find((l) => l >= next.length) ?? 16);
  };

  return (
    <div class="live-page">
      <div class="toolbar">
        <span>{t('live.layout')}</span>
        {LAYOUTS.map((l) => <button key={l} class={l === layout ? 'active' : ''} onClick={() => setLayout(l)} data-layout={l}>{`${l}`}</button>)}
        <input type="search" class="pick-search" placeholder={t('live.pickSearch')} value={needle} onInput={(e) => setNeedle(e.currentTarget.value)} data-testid="live-pick-search" />
        <select value="" onChange={(e) => add(e.currentTarget.value)} data-testid="live-pick">
          <option value="">{t('live.pick')}</option>
          {picks.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
      </div>
      {cams.length === 0 && <p class="empty">{t('live.empty')}</p>}
      <div class={`grid grid-${layout}`}>
        {cams.slice(0, layout).map((id) => (
          <PlayerTile key={id} cameraId={id} name={cameraName(id, known)} grantId={grant}
            onRemove={() => setCams((cs) => cs.filter((x) => x !== id))} />
        ))}
      </div>
    </div>
  );
}
