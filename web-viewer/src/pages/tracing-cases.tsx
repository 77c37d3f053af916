// Cases: the list of my cases, opening a new one (the server canonicalises the case number and says in a code
// what is wrong with it), and a case's members (the owner invites partner investigators).
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.ts';
import { stationName, useShell } from '../context.ts';
import { t, type MessageKey } from '../i18n/index.ts';
import { fmtTime, fromLocalInput, toLocalInput } from '../time.ts';
import { ErrorLine, useAsync } from '../ui.tsx';
import type { Case, Member } from './tracing-model.ts';

export function CasesView({ onOpen }: { onOpen: (id: string) => void }) {
  const shell = useShell();
  const list = useAsync(() => api('get', '/api/v1/cases'), []);
  const [caseNo, setCaseNo] = useState('');
  const [title, setTitle] = useState('');
  const [openedAt, setOpenedAt] = useState(() => toLocalInput(new Date(Date.now() - 6 * 3600_000)));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const taken = error instanceof ApiError && error.code === 'case_number_taken' && typeof error.details?.caseId === 'string' ? error.details.caseId : null;

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const at = fromLocalInput(openedAt);
      const c = await api('post', '/api/v1/cases', { body: { caseNo, title, ...(at ? { openedAt: at } : {}) } });
      onOpen(c.id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const items = list.data?.items ?? [];
  return (
    <div class="tracing-cases columns">
      <section>
        <h2>{t('tracing.cases')}</h2>
        <ErrorLine error={list.error} />
        {list.data && items.length === 0 && <p class="empty">{t('tracing.noCases')}</p>}
        <table class="table" data-testid="case-list">
          {items.length > 0 && (
            <thead><tr><th>{t('tracing.caseNo')}</th><th>{t('tracing.caseTitle')}</th><th>{t('tracing.ownerStation')}</th><th>{t('tracing.openedAt')}</th><th /></tr></thead>
          )}
          <tbody>
            {items.map((c) => (
              <tr key={c.id} data-case={c.id}>
                <td><strong>{c.caseNo}</strong></td>
                <td>{c.title}</td>
                <td>{stationName(shell, c.ownerStationId)}</td>
                <td class="nowrap">{fmtTime(c.openedAt, true)}</td>
                <td><span class={`badge case-${c.status}`}>{t(`tracing.status.${c.status}` as MessageKey)}</span>{' '}
                  <button class="primary" onClick={() => onOpen(c.id)}>{t('tracing.open')}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <form class="card form new-case" onSubmit={create} data-testid="case-form">
        <h3>{t('tracing.newCase')}</h3>
        <p class="muted small">{t('tracing.newCaseHint')}</p>
        <label>{t('tracing.caseNo')}<input name="caseNo" value={caseNo} onInput={(e) => setCaseNo(e.currentTarget.value)} required maxLength={256} placeholder={t('tracing.caseNoPlaceholder')} /></label>
        <p class="muted small">{t('tracing.caseNoHint')}</p>
        <label>{t('tracing.caseTitle')}<input name="title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required maxLength={200} /></label>
        <label>{t('tracing.incidentAt')}<input name="openedAt" type="datetime-local" value={openedAt} onInput={(e) => setOpenedAt(e.currentTarget.value)} /></label>
        <p class="muted small">{t('tracing.incidentHint')}</p>
        <ErrorLine error={error} />
        {taken && <button type="button" onClick={() => onOpen(taken)}>{t('tracing.openExisting')}</button>}
        <div class="actions"><button type="submit" class="primary" disabled={busy} data-testid="case-create">{t('tracing.create')}</button></div>
      </form>
    </div>
  );
}

export function MembersPanel({ c, members, onChange, onClosed }: { c: Case; members: Member[]; onChange: (m: Member[]) => void; onClosed: (c: Case) => void }) {
  const shell = useShell();
  const [username, setUsername] = useState('');
  const [why, setWhy] = useState('');
  const [closed, setClosed] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const me = shell.me.user.id;
  const owner = members.some((m) => m.userId === me && m.role === 'owner')
    || (shell.me.user.role === 'duty_officer' && shell.me.stationId === c.ownerStationId);
  const invite = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api('post', '/api/v1/cases/{id}/members', { params: { id: c.id }, body: { username: username.trim() } });
      onChange(r.members);
      setUsername('');
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (userId: string) => {
    setError(null);
    try {
      onChange((await api('delete', '/api/v1/cases/{id}/members/{userId}', { params: { id: c.id, userId } })).members);
    } catch (err) {
      setError(err);
    }
  };
  const close = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api('post', '/api/v1/cases/{id}/close', { params: { id: c.id }, body: { reason: why.trim() } });
      setClosed(r.holdsReleased);
      onClosed(r.case);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div class="members" data-testid="members">
      <table class="table compact">
        <tbody>
          {members.map((m) => (
            <tr key={m.userId}>
              <td><strong>{m.username}</strong></td>
              <td>{t(`tracing.memberRole.${m.role === 'owner' ? 'owner' : 'member'}` as MessageKey)}</td>
              <td class="small muted">{fmtTime(m.addedAt)}</td>
              <td>{owner && m.role !== 'owner' && c.status === 'open' && <button class="link" onClick={() => void remove(m.userId)}>{t('tracing.removeMember')}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {owner && c.status === 'open' && (
        <form class="inline-form" onSubmit={invite}>
          <input name="invite" value={username} onInput={(e) => setUsername(e.currentTarget.value)} placeholder={t('tracing.invitePlaceholder')} required maxLength={100} />
          <button type="submit">{t('tracing.invite')}</button>
        </form>
      )}
      <p class="muted small">{t('tracing.membersHint')}</p>
      <ErrorLine error={error} />
      {owner && c.status === 'open' && (
        <form class="card form close-case" onSubmit={close}>
          <h4>{t('tracing.closeCase')}</h4>
          <p class="muted small">{t('tracing.closeHint')}</p>
          <label>{t('tracing.closeReason')}<input name="closeReason" value={why} onInput={(e) => setWhy(e.currentTarget.value)} required maxLength={2000} /></label>
          <div class="actions"><button type="submit" class="danger" disabled={!why.trim()}>{t('tracing.closeCase')}</button></div>
        </form>
      )}
      {closed !== null && <p class="banner ok" data-testid="case-closed">{t('tracing.closedDone', { n: closed })}</p>}
    </div>
  );
}
