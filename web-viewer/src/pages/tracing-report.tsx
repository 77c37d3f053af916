// The route report: the printable page opened in a new tab (fetched with the session, shown from a blob), the
// signed JSON downloaded, and any report file checked against the gateway's keys.
import { useState } from 'preact/hooks';
import { api, rawCall, urlOf, type ApiBody } from '../api/client.ts';
import { t, tCode } from '../i18n/index.ts';
import { ErrorLine } from '../ui.tsx';
import type { Case } from './tracing-model.ts';

type ReportDoc = ApiBody<'/api/v1/cases/report/verify', 'post'>;

function fileName(c: Case, ext: string): string {
  return `route-report-${c.caseNo.replace(/[^\p{L}\p{N}._-]+/gu, '_')}.${ext}`;
}

export function ReportPanel({ c }: { c: Case }) {
  const [error, setError] = useState<unknown>(null);
  const [verdict, setVerdict] = useState<{ valid: boolean; kid?: string; reason?: string; caseNo?: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const openHtml = async () => {
    setError(null);
    // opened now, while the click still counts as the user's, and pointed at the report once it has arrived
    const tab = window.open('', '_blank');
    try {
      const res = await rawCall('get', urlOf('/api/v1/cases/{id}/report.html', { id: c.id }));
      const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html' }));
      if (tab) tab.location.href = url;
      else location.assign(url);
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      tab?.close();
      setError(e);
    }
  };

  const downloadJson = async () => {
    setError(null);
    try {
      const doc = await api('get', '/api/v1/cases/{id}/report.json', { params: { id: c.id } });
      const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName(c, 'json');
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    }
  };

  const verify = async (file: File | undefined) => {
    setVerdict(null);
    setError(null);
    if (!file) return;
    setBusy(true);
    try {
      let doc: ReportDoc;
      try {
        doc = JSON.parse(await file.text()) as ReportDoc;
      } catch {
        setVerdict({ valid: false, reason: 'not_json' });
        return;
      }
      const r = await api('post', '/api/v1/cases/report/verify', { body: doc });
      const caseNo = (doc.report?.case as { caseNo?: string } | undefined)?.caseNo;
      setVerdict({ ...r, ...(caseNo ? { caseNo } : {}) });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="report-panel" data-testid="report-panel">
      <p class="small muted">{t('tracing.reportHint')}</p>
      <div class="actions">
        <button class="primary" data-testid="report-open" onClick={() => void openHtml()}>{t('tracing.reportOpen')}</button>
        <button data-testid="report-json" onClick={() => void downloadJson()}>{t('tracing.reportJson')}</button>
      </div>
      <h4>{t('tracing.reportVerify')}</h4>
      <label class="file">{t('tracing.reportVerifyPick')}
        <input type="file" accept="application/json,.json" data-testid="report-verify-file" disabled={busy} onChange={(e) => void verify(e.currentTarget.files?.[0])} />
      </label>
      {verdict && (
        <p class={`banner ${verdict.valid ? 'ok' : 'error'}`} data-testid="report-verdict" data-valid={String(verdict.valid)}>
          {verdict.valid ? t('tracing.reportValid', { kid: verdict.kid ?? '', caseNo: verdict.caseNo ?? '' })
            : t('tracing.reportInvalid', { reason: verdict.reason === 'not_json' ? t('tracing.reportNotJson') : tCode('reason', verdict.reason, verdict.reason ?? '') })}
        </p>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
