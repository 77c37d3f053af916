// Sightings: marked by clicking a camera on the map (time, note, confidence, optionally the camera's current
// still taken through the media edge), listed in time order in Beijing time, edited with history, deleted.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, rawCall, urlOf } from '../api/client.ts';
import { stationName, useShell } from '../context.ts';
import { t, type MessageKey } from '../i18n/index.ts';
import { fmtTime, fromLocalInput, toLocalInput } from '../time.ts';
import { ErrorLine } from '../ui.tsx';
import { minutesBetween, type Member, type Sighting } from './tracing-model.ts';

export interface PickedCamera { id: string; name: string; stationId: string | null }

const CONFIDENCE = [0.9, 0.6, 0.3] as const;
const confidenceKey = (c: number): MessageKey => (c >= 0.75 ? 'tracing.confidence.high' : c >= 0.45 ? 'tracing.confidence.medium' : 'tracing.confidence.low');

async function stillOf(cameraId: string): Promise<{ playToken: string; jpegBase64: string }> {
  const tok = await api('post', '/api/v1/play-tokens', { body: { cameraId, action: 'snapshot' } }) as unknown as { token: string };
  // the play token alone: the media edge would take a session bearer header for the token (and a 401 would end the session)
  const res = await fetch(urlOf(`/media/snapshot/${cameraId}.jpg`, {}, { token: tok.token }));
  if (!res.ok) {
    const body = await res.json().catch(() => null) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError(res.status, body?.error?.code ?? 'camera_unavailable', body?.error?.message ?? res.statusText);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { playToken: tok.token, jpegBase64: btoa(bin) };
}

export function SightingForm({ caseId, camera, editing, defaultAt, onSaved, onCancel }: {
  caseId: string; camera: PickedCamera | null; editing: Sighting | null; defaultAt: string;
  onSaved: (s: Sighting) => void; onCancel: () => void;
}) {
  const shell = useShell();
  const [at, setAt] = useState(() => toLocalInput(editing?.seenAt ?? defaultAt));
  const [note, setNote] = useState(editing?.note ?? '');
  const [confidence, setConfidence] = useState(editing?.confidence ?? 0.9);
  const [still, setStill] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setAt(toLocalInput(editing?.seenAt ?? defaultAt));
    setNote(editing?.note ?? '');
    setConfidence(editing?.confidence ?? 0.9);
    setError(null);
  }, [editing?.id]);

  const save = async (e: Event) => {
    e.preventDefault();
    const seenAt = fromLocalInput(at);
    if (!camera || !seenAt) return;
    setBusy(true);
    setError(null);
    try {
      const s = editing
        ? await api('patch', '/api/v1/cases/{id}/sightings/{sightingId}', {
          params: { id: caseId, sightingId: editing.id },
          body: { ...(camera.id !== editing.cameraId ? { cameraId: camera.id } : {}), seenAt, note, confidence, version: editing.version },
        })
        : await api('post', '/api/v1/cases/{id}/sightings', {
          params: { id: caseId },
          body: { cameraId: camera.id, seenAt, note, confidence, ...(still ? { snapshot: await stillOf(camera.id) } : {}) },
        });
      if (!editing) { setNote(''); setStill(false); }
      onSaved(s);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form sighting-form" onSubmit={save} data-testid="sighting-form">
      <h3>{editing ? t('tracing.editSighting') : t('tracing.newSighting')}</h3>
      <div class="picked" data-testid="sighting-camera">
        {camera ? <><strong>{camera.name}</strong> <span class="muted small">{stationName(shell, camera.stationId)}</span></> : <span class="muted">{t('tracing.pickCameraHint')}</span>}
      </div>
      <div class="row">
        <label>{t('tracing.seenAt')}<input type="datetime-local" name="seenAt" value={at} onInput={(e) => setAt(e.currentTarget.value)} required /></label>
        <label>{t('tracing.confidence')}
          <select name="confidence" value={String(confidence)} onChange={(e) => setConfidence(Number(e.currentTarget.value))}>
            {CONFIDENCE.map((c) => <option key={c} value={String(c)}>{t(confidenceKey(c))}</option>)}
          </select>
        </label>
      </div>
      <p class="muted small">{t('common.tz')}</p>
      <label>{t('tracing.note')}<textarea name="note" rows={2} maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} placeholder={t('tracing.notePlaceholder')} /></label>
      {!editing && <label class="check"><input type="checkbox" checked={still} onChange={(e) => setStill(e.currentTarget.checked)} />{t('tracing.attachStill')}</label>}
      <ErrorLine error={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || !camera || !fromLocalInput(at)} data-testid="sighting-save">{editing ? t('tracing.saveEdit') : t('tracing.addSighting')}</button>
        {editing && <button type="button" onClick={onCancel}>{t('common.cancel')}</button>}
      </div>
    </form>
  );
}

type HistoryRow = { version: number; kind: string; changedBy: string; changedAt: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null };

