// One grant as a card: case, stations, cameras, windows, actions, state, and a live countdown.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Grant } from '../api/client.ts';
import { stationName, useShell } from '../context.ts';
import { t, type MessageKey } from '../i18n/index.ts';
import { fmtDuration, fmtRange, fmtTime } from '../time.ts';
import { GrantStateBadge } from '../ui.tsx';
import { cameraName } from '../camera-names.ts';

export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(i);
  }, []);
  return now;
}

export function GrantCard({ grant, names, fresh, children }: { grant: Grant; names?: Map<string, string>; fresh?: boolean; children?: ComponentChildren }) {
  const shell = useShell();
  const now = useNow();
  const left = new Date(grant.expiresAt).getTime() - now;
  const open = grant.state === 'pending' || grant.state === 'approved';
  return (
    <article class={`card grant ${fresh ? 'fresh' : ''} ${grant.emergency ? 'emergency' : ''}`} data-testid="grant" data-grant={grant.id} data-state={grant.state}>
      <header>
        <strong>{t('grant.case')} {grant.caseNo}</strong>
        {grant.emergency && <span class="badge emergency">{t('grant.emergency')}</span>}
        {fresh && <span class="badge new">{t('inbox.new')}</span>}
        <GrantStateBadge state={grant.state} />
        {grant.reviewState && <span class="badge">{t(`grant.review.${grant.reviewState}` as MessageKey)}</span>}
        <span class="grow" />
        <span class={`countdown ${left < 5 * 60_000 ? 'soon' : ''}`} data-testid="countdown">
          {open && left > 0 ? t('grant.expiresIn', { time: fmtDuration(left) }) : t('grant.expiredAt', { time: fmtTime(grant.expiresAt) })}
        </span>
      </header>
      <dl class="grid2">
        <dt>{t('grant.from')}</dt><dd>{stationName(shell, grant.requesterStationId)}</dd>
        <dt>{t('grant.owner')}</dt><dd>{stationName(shell, grant.ownerStationId)}</dd>
        <dt>{t('grant.reason')}</dt><dd>{grant.reason}</dd>
        <dt>{t('grant.cameras')}</dt>
        <dd>{grant.cameraIds.map((id) => cameraName(id, names)).join(t('common.listSeparator'))}
          {grant.requestedCameraIds.length > grant.cameraIds.length && <span class="muted"> ({grant.cameraIds.length}/{grant.requestedCameraIds.length})</span>}</dd>
        <dt>{t('grant.actions')}</dt><dd>{grant.actions.map((a) => t(`action.${a}` as MessageKey)).join(t('common.listSeparator'))}</dd>
        {grant.footage && <><dt>{t('grant.footage')}</dt><dd>{fmtRange(grant.footage)}</dd></>}
        {grant.live && <><dt>{t('grant.live')}</dt><dd>{fmtRange(grant.live)}</dd></>}
        {grant.decisionReason && <><dt>{t('grant.decisionReason')}</dt><dd>{
          // an emergency grant nobody decided on started by itself: say so in the user's language, not the server's
          grant.emergency && grant.decidedBy === null && grant.state === 'approved' ? t('grant.emergencyStarted') : grant.decisionReason}</dd></>}
        {grant.reviewNote && <><dt>{t('grant.reviewNote')}</dt><dd data-testid="review-note-shown">{grant.reviewNote}</dd></>}
      </dl>
      {children && <footer class="actions">{children}</footer>}
    </article>
  );
}
