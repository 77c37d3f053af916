// Reachable cameras from a sighting, by owning station: who approves, what is left out and why (the grant
// preview, as on the request page), "request all" per station with the footage window per camera the API
// derived, and the resulting grants with their state, live.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, type Grant, type Preview } from '../api/client.ts';
import { stationName, useShell } from '../context.ts';
import { t, tCode, type MessageKey } from '../i18n/index.ts';
import { fmtRange, fmtTime } from '../time.ts';
import { ErrorLine } from '../ui.tsx';
import { rememberNames } from '../camera-names.ts';
import { GrantCard } from './grant-card.tsx';
import {
  byStation, hull, REQUEST_ACTIONS, TRAVEL_MODES,
  type Case, type CaseRequests, type Finding, type ReachCamera, type SearchParams, type Sighting, type StationGroup, type TravelMode,
} from './tracing-model.ts';

export function ReachForm({ sightings, names, params, busy, onSearch }: {
  sightings: Sighting[]; names: Map<string, string>; params: SearchParams | null; busy: boolean; onSearch: (p: SearchParams) => void;
}) {
  const last = sightings[sightings.length - 1];
  const [kind, setKind] = useState<SearchParams['kind']>(params?.kind ?? 'reach');
  const [from, setFrom] = useState(params?.kind === 'reach' ? params.from : last?.id ?? '');
  const [mode, setMode] = useState<TravelMode>(params?.mode ?? 'car');
  const [minutes, setMinutes] = useState(params?.kind === 'reach' ? params.minutes : 60);
  const [direction, setDirection] = useState<'after' | 'before'>(params?.kind === 'reach' ? params.direction : 'after');
  const [widthM, setWidthM] = useState(params?.kind === 'corridor' ? params.widthM : 300);
  useEffect(() => { if (!sightings.some((s) => s.id === from) && last) setFrom(last.id); }, [sightings]);
  if (!sightings.length) return <p class="empty small">{t('tracing.reachNeedsSighting')}</p>;
  const submit = (e: Event) => {
    e.preventDefault();
    onSearch(kind === 'corridor' ? { kind, mode, widthM } : { kind, from, mode, minutes, direction });
  };
  return (
    <form class="reach-form" data-testid="reach-form" onSubmit={submit}>
      <div class="segmented">
        <button type="button" class={kind === 'reach' ? 'active' : ''} data-kind="reach" onClick={() => setKind('reach')}>{t('tracing.kind.reach')}</button>
        <button type="button" class={kind === 'corridor' ? 'active' : ''} data-kind="corridor" disabled={sightings.length < 2} onClick={() => setKind('corridor')}>{t('tracing.kind.corridor')}</button>
      </div>
      {kind === 'reach' ? (
        <label>{t('tracing.reachFrom')}
          <select name="from" value={from} onChange={(e) => setFrom(e.currentTarget.value)}>
            {sightings.map((s, i) => <option key={s.id} value={s.id}>{`${i + 1}. ${fmtTime(s.seenAt)} · ${names.get(s.cameraId) ?? s.cameraId.slice(0, 8)}`}</option>)}
          </select>
        </label>
      ) : <p class="small muted">{t('tracing.corridorHint', { n: sightings.length })}</p>}
      <div class="row">
        <label>{t('tracing.mode')}
          <select name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as TravelMode)}>
            {TRAVEL_MODES.map((m) => <option key={m} value={m}>{t(`tracing.mode.${m}` as MessageKey)}</option>)}
          </select>
        </label>
        {kind === 'reach' ? (
          <>
            <label>{t('tracing.minutes')}<input name="minutes" type="number" min={1} max={360} value={minutes} onInput={(e) => setMinutes(Math.max(1, Number(e.currentTarget.value) || 60))} /></label>
            <label>{t('tracing.direction')}
              <select name="direction" value={direction} onChange={(e) => setDirection(e.currentTarget.value as 'after' | 'before')}>
                <option value="after">{t('tracing.direction.after')}</option>
                <option value="before">{t('tracing.direction.before')}</option>
              </select>
            </label>
          </>
        ) : <label>{t('tracing.corridorWidth')}<input name="widthM" type="number" min={10} max={2000} step={10} value={widthM} onInput={(e) => setWidthM(Math.max(10, Number(e.currentTarget.value) || 300))} /></label>}
      </div>
      <button type="submit" class="primary" disabled={busy || (kind === 'reach' && !from)} data-testid="reach-search">{t(kind === 'reach' ? 'tracing.findReachable' : 'tracing.findCorridor')}</button>
    </form>
  );
}

const OUTCOME_CLASS: Record<string, string> = { created: 'ok', joined: 'ok', extended: 'ok', existing: 'ok', already_viewable: 'muted', not_requested: 'warn' };

export function playbackPath(cameraId: string, w: { from: string; to: string }, grantId: string | null): string {
  return `/playback?camera=${cameraId}${grantId ? `&grant=${grantId}` : ''}&from=${encodeURIComponent(w.from)}&to=${encodeURIComponent(w.to)}`;
}