function History({ caseId, sighting, members, names }: { caseId: string; sighting: Sighting; members: Member[]; names: Map<string, string> }) {
  const [rows, setRows] = useState<HistoryRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api('get', '/api/v1/cases/{id}/sightings/{sightingId}/history', { params: { id: caseId, sightingId: sighting.id } })
      .then((r) => setRows(r.items as HistoryRow[]), setError);
  }, [sighting.id, sighting.version]);
  const who = (id: string) => members.find((m) => m.userId === id)?.username ?? id.slice(0, 8);
  const show = (k: string, v: unknown) => (k === 'seenAt' ? fmtTime(String(v)) : k === 'cameraId' ? (names.get(String(v)) ?? String(v).slice(0, 8)) : k === 'confidence' ? t(confidenceKey(Number(v))) : String(v ?? ''));
  const changes = (r: HistoryRow) => {
    if (!r.before || !r.after) return '';
    return ['cameraId', 'seenAt', 'note', 'confidence'].filter((k) => r.before![k] !== r.after![k])
      .map((k) => `${t(`tracing.field.${k}` as MessageKey)}: ${show(k, r.before![k])} → ${show(k, r.after![k])}`).join(t('common.clauseSeparator'));
  };
  return (
    <div class="history" data-testid="history">
      <ErrorLine error={error} />
      {rows?.map((r) => (
        <div key={r.version} class="small">
          <span class="badge">{t(`tracing.history.${r.kind}` as MessageKey)}</span> v{r.version} · {fmtTime(r.changedAt)} · {who(r.changedBy)} <span class="muted">{changes(r)}</span>
        </div>
      ))}
    </div>
  );
}

function Still({ caseId, sightingId }: { caseId: string; sightingId: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let u: string | null = null;
    rawCall('get', urlOf('/api/v1/cases/{id}/sightings/{sightingId}/snapshot.jpg', { id: caseId, sightingId }))
      .then((r) => r.blob()).then((b) => { u = URL.createObjectURL(b); setUrl(u); }, setError);
    return () => { if (u) URL.revokeObjectURL(u); };
  }, [sightingId]);
  return <div class="still">{url ? <img src={url} alt={t('tracing.still')} /> : <ErrorLine error={error} />}</div>;
}

export function SightingList({ caseId, items, names, stations, members, open, selected, onSelect, onEdit, onDeleted }: {
  caseId: string; items: Sighting[]; names: Map<string, string>; stations: Map<string, string | null>; members: Member[]; open: boolean;
  selected: string | null; onSelect: (id: string) => void; onEdit: (s: Sighting) => void; onDeleted: () => void;
}) {
  const shell = useShell();
  const [expanded, setExpanded] = useState<{ id: string; what: 'history' | 'still' } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const remove = async (s: Sighting) => {
    if (!confirm(t('tracing.confirmDelete'))) return;
    try {
      await api('delete', '/api/v1/cases/{id}/sightings/{sightingId}', { params: { id: caseId, sightingId: s.id } });
      onDeleted();
    } catch (err) {
      setError(err);
    }
  };
  if (items.length === 0) return <p class="empty small">{t('tracing.noSightings')}</p>;
  return (
    <div>
    <ErrorLine error={error} />
    <ol class="route-list" data-testid="sightings">
      {items.map((s, i) => {
        const prev = items[i - 1];
        return (
          <li key={s.id} class={s.id === selected ? 'active' : ''} data-sighting={s.id} onClick={() => onSelect(s.id)}>
            <span class="num">{i + 1}</span>
            <div class="grow">
              <div class="when"><strong>{fmtTime(s.seenAt, true)}</strong>
                {prev && <span class="muted small"> {t('tracing.after', { n: minutesBetween(prev.seenAt, s.seenAt) })}</span>}</div>
              <div>{names.get(s.cameraId) ?? s.cameraId.slice(0, 8)} <span class="muted small">· {stationName(shell, stations.get(s.cameraId))}</span></div>
              {s.note && <div class="note">{s.note}</div>}
              <div class="small muted">{t(confidenceKey(s.confidence))}{s.version > 1 ? ` · ${t('tracing.edited', { n: s.version - 1 })}` : ''}</div>
              <div class="actions small">
                {open && <button class="link" onClick={(e) => { e.stopPropagation(); onEdit(s); }}>{t('tracing.edit')}</button>}
                {open && <button class="link" onClick={(e) => { e.stopPropagation(); void remove(s); }}>{t('tracing.delete')}</button>}
                <button class="link" onClick={(e) => { e.stopPropagation(); setExpanded(expanded?.id === s.id && expanded.what === 'history' ? null : { id: s.id, what: 'history' }); }}>{t('tracing.historyLink')}</button>
                {s.snapshotSha256 && <button class="link" onClick={(e) => { e.stopPropagation(); setExpanded(expanded?.id === s.id && expanded.what === 'still' ? null : { id: s.id, what: 'still' }); }}>{t('tracing.still')}</button>}
              </div>
              {expanded?.id === s.id && expanded.what === 'history' && <History caseId={caseId} sighting={s} members={members} names={names} />}
              {expanded?.id === s.id && expanded.what === 'still' && <Still caseId={caseId} sightingId={s.id} />}
            </div>
          </li>
        );
      })}
    </ol>
    </div>
  );
}
