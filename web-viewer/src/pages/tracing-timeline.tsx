// The case on one time axis: per camera its sightings (numbered as on the map) and the footage windows of the
// case's grants, coloured by state; Beijing time with the offset on the axis.
import { t, type MessageKey } from '../i18n/index.ts';
import { fmtTime } from '../time.ts';
import type { Timeline } from './tracing-model.ts';

export function TimelineStrip({ timeline, order, names, selected, onSelect }: {
  timeline: Timeline; order: Map<string, number>; names: Map<string, string>; selected: string | null; onSelect: (sightingId: string) => void;
}) {
  const axis = timeline.axis;
  if (!axis) return <div class="timeline-strip empty small" data-testid="timeline">{t('tracing.timelineEmpty')}</div>;
  const from = Date.parse(axis.from);
  // a little room either side, and at least ten minutes, so a lone sighting is not drawn on the edge
  const span = Math.max(10 * 60_000, Date.parse(axis.to) - from);
  const start = from - span * 0.04;
  const width = span * 1.08;
  const pct = (iso: string) => ((Date.parse(iso) - start) / width) * 100;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => new Date(start + width * f).toISOString());
  return (
    <div class="timeline-strip" data-testid="timeline">
      <div class="tl-rows">
        {timeline.cameras.map((row) => (
          <div class="tl-row" key={row.cameraId} data-camera={row.cameraId}>
            <span class="tl-name" title={names.get(row.cameraId) ?? row.cameraId}>{names.get(row.cameraId) ?? row.cameraId.slice(0, 8)}</span>
            <span class="tl-track">
              {row.windows.map((w) => (
                <span key={`${w.grantId}-${w.from}`} class={`tl-window grant-${w.state}`} style={{ left: `${pct(w.from)}%`, width: `${Math.max(0.6, pct(w.to) - pct(w.from))}%` }}
                  title={`${t(`grant.state.${w.state}` as MessageKey)} · ${fmtTime(w.from)} – ${fmtTime(w.to)} +08:00`} />
              ))}
              {row.sightings.map((s) => (
                <button key={s.sightingId} type="button" class={`tl-dot ${s.sightingId === selected ? 'active' : ''}`} style={{ left: `${pct(s.at)}%` }}
                  title={`${fmtTime(s.at, true)}${s.note ? ` · ${s.note}` : ''}`} onClick={() => onSelect(s.sightingId)}>{order.get(s.sightingId) ?? ''}</button>
              ))}
            </span>
          </div>
        ))}
      </div>
      <div class="tl-axis">
        <span class="tl-name muted small">{t('tracing.tzAxis')}</span>
        <span class="tl-track">
          {ticks.map((iso, i) => <span key={iso} class={`tl-tick ${i === 0 ? 'first' : i === ticks.length - 1 ? 'last' : ''}`} style={{ left: `${pct(iso)}%` }}>{fmtTime(iso).slice(-8, -3)}</span>)}
        </span>
      </div>
    </div>
  );
}
