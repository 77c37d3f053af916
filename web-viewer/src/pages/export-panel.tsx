// Evidence export from the playback page: POST /exports for the selected window (watermark optional), progress
// from the export.progress events (with polling as a fallback: events sent while the socket was down are lost),
// then the clip and the signed manifest to download, the manifest's key facts, and the exports of each case.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, urlOf, type ApiResponse } from '../api/client.ts';
import { useShell } from '../context.ts';
import { t } from '../i18n/index.ts';
import { fmtRange, fmtTime } from '../time.ts';
import { ErrorLine } from '../ui.tsx';
import { download } from '../download.ts';
import { cameraName } from '../camera-names.ts';

export type ExportRow = ApiResponse<'/api/v1/exports/{id}', 'get'>;
export type SignedManifest = ApiResponse<'/api/v1/exports/{id}/manifest.json', 'get'>;
interface Win { from: string; to: string }

const POLL_MS = 1500;
/** Beijing time to the millisecond: the manifest's frame times are exact, and evidence is compared to the frame. */
const precise = (iso: string) => `${fmtTime(iso)}.${String(new Date(iso).getUTCMilliseconds()).padStart(3, '0')} +08:00`;
const short = (hex: string | null | undefined) => (hex ? `${hex.slice(0, 16)}…${hex.slice(-8)}` : '—');
const clipFile = (id: string) => `${id}-clip.mp4`;
const manifestFile = (id: string) => `${id}-manifest.json`;

