// Village enrolment: a CSV (UTF-8 or GBK, as Excel saves it) checked row by row (dry run), then committed with
// progress; the village's cameras with their health; activating a household owner's account.
import { useEffect, useState } from 'preact/hooks';
import { api, rawCall, urlOf, type ApiResponse, type Camera } from '../api/client.ts';
import { useShell } from '../context.ts';
import { hasKey, t, tCode, type MessageKey } from '../i18n/index.ts';
import { loadAllCameras } from '../map/boundaries.ts';
import { fmtTime } from '../time.ts';
import { ErrorLine, StateBadge } from '../ui.tsx';

type BulkResult = ApiResponse<'/api/v1/cameras/bulk', 'post'>;

export function EnrolPage() {
  const shell = useShell();
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<BulkResult | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [cameras, setCameras] = useState<Camera[]>([]);
  const reloadCameras = () => loadAllCameras().then(setCameras, setError);
  useEffect(() => {
    void reloadCameras();
    return shell.events.on((e) => {
      if (e.type === 'camera.state') {
        const p = e.payload as { cameraId: string; to: string };
        setCameras((cs) => cs.map((c) => (c.id === p.cameraId ? { ...c, state: p.to } : c)));
      }
    });
  }, []);

  const run = async (dryRun: boolean) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setProgress(null);
    try {
      const res = await rawCall('post', urlOf('/api/v1/cameras/bulk', {}, { dryRun, fileName: file.name.slice(0, 200) }), {
        body: await file.arrayBuffer(), contentType: 'text/csv', accept: 'application/x-ndjson',
      });
      // NDJSON: progress lines, then the result
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (value) buf += dec.decode(value, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const m = JSON.parse(line) as { type: string; done?: number; total?: number; error?: { code: string; message: string } } & BulkResult;
          if (m.type === 'progress') setProgress({ done: m.done ?? 0, total: m.total ?? 0 });
          else if (m.type === 'result') setResult(m);
          else if (m.type === 'error') throw Object.assign(new Error(m.error?.message), { code: m.error?.code });
        }
        if (done) break;
      }
      if (!dryRun) void reloadCameras();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const statusText = (s: string) => (hasKey(`enrol.status.${s}`) ? t(`enrol.status.${s}` as MessageKey) : s);
  const summary = result ? Object.entries(result.counts).map(([k, n]) => `${statusText(k)} ${n}`).join(' · ') : '';
  const canCommit = result?.dryRun && result.rows.some((r) => r.status !== 'rejected');

  return (
    <div class="enrol-page columns">
      <section>
        <h2>{t('enrol.title')}</h2>
        <div class="card">
          <label>{t('enrol.upload')}<input type="file" accept=".csv,text/csv" data-testid="csv-file"
            onChange={(e) => { setFile(e.currentTarget.files?.[0] ?? null); setResult(null); setProgress(null); }} /></label>
          <div class="actions">
            <button disabled={!file || busy} onClick={() => void run(true)} data-testid="dry-run">{t('enrol.dryRun')}</button>
            <button class="primary" disabled={!file || busy || !canCommit} onClick={() => void run(false)} data-testid="commit">{t('enrol.commit')}</button>
          </div>
          {progress && <div class="progress"><div class="bar" style={{ width: `${progress.total ? (100 * progress.done) / progress.total : 0}%` }} /><span>{t('enrol.progress', progress)}</span></div>}
          <ErrorLine error={error} />
          {result && <p class={result.dryRun ? 'muted' : 'banner ok'} data-testid="enrol-summary" data-dry-run={String(result.dryRun)}>{t('enrol.encoding', { enc: result.encoding })} · {result.dryRun ? summary : t('enrol.done', { summary })}</p>}
        </div>
        {result && (
          <table class="table" data-testid="enrol-rows">
            <thead><tr><th>{t('enrol.row')}</th><th>{t('enrol.address')}</th><th>{t('enrol.status')}</th><th>{t('enrol.reason')}</th></tr></thead>
            <tbody>
              {result.rows.map((r) => (
                <tr key={r.row} class={`row-${r.status}`} data-status={r.status}>
                  <td>{r.row}</td><td>{`${r.host}:${r.port}`}</td><td><span class={`badge enrol-${r.status}`}>{statusText(r.status)}</span></td>
                  <td class="small">{r.code && <>{tCode('error', r.code, r.code)} <code>{r.code}</code></>}{r.reason && <div class="muted">{r.reason}</div>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>{t('enrol.cameras')} <span class="count">{cameras.length}</span></h2>
        <table class="table">
          <thead><tr><th>{t('playback.camera')}</th><th>{t('card.owner')}</th><th>{t('card.sharing')}</th><th>{t('card.state')}</th><th>{t('card.lastSeen')}</th><th /></tr></thead>
          <tbody>
            {cameras.map((c) => (
              <tr key={c.id}>
                <td>{c.name}<div class="muted small">{c.address ?? ''}</div></td>
                <td>{c.ownerName ?? '—'}</td>
                <td class="small">{t(`sharing.${c.sharingMode ?? 'null'}` as MessageKey)}</td>
                <td><StateBadge state={c.enabled ? c.state : 'disabled'} /></td>
                <td class="small">{fmtTime(c.lastSeenAt)}</td>
                <td>{c.ownerUserId && <Activate userId={c.ownerUserId} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function Activate({ userId }: { userId: string }) {
  const [open, setOpen] = useState(false);
  const [pw, setPw] = useState('');
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (done) return <span class="ok small">{t('enrol.activated')}</span>;
  if (!open) return <button class="link" onClick={() => setOpen(true)}>{t('enrol.activate')}</button>;
  return (
    <span class="inline-form">
      <input type="password" placeholder={t('enrol.newPassword')} value={pw} onInput={(e) => setPw(e.currentTarget.value)} minLength={8} />
      <button disabled={pw.length < 8} onClick={() => void api('put', '/api/v1/users/{id}/password', { params: { id: userId }, body: { password: pw } }).then(() => setDone(true), setError)}>{t('common.save')}</button>
      <ErrorLine error={error} />
    </span>
  );
}
