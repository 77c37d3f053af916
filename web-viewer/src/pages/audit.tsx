// The auditor's page: search the audit log, verify the hash chain, export the same filters as CSV.
import { useEffect, useState } from 'preact/hooks';
import { api, rawCall, urlOf, type ApiResponse } from '../api/client.ts';
import { useShell } from '../context.ts';
import { hasKey, t, type MessageKey } from '../i18n/index.ts';
import { fmtTime, fromLocalInput, todayInShanghai } from '../time.ts';
import { ErrorLine } from '../ui.tsx';

type Row = ApiResponse<'/api/v1/audit', 'get'>['items'][number];
type Verify = ApiResponse<'/api/v1/audit/verify', 'get'>;
const FILTERS = ['caseNo', 'action', 'cameraId', 'from', 'to'] as const;

export function AuditPage() {
  const shell = useShell();
  const [f, setF] = useState<Record<(typeof FILTERS)[number], string>>(() => Object.fromEntries(FILTERS.map((k) => [k, shell.query.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>);
  const [rows, setRows] = useState<Row[]>([]);
  const [verify, setVerify] = useState<Verify | null>(null);
  const [error, setError] = useState<unknown>(null);
  const query = (afterId?: number) => ({
    caseNo: f.caseNo || undefined, action: f.action || undefined, cameraId: /^[0-9a-f-]{36}$/.test(f.cameraId) ? f.cameraId : undefined,
    from: fromLocalInput(f.from) ?? undefined, to: fromLocalInput(f.to) ?? undefined, limit: 200, afterId,
  });
  const search = (more = false) => {
    const after = more && rows.length ? rows[rows.length - 1]!.id : undefined;
    api('get', '/api/v1/audit', { query: query(after) }).then((r) => { setRows(more ? [...rows, ...r.items] : r.items); setError(null); }, setError);
    const p = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
    history.replaceState(null, '', `/audit${p.toString() ? `?${p}` : ''}`);
  };
  useEffect(() => search(), []);
  const exportCsv = async () => {
    try {
      const res = await rawCall('get', urlOf('/api/v1/audit/export.csv', {}, { ...query(), limit: undefined }));
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `audit-${todayInShanghai()}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="audit-page">
      <h2>{t('audit.title')}</h2>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); search(); }}>
        <label>{t('audit.filterCase')}<input value={f.caseNo} onInput={(e) => setF({ ...f, caseNo: e.currentTarget.value })} /></label>
        <label>{t('audit.filterAction')}<input value={f.action} onInput={(e) => setF({ ...f, action: e.currentTarget.value })} /></label>
        <label>{t('audit.filterCamera')}<input value={f.cameraId} onInput={(e) => setF({ ...f, cameraId: e.currentTarget.value })} /></label>
        <label>{t('audit.filterFrom')}<input type="datetime-local" value={f.from} onInput={(e) => setF({ ...f, from: e.currentTarget.value })} /></label>
        <label>{t('audit.filterTo')}<input type="datetime-local" value={f.to} onInput={(e) => setF({ ...f, to: e.currentTarget.value })} /></label>
        <button type="submit" class="primary">{t('common.search')}</button>
        <button type="button" onClick={() => void api('get', '/api/v1/audit/verify').then(setVerify, setError)} data-testid="verify">{t('audit.verify')}</button>
        <button type="button" onClick={() => void exportCsv()}>{t('audit.export')}</button>
      </form>
      <p class="muted small">{t('common.tz')}</p>
      {verify && <p class={`banner ${verify.intact ? 'ok' : 'error'}`} data-testid="verify-result">{verify.intact ? t('audit.intact', { rows: verify.rows }) : t('audit.broken', { id: verify.firstBrokenId ?? '?', problem: verify.problem ?? '' })}</p>}
      <ErrorLine error={error} />
      <table class="table" data-testid="audit-rows">
        <thead><tr><th>{t('audit.at')}</th><th>{t('audit.actor')}</th><th>{t('audit.action')}</th><th>{t('audit.outcome')}</th><th>{t('audit.case')}</th><th>{t('audit.reason')}</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} class={`row-outcome-${r.outcome}`}>
              <td class="nowrap">{fmtTime(r.at)}</td><td>{r.actorName ?? '—'}</td><td><code>{r.action}</code></td>
              <td><span class={`badge outcome-${r.outcome}`}>{hasKey(`audit.outcome.${r.outcome}`) ? t(`audit.outcome.${r.outcome}` as MessageKey) : r.outcome}</span></td><td>{r.caseNo ?? ''}</td><td class="small">{r.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > 0 && rows.length % 200 === 0 && <button onClick={() => search(true)}>{t('audit.more')}</button>}
    </div>
  );
}