function CameraRow({ c, focused, onFocus }: { c: ReachCamera; focused: boolean; onFocus: (id: string) => void }) {
  const shell = useShell();
  const row = useRef<HTMLTableRowElement>(null);
  // a camera clicked on the map is brought into view in the list
  useEffect(() => { if (focused) row.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' }); }, [focused]);
  return (
    <tr ref={row} class={`${c.access.canView ? 'viewable' : ''} ${focused ? 'focused' : ''}`} data-camera={c.cameraId} onClick={() => onFocus(c.cameraId)}>
      <td><span class={`swatch cls-${c.ownerClass}`} />{c.name}</td>
      <td class="nowrap small">{c.arrivalMinutes === null ? '—' : t('tracing.arrival', { n: Math.round(c.arrivalMinutes) })}<br /><span class="muted">{fmtTime(c.arrivalAt).slice(-8)}</span></td>
      <td class="small">{c.access.canView
        ? <><span class="ok">{t('tracing.canView')}</span> <button type="button" class="link" data-testid="row-playback"
          onClick={(e) => { e.stopPropagation(); shell.navigate(playbackPath(c.cameraId, c.footage, c.access.grantId)); }}>{t('tracing.playWindow')}</button></>
        : tCode('reason', c.access.reason)}
        {!c.footageRecorded && <div class="muted">{t('tracing.noGatewayFootage')}</div>}</td>
    </tr>
  );
}

function StationCard({ c, group, reason, grants, focused, onFocus, onRequested }: {
  c: Case; group: StationGroup; reason: string; grants: Grant[]; focused: string | null; onFocus: (id: string) => void; onRequested: () => void;
}) {
  const shell = useShell();
  // cameras of a request of this case still waiting for a decision are not asked for twice
  const pending = new Map<string, Grant>();
  for (const g of grants) if (g.state === 'pending') for (const id of g.requestedCameraIds) pending.set(id, g);
  const notViewable = group.cameras.filter((x) => !x.access.canView);
  // footage that has not started yet cannot be requested (the subject may not have got there): asked for later
  const now = Date.now();
  const notYet = (x: ReachCamera) => Date.parse(x.footage.from) > now;
  const wanted = notViewable.filter((x) => !pending.has(x.cameraId) && !notYet(x));
  const span = hull(wanted.map((x) => x.footage));
  const [preview, setPreview] = useState<Preview | null>(null);
  const [result, setResult] = useState<CaseRequests | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ids = wanted.map((x) => x.cameraId).join(',');

  useEffect(() => {
    setPreview(null);
    if (!wanted.length || !span) return;
    let live = true;
    api('post', '/api/v1/grants/preview', { body: { cameraIds: wanted.map((x) => x.cameraId), caseNo: c.caseNo, reason: reason.trim() || '-', actions: [...REQUEST_ACTIONS], footage: span } })
      .then((p) => { if (live) setPreview(p); }, (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [ids]);

  const requestAll = async () => {
    setBusy(true);
    setError(null);
    try {
      rememberNames(group.cameras.map((x) => ({ id: x.cameraId, name: x.name })));
      const r = await api('post', '/api/v1/cases/{id}/requests', {
        params: { id: c.id },
        body: { cameras: wanted.map((x) => ({ cameraId: x.cameraId, from: x.footage.from, to: x.footage.to })), reason: reason.trim(), actions: [...REQUEST_ACTIONS] },
      });
      setResult(r);
      onRequested();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const excluded = new Map((preview?.excluded ?? []).map((x) => [x.cameraId, x]));
  const approverOf = new Map<string, Preview['groups'][number]>();
  for (const g of preview?.groups ?? []) for (const id of g.cameraIds) approverOf.set(id, g);
  const requestable = wanted.filter((x) => !excluded.has(x.cameraId)).length;
  const outcomes = new Map((result?.cameras ?? []).map((o) => [o.cameraId, o]));
  const names = new Map(group.cameras.map((x) => [x.cameraId, x.name]));
  const badge = group.own ? { cls: 'state-online', text: t('tracing.ownStation') }
    : group.agreement ? { cls: '', text: t('tracing.agreementTier', { name: group.agreement.code, tier: group.agreement.tier }) }
      : { cls: 'state-auth_failed', text: t('tracing.noAgreement') };
  const agreementContacts = preview?.groups.find((g) => g.agreement)?.agreement?.contacts ?? [];

  return (
    <section class={`card station-group ${group.own ? 'own' : ''}`} data-testid="station-group" data-station={group.stationId}>
      <header>
        <h3>{group.stationName}</h3>
        <span class={`badge ${badge.cls}`}>{badge.text}</span>
        <span class="grow" />
        <span class="muted small">{t('tracing.cameraCount', { n: group.cameras.length })}</span>
      </header>
      {group.agreement && <p class="small muted">{group.agreement.name}</p>}
      {!group.own && !group.agreement && group.contacts.length > 0 && (
        <p class="small warn">{t('tracing.callContacts')} {group.contacts.map((p) => `${p.name}${p.phone ? ` ${p.phone}` : ''}`).join(t('common.listSeparator'))}</p>
      )}
      <table class="table compact">
        <tbody>{group.cameras.map((x) => <CameraRow key={x.cameraId} c={x} focused={focused === x.cameraId} onFocus={onFocus} />)}</tbody>
      </table>
      {notViewable.length > 0 && (
        <div class="preview" data-testid="station-preview">
          <h4>{t('tracing.requestPreview')}</h4>
          {span && <p class="small">{t('tracing.window', { range: fmtRange(span) })}</p>}
          {preview || !wanted.length ? (
            <ul class="plain small">
              {notViewable.map((x) => {
                const ex = excluded.get(x.cameraId);
                const g = approverOf.get(x.cameraId);
                const o = outcomes.get(x.cameraId);
                const waiting = pending.has(x.cameraId);
                return (
                  <li key={x.cameraId} class={ex ? 'excluded' : ''} data-camera={x.cameraId}>
                    <strong>{x.name}</strong> <span class="muted">{fmtRange(x.footage)}</span>
                    <div>{ex ? <span class="warn">{`${tCode('reason', ex.reason, ex.message)} (${ex.reason})`}</span>
                      : g ? (g.approverKind === 'owner' ? t('request.approver.owner') : t('request.approver.station', { station: stationName(shell, g.ownerStationId) }))
                        : waiting ? <span class="badge grant-pending">{t('tracing.pendingGrant')}</span>
                          : notYet(x) ? <span class="muted">{t('tracing.windowNotStarted')}</span> : ''}
                    {o && <span class={`outcome ${OUTCOME_CLASS[o.outcome] ?? ''}`} data-outcome={o.outcome}> · {t(`tracing.outcome.${o.outcome}` as MessageKey)}{o.reason ? ` (${tCode('reason', o.reason, o.message)})` : ''}</span>}</div>
                  </li>
                );
              })}
            </ul>
          ) : <p class="muted small">{t('common.loading')}</p>}
          {agreementContacts.length > 0 && <p class="small muted">{t('tracing.contacts')} {agreementContacts.map((p) => `${p.name}${p.phone ? ` ${p.phone}` : ''}`).join(t('common.listSeparator'))}</p>}
          <ErrorLine error={error} />
          <div class="actions">
            <button class="primary" data-testid="request-all" disabled={busy || !reason.trim() || requestable === 0}
              onClick={() => void requestAll()}>{t('tracing.requestAll', { n: requestable })}</button>
            {!reason.trim() && <span class="small warn">{t('tracing.reasonNeeded')}</span>}
          </div>
        </div>
      )}
      {grants.length > 0 && (
        <div class="station-grants" data-testid="station-grants">
          <h4>{t('tracing.grantsHere')}</h4>
          {grants.map((g) => <GrantCard key={g.id} grant={g} names={names} />)}
          <GrantLinks grants={grants} />
        </div>
      )}
    </section>
  );
}

export function GrantLinks({ grants }: { grants: Grant[] }) {
  const shell = useShell();
  const approved = grants.find((g) => g.state === 'approved' && g.actions.includes('playback'));
  return (
    <div class="actions">
      <button class="link" onClick={() => shell.navigate('/grants')}>{t('tracing.toMyGrants')}</button>
      {approved && <button class="link" data-testid="to-playback" onClick={() => shell.navigate(`/playback?camera=${approved.cameraIds[0]}&grant=${approved.id}${approved.footage ? `&from=${encodeURIComponent(approved.footage.from)}&to=${encodeURIComponent(approved.footage.to)}` : ''}`)}>{t('tracing.toPlayback')}</button>}
    </div>
  );
}

export function ReachResults({ c, finding, grants, focused, onFocus, onRequested }: {
  c: Case; finding: Finding; grants: Grant[]; focused: string | null; onFocus: (id: string) => void; onRequested: () => void;
}) {
  const [reason, setReason] = useState(c.title);
  const groups = useMemo(() => byStation(finding.cameras), [finding]);
  const p = finding.params;
  const mode = t(`tracing.mode.${p.mode}` as MessageKey);
  return (
    <div class="reach-results" data-testid="reach-results">
      <p class="small">
        {p.kind === 'reach'
          ? t('tracing.reachSummary', { n: finding.cameras.length, km: ((finding.circle?.radiusM ?? 0) / 1000).toFixed(1), mode, minutes: p.minutes, stations: groups.length })
          : t('tracing.corridorSummary', { n: finding.cameras.length, width: p.widthM, mode, stations: groups.length })}
      </p>
      {finding.capped && <p class="banner warn small">{t('tracing.capped', { n: finding.cap })}</p>}
      {groups.some((g) => !g.own) && (
        <label>{t('tracing.reason')}<textarea name="reason" rows={2} maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
      )}
      {groups.map((g) => (
        <StationCard key={g.stationId} c={c} group={g} reason={reason} focused={focused} onFocus={onFocus} onRequested={onRequested}
          grants={grants.filter((x) => x.ownerStationId === g.stationId)} />
      ))}
    </div>
  );
}
