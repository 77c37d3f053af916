// An owner's privacy mask for one camera: rectangles drawn on the camera's snapshot with the mouse or a finger
// (draw on empty picture, drag a rectangle to move it, its corner to resize, Delete to remove), saved as a new
// version (the gateway canonicalises and may refuse: its reason is shown), the version history, and lifting the
// mask for one grant after a confirmation that says what that means.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiResponse, type Camera } from '../api/client.ts';
import { t } from '../i18n/index.ts';
import { fmtRange, fmtTime } from '../time.ts';
import { ErrorLine } from '../ui.tsx';

type Rect = { x: number; y: number; w: number; h: number };
type History = ApiResponse<'/api/v1/cameras/{id}/masks/history', 'get'>;
export interface GrantRef { id: string; caseNo: string | null; station: string | null; footage: { from: string; to: string } | null }

/** The gateway's own limits (gateway/media/masks/masks.service.ts), checked here first so the owner is told at once. */
const MAX_RECTS = 16;
const MIN_SIDE = 0.01;
const clamp = (v: number, a = 0, b = 1) => Math.min(b, Math.max(a, v));
const round4 = (v: number) => Math.round(v * 10_000) / 10_000;
const same = (a: Rect[], b: Rect[]) => JSON.stringify(a) === JSON.stringify(b);

type Drag =
  | { kind: 'draw'; x0: number; y0: number; index: number }
  | { kind: 'move'; index: number; dx: number; dy: number }
  | { kind: 'resize'; index: number };