function fmtBytes(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The export of `window` (the played or chosen window inside what the user may see), its progress and results. */
export function ExportPanel({ cameraId, window, grantId, names }: { cameraId: string; window: Win | null; grantId: string | undefined; names: Map<string, string> }) {
  const shell = useShell();
  const [watermark, setWatermark] = useState(true);
  const [job, setJob] = useState<ExportRow | null>(null);
  const [manifest, setManifest] = useState<SignedManifest | null>(null);
  const [mine, setMine] = useState<ExportRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const jobId = useRef<string | null>(null);

  const loadMine = () => api('get', '/api/v1/exports').then((r) => setMine(r.items), () => undefined);
  const finished = async (row: ExportRow) => {
    setJob(row);
    void loadMine();
    if (row.state !== 'done') return;
    try {
      setManifest(await api('get', '/api/v1/exports/{id}/manifest.json', { params: { id: row.id } }));
    } catch (e) {
      setError(e);
    }
  };

  useEffect(() => {
    void loadMine();
    // progress pushed over the events socket; a poll catches up on what a dropped socket missed
    const off = shell.events.on((e) => {
      if (e.type !== 'export.progress' || e.payload.exportId !== jobId.current) return;
      const state = e.payload.state as ExportRow['state'];
      const progress = Number(e.payload.progress);
      if (state === 'running') setJob((j) => (j && j.state === 'running' ? { ...j, progress: Math.max(j.progress, progress) } : j));
      else void api('get', '/api/v1/exports/{id}', { params: { id: String(e.payload.exportId) } }).then(finished, setError);
    });
    const timer = setInterval(() => {
      const id = jobId.current;
      if (!id) return;
      void api('get', '/api/v1/exports/{id}', { params: { id } }).then((row) => {
        if (jobId.current !== id) return;
        if (row.state === 'running') setJob((j) => (j && j.state === 'running' ? { ...row, progress: Math.max(j.progress, row.progress) } : j));
        else if (jobId.current === id) {
          jobId.current = null;
          void finished(row);
        }
      }, () => undefined);
    }, POLL_MS);
    return () => {
      off();
      clearInterval(timer);
    };
  }, []);

  // The socket may report the end before the poll: stop polling a finished job either way.
  useEffect(() => {
    if (job && job.state !== 'running') jobId.current = null;
  }, [job?.state]);

  const start = async () => {
    if (!window) return;
    setError(null);
    setManifest(null);
    setBusy(true);
    try {
      const row = await api('post', '/api/v1/exports', { body: { cameraId, from: window.from, to: window.to, watermark, ...(grantId ? { grantId } : {}) } });
      jobId.current = row.id;
      setJob(row);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const show = async (row: ExportRow) => {
    setError(null);
    setManifest(null);
    jobId.current = row.state === 'running' ? row.id : null;
    if (row.state === 'running') setJob(row);
    else await finished(row);
  };

  const save = (row: ExportRow, what: 'clip.mp4' | 'manifest.json') =>
    download(urlOf(`/api/v1/exports/{id}/${what}`, { id: row.id }), what === 'clip.mp4' ? clipFile(row.id) : manifestFile(row.id)).catch(setError);

  const pct = job ? Math.round(job.progress * 100) : 0;
  const byCase = new Map<string, ExportRow[]>();
  for (const r of mine) {
    const k = r.caseNo ?? '';
    byCase.set(k, [...(byCase.get(k) ?? []), r]);
  }

  return (
    <section class="card export-panel" data-testid="export-panel">
      <header class="panel-head">
        <h3>{t('export.title')}</h3>
        <span class="muted small">{window ? t('export.window', { window: fmtRange(window) }) : t('export.pickWindow')}</span>
      </header>
      <div class="row">
        <label class="check"><input type="checkbox" name="watermark" checked={watermark} onChange={(e) => setWatermark(e.currentTarget.checked)} />{t('export.watermark')}</label>
        <button class="primary" disabled={!window || busy || job?.state === 'running'} onClick={() => void start()} data-testid="export-start">{t('export.start')}</button>
        <span class="muted small">{t('export.hint')}</span>
      </div>
      <ErrorLine error={error} />
      {job && (
        <div class="export-job" data-testid="export-job" data-export={job.id} data-state={job.state}>
          <div class={`progress ${job.state}`} data-testid="export-progress" data-progress={job.progress} data-state={job.state}>
            <div class="bar" style={{ width: `${job.state === 'failed' ? 100 : pct}%` }} />
            <span>
              {job.state === 'running' && t('export.running', { pct })}
              {job.state === 'done' && t('export.done')}
              {job.state === 'failed' && t('export.failed', { error: job.error ?? '—' })}
            </span>
          </div>
          {job.state === 'done' && (
            <div class="actions">
              <button class="primary" onClick={() => void save(job, 'clip.mp4')} data-testid="export-clip">{t('export.downloadClip', { size: fmtBytes(job.clipBytes) })}</button>
              <button onClick={() => void save(job, 'manifest.json')} data-testid="export-manifest">{t('export.downloadManifest')}</button>
              <span class="muted small">{t('export.verifyHint')}</span>
            </div>
          )}
          {manifest && manifest.manifest.exportId === job.id && <ManifestFacts signed={manifest} />}
        </div>
      )}
      <h4>{t('export.byCase')}</h4>
      {mine.length === 0 && <p class="muted small">{t('export.none')}</p>}
      {[...byCase.entries()].map(([caseNo, rows]) => (
        <div key={caseNo} class="case-exports" data-testid="case-exports" data-case={caseNo}>
          <div class="small case-head"><b>{caseNo ? t('export.case', { caseNo }) : t('export.noCase')}</b><span class="count">{rows.length}</span></div>
          <table class="table compact">
            <thead><tr><th>{t('export.camera')}</th><th>{t('export.footage')}</th><th>{t('export.state')}</th><th>{t('export.createdAt')}</th><th /></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-export={r.id} class={job?.id === r.id ? 'selected' : ''}>
                  <td>{cameraName(r.cameraId, names)}</td>
                  <td class="small">{fmtRange(r)}</td>
                  <td><span class={`badge export-${r.state}`}>{t(`export.state.${r.state}`)}</span>{r.watermark && <span class="badge">{t('export.watermarked')}</span>}</td>
                  <td class="small">{fmtTime(r.createdAt)}</td>
                  <td class="nowrap">
                    {r.state === 'done' && <>
                      <button class="link" onClick={() => void show(r)}>{t('export.details')}</button>
                      <button class="link" onClick={() => void save(r, 'clip.mp4')}>{t('export.clip')}</button>
                      <button class="link" onClick={() => void save(r, 'manifest.json')}>{t('export.manifest')}</button>
                    </>}
                    {r.state === 'running' && <button class="link" onClick={() => void show(r)}>{t('export.details')}</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}

/** What an investigator checks and a court asks about: hashes, root, the frames actually kept, gaps, the signer. */
function ManifestFacts({ signed }: { signed: SignedManifest }) {
  const m = signed.manifest;
  return (
    <dl class="manifest-facts" data-testid="manifest-facts">
      <dt>{t('manifest.camera')}</dt><dd>{m.camera.name}{m.camera.ownerStation.name ? ` · ${m.camera.ownerStation.name}` : ''}</dd>
      <dt>{t('manifest.caseGrant')}</dt><dd>{m.caseNo ?? '—'}{m.grant ? ` · ${t('manifest.approvedBy', { name: m.grant.approver?.name ?? '—' })}` : ''}</dd>
      <dt>{t('manifest.firstFrame')}</dt><dd data-testid="manifest-first">{precise(m.actual.firstFrame)}</dd>
      <dt>{t('manifest.lastFrame')}</dt><dd data-testid="manifest-last">{precise(m.actual.lastFrame)}</dd>
      <dt>{t('manifest.requested')}</dt><dd class="small">{fmtRange(m.requested)}</dd>
      <dt>{t('manifest.gaps')}</dt>
      <dd data-testid="manifest-gaps">{m.gaps.length === 0 ? t('manifest.noGaps') : m.gaps.map((g) => `${fmtRange(g)} (${g.reason})`).join('; ')}</dd>
      <dt>{t('manifest.clipSha')}</dt><dd><code class="hash" title={m.clip.sha256} data-testid="manifest-sha">{m.clip.sha256}</code></dd>
      <dt>{t('manifest.merkle')}</dt><dd><code class="hash" title={m.merkleRoot} data-testid="manifest-merkle">{short(m.merkleRoot)}</code>{` · ${t('manifest.segments', { n: m.segments.length })}`}</dd>
      <dt>{t('manifest.transform')}</dt>
      <dd class="small">
        {m.transform.watermark ? t('manifest.watermarked') : t('manifest.remuxed')}
        {m.transform.masks.length > 0 && ` · ${t('manifest.masked', { versions: m.transform.masks.map((x) => x.version).join(', ') })}`}
        {m.transform.maskLifted && ` · ${t('manifest.maskLifted', { version: m.transform.maskLifted.maskVersion })}`}
        {m.source === 'camera' && ` · ${t('manifest.fromCamera')}`}
      </dd>
      <dt>{t('manifest.signature')}</dt><dd class="small">{t('manifest.signedBy', { kid: signed.signature.kid, at: fmtTime(m.exportedAt, true) })}{m.auditId !== null && ` · ${t('manifest.auditRow', { id: m.auditId })}`}</dd>
    </dl>
  );
}