export function MaskEditor({ camera, grants }: { camera: Camera; grants: GrantRef[] }) {
  const [saved, setSaved] = useState<{ version: number; rects: Rect[] }>({ version: 0, rects: [] });
  const [rects, setRects] = useState<Rect[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [history, setHistory] = useState<History | null>(null);
  const [snap, setSnap] = useState<string | null>(null);
  const [snapWhy, setSnapWhy] = useState<string | null>(null);
  const [aspect, setAspect] = useState(16 / 9);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<GrantRef | null>(null);
  // the snapshot is fetched when the owner opens the editor, not for every camera on every visit
  const [open, setOpen] = useState(false);
  const stage = useRef<HTMLDivElement>(null);
  const drag = useRef<Drag | null>(null);

  const loadHistory = () => api('get', '/api/v1/cameras/{id}/masks/history', { params: { id: camera.id } }).then(setHistory, setError);
  const loadSnapshot = () => {
    setSnapWhy(null);
    // the owner's own snapshot: a snapshot play token for their camera, then the authorising edge's JPEG
    api('post', '/api/v1/play-tokens', { body: { cameraId: camera.id, action: 'snapshot' } }).then(
      (r) => setSnap(`/media/snapshot/${camera.id}.jpg?token=${encodeURIComponent(r.token)}`),
      (e: unknown) => { setSnap(null); setSnapWhy(e instanceof Error ? e.message : ''); },
    );
  };
  useEffect(() => {
    api('get', '/api/v1/cameras/{id}/masks', { params: { id: camera.id } }).then((m) => {
      setSaved({ version: m.version, rects: m.rects });
      setRects(m.rects);
    }, setError);
    void loadHistory();
  }, [camera.id]);
  useEffect(() => {
    if (open) loadSnapshot();
  }, [open, camera.id]);

  const dirty = !same(rects, saved.rects);
  const lifted = new Map((history?.lifts ?? []).map((l) => [l.grantId, l]));

  /** Pointer position as fractions of the picture. */
  const at = (e: PointerEvent) => {
    const r = stage.current!.getBoundingClientRect();
    return { x: clamp((e.clientX - r.left) / r.width), y: clamp((e.clientY - r.top) / r.height) };
  };
  const onDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const target = e.target as HTMLElement;
    const index = target.dataset.index !== undefined ? Number(target.dataset.index) : null;
    const p = at(e);
    setNotice(null);
    if (index !== null && target.classList.contains('handle')) {
      drag.current = { kind: 'resize', index };
    } else if (index !== null) {
      const r = rects[index]!;
      drag.current = { kind: 'move', index, dx: p.x - r.x, dy: p.y - r.y };
    } else {
      if (rects.length >= MAX_RECTS) {
        setNotice(t('mask.tooMany', { max: MAX_RECTS }));
        return;
      }
      drag.current = { kind: 'draw', x0: p.x, y0: p.y, index: rects.length };
      setRects([...rects, { x: p.x, y: p.y, w: 0, h: 0 }]);
    }
    setSelected(drag.current.index);
    stage.current!.setPointerCapture(e.pointerId);
    // no text selection or scrolling while drawing; keep the keyboard here for Delete
    e.preventDefault();
    stage.current!.focus();
  };
  const onMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const p = at(e);
    setRects((rs) => rs.map((r, i) => {
      if (i !== d.index) return r;
      if (d.kind === 'draw') return { x: Math.min(d.x0, p.x), y: Math.min(d.y0, p.y), w: Math.abs(p.x - d.x0), h: Math.abs(p.y - d.y0) };
      if (d.kind === 'move') return { ...r, x: clamp(p.x - d.dx, 0, 1 - r.w), y: clamp(p.y - d.dy, 0, 1 - r.h) };
      return { ...r, w: clamp(p.x - r.x, 0, 1 - r.x), h: clamp(p.y - r.y, 0, 1 - r.y) };
    }));
  };
  const onUp = (e: PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (!d) return;
    stage.current?.releasePointerCapture(e.pointerId);
    setRects((rs) => {
      const r = rs[d.index];
      // a click or a slip of the finger is not a privacy region: the gateway would refuse it anyway
      if (r && (r.w < MIN_SIDE || r.h < MIN_SIDE)) {
        if (d.kind === 'draw') {
          setSelected(null);
          if (r.w > 0 || r.h > 0) setNotice(t('mask.tooSmall'));
          return rs.filter((_, i) => i !== d.index);
        }
        setNotice(t('mask.tooSmall'));
      }
      return rs.map((x) => ({ x: round4(x.x), y: round4(x.y), w: round4(x.w), h: round4(x.h) }));
    });
  };
  const remove = (i: number | null) => {
    if (i === null) return;
    setRects((rs) => rs.filter((_, k) => k !== i));
    setSelected(null);
  };
  const onKey = (e: KeyboardEvent) => {
    if ((e.key === 'Delete' || e.key === 'Backspace') && selected !== null) {
      remove(selected);
      e.preventDefault();
    }
  };

  const save = async () => {
    setError(null);
    setNotice(null);
    const bad = rects.findIndex((r) => r.w < MIN_SIDE || r.h < MIN_SIDE);
    if (bad >= 0) {
      setSelected(bad);
      setNotice(t('mask.tooSmall'));
      return;
    }
    try {
      const m = await api('put', '/api/v1/cameras/{id}/masks', { params: { id: camera.id }, body: { rects } });
      // what the gateway stored (rounded, checked) is what the editor shows from now on
      setSaved({ version: m.version, rects: m.rects });
      setRects(m.rects);
      setSelected(null);
      setNotice(t('mask.saved', { version: m.version }));
      void loadHistory();
    } catch (e) {
      setError(e);
    }
  };

  const lift = async (g: GrantRef) => {
    setError(null);
    try {
      const r = await api('post', '/api/v1/grants/{id}/mask-lift', { params: { id: g.id }, body: { cameraId: camera.id } });
      setNotice(t('mask.liftDone', { version: r.maskVersion, caseNo: g.caseNo ?? '—' }));
      setConfirming(null);
      void loadHistory();
    } catch (e) {
      setConfirming(null);
      setError(e);
    }
  };

  return (
    <div class="mask-editor" data-testid="mask-editor" data-camera={camera.id} data-version={saved.version} data-dirty={dirty} data-open={open}>
      {!open && (
        <div class="row mask-summary">
          <MiniMask rects={saved.rects} aspect={aspect} />
          <span class="small">{saved.version === 0 ? t('mask.none') : t('mask.current', { version: saved.version, n: saved.rects.length })}</span>
          <button onClick={() => setOpen(true)} data-testid="mask-open">{t('mask.edit')}</button>
        </div>
      )}
      {notice && !open && <div class="banner info small" data-testid="mask-notice">{notice}</div>}
      {!open && <ErrorLine error={error} />}
      {open && <div class="mask-layout">
        <div>
          <div
            ref={stage}
            class="mask-stage"
            style={{ aspectRatio: `${aspect}` }}
            tabIndex={0}
            onPointerDown={onDown}
            onPointerMove={onMove}
            onPointerUp={onUp}
            onPointerCancel={onUp}
            onKeyDown={onKey}
            data-testid="mask-stage"
            aria-label={t('mask.stage')}
          >
            {snap
              ? <img src={snap} alt={t('card.snapshot')} draggable={false} onLoad={(e) => { const i = e.currentTarget; if (i.naturalWidth && i.naturalHeight) setAspect(i.naturalWidth / i.naturalHeight); }} onError={() => { setSnap(null); setSnapWhy(''); }} />
              : <div class="placeholder">{snapWhy === null ? t('common.loading') : t('mask.noSnapshot')}</div>}
            {rects.map((r, i) => (
              <div key={i} data-index={i} class={`mask-rect${i === selected ? ' selected' : ''}`} style={{ left: `${r.x * 100}%`, top: `${r.y * 100}%`, width: `${r.w * 100}%`, height: `${r.h * 100}%` }}>
                <span class="handle" data-index={i} />
              </div>
            ))}
          </div>
          <p class="muted small">{t('mask.help')}</p>
        </div>
        <div class="mask-side">
          <p class="small">
            {saved.version === 0 ? t('mask.none') : t('mask.current', { version: saved.version, n: saved.rects.length })}
            {dirty && <span class="badge grant-pending">{t('mask.unsaved')}</span>}
          </p>
          <p class="small muted">{t('mask.explain')}</p>
          <div class="actions">
            <button class="primary" disabled={!dirty} onClick={() => void save()} data-testid="mask-save">{t('mask.save')}</button>
            <button disabled={selected === null} onClick={() => remove(selected)} data-testid="mask-delete">{t('mask.delete')}</button>
            <button disabled={!dirty} onClick={() => { setRects(saved.rects); setSelected(null); }} data-testid="mask-revert">{t('mask.revert')}</button>
            <button disabled={rects.length === 0} onClick={() => { setRects([]); setSelected(null); }}>{t('mask.clear')}</button>
            <button class="link" onClick={loadSnapshot}>{t('mask.refreshSnapshot')}</button>
            <button class="link" onClick={() => setOpen(false)}>{t('common.close')}</button>
          </div>
          {notice && <div class="banner info small" data-testid="mask-notice">{notice}</div>}
          <ErrorLine error={error} />
          <h4>{t('mask.history')}</h4>
          <ul class="plain mask-history" data-testid="mask-history">
            {(history?.versions ?? []).map((v) => (
              <li key={v.version} data-version={v.version}>
                <MiniMask rects={v.rects} aspect={aspect} />
                <span class="small">
                  <b>{t('mask.version', { version: v.version })}</b>{` · ${t('mask.areas', { n: v.rects.length })}`}
                  <br /><span class="muted">{t('mask.savedBy', { who: v.createdBy ?? '—', at: fmtTime(v.createdAt) })}</span>
                </span>
                <button class="link" onClick={() => { setRects(v.rects); setSelected(null); }}>{t('mask.useVersion')}</button>
              </li>
            ))}
            {history && history.versions.length === 0 && <li class="muted small">{t('mask.noHistory')}</li>}
          </ul>
        </div>
      </div>}
      <h4>{t('mask.grants')}</h4>
      <table class="table compact" data-testid="mask-grants">
        <thead><tr><th>{t('owner.case')}</th><th>{t('owner.station')}</th><th>{t('owner.window')}</th><th>{t('mask.liftColumn')}</th></tr></thead>
        <tbody>
          {grants.map((g) => {
            const l = lifted.get(g.id);
            return (
              <tr key={g.id} data-grant={g.id}>
                <td>{g.caseNo ?? '—'}</td>
                <td>{g.station ?? '—'}</td>
                <td class="small">{fmtRange(g.footage)}</td>
                <td>
                  {l
                    ? <span class="badge grant-approved" data-testid="mask-lifted">{t('mask.lifted', { version: l.maskVersion, at: fmtTime(l.liftedAt) })}</span>
                    : <button class="danger" disabled={saved.version === 0 || saved.rects.length === 0} onClick={() => setConfirming(g)} data-testid="mask-lift">{t('mask.lift')}</button>}
                </td>
              </tr>
            );
          })}
          {grants.length === 0 && <tr><td colSpan={4} class="muted">{t('mask.noGrants')}</td></tr>}
        </tbody>
      </table>
      {confirming && <div class="confirm-backdrop" onClick={() => setConfirming(null)} />}
      {confirming && (
        <div class="confirm card" role="dialog" aria-modal="true" data-testid="mask-lift-confirm">
          <h4>{t('mask.liftTitle', { caseNo: confirming.caseNo ?? '—' })}</h4>
          <p>{t('mask.liftExplain', { station: confirming.station ?? '—', window: fmtRange(confirming.footage) })}</p>
          <p class="small muted">{t('mask.liftRecord')}</p>
          <div class="actions">
            <button class="danger" onClick={() => void lift(confirming)} data-testid="mask-lift-yes">{t('mask.liftConfirm')}</button>
            <button onClick={() => setConfirming(null)}>{t('common.cancel')}</button>
          </div>
        </div>
      )}
    </div>
  );
}

/** A small drawing of a saved version's rectangles. */
function MiniMask({ rects, aspect }: { rects: Rect[]; aspect: number }) {
  return (
    <span class="mini-mask" style={{ aspectRatio: `${aspect}` }}>
      {rects.map((r, i) => <i key={i} style={{ left: `${r.x * 100}%`, top: `${r.y * 100}%`, width: `${r.w * 100}%`, height: `${r.h * 100}%` }} />)}
    </span>
  );
}
