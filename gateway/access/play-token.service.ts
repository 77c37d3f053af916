// Issues play tokens: decide() on the user's own rights or a grant, audit the answer either way, sign if allowed.
import type { Action, Decision, TimeWindow, Uuid } from '../domain/types.ts';
import { errors } from '../errors.ts';
import { AUDIT } from '../audit/actions.ts';
import type { AuditRepository } from '../repositories/audit.repository.ts';
import type { GrantsRepository } from '../repositories/grants.repository.ts';
import { decide } from './policy.ts';
import { toGrantView, type AccessRuntime } from './runtime.ts';
import type { PlayClaims } from './tokens.ts';
import { canonicalCaseNumber } from '../domain/case-number.ts';
import { pickGrant } from './grant-choice.ts';

export interface PlayTokenRequest {
  cameraId: Uuid;
  action: Action;
  footage?: TimeWindow | null;
  grantId?: Uuid | null;
  /** Narrows the grants considered to one case, when no grantId is given. */
  caseNo?: string | null;
}

export interface IssuedPlayToken {
  token: string;
  expiresAt: Date;
  grantId: Uuid | null;
  reason: string;
  claims: PlayClaims;
}

const sec = (d: Date): number => Math.floor(d.getTime() / 1000);

export function playTokenService(deps: { access: AccessRuntime; grants: GrantsRepository; audit: AuditRepository; ttlSeconds: number }) {
  const { access, grants, audit } = deps;

  return {
    async issue(user: { id: Uuid; username: string }, sessionId: string, req: PlayTokenRequest, now = new Date()): Promise<IssuedPlayToken> {
      const subject = await access.subject(user.id);
      if (!subject) throw errors.unauthenticated('account is disabled');
      const camera = await access.camera(req.cameraId);
      if (!camera) throw errors.notFound('no such camera');
      if (req.footage && req.footage.from > req.footage.to) throw errors.validation("'footage.from' must not be after 'footage.to'");
      const context = { now, footage: req.footage ?? null, villageCommitteeMayView: access.config.villageCommitteeMayView, leewayMs: 0 };

      let decision: Decision;
      let grant: ReturnType<typeof toGrantView> | null = null;
      if (req.grantId) {
        const g = await grants.byId(req.grantId);
        grant = g ? toGrantView(g) : null;
        decision = grant ? decide(subject, req.action, camera, { ...context, grant }) : { allow: false, reason: 'grant_not_found', message: 'No such grant.', constraints: {} };
      } else {
        decision = decide(subject, req.action, camera, context);
        if (!decision.allow) {
          const caseNo = req.caseNo ? canonicalCaseNumber(req.caseNo) : null;
          const candidates = (await grants.usable(user.id, req.cameraId, req.action, now)).filter((g) => caseNo === null || g.caseNo === caseNo);
          const pick = pickGrant(candidates.map((g) => {
            const view = toGrantView(g);
            return { view, decision: decide(subject, req.action, camera, { ...context, grant: view }) };
          }));
          if (pick.kind === 'ambiguous') {
            // Which case a view is audited under is the officer's statement, not ours to guess.
            await audit.append({
              action: AUDIT.playToken, outcome: 'deny', actorUserId: user.id, actorName: user.username, cameraId: camera.id, stationId: camera.stationId,
              reason: 'grant_ambiguous', details: { playAction: req.action, grants: pick.grants },
            });
            throw errors.grantAmbiguous('more than one case has a grant for this camera: name the grant (grantId) or the case (caseNo)', { reason: 'grant_ambiguous', grants: pick.grants });
          }
          if (pick.kind !== 'none') {
            decision = pick.decision;
            grant = pick.view;
          }
        }
      }
      if (decision.allow && grant && access.revocations.isGrantRevoked(grant.id)) {
        decision = { allow: false, reason: 'grant_revoked', message: 'The grant was revoked.', constraints: {} };
      }

      const base = {
        action: AUDIT.playToken,
        actorUserId: user.id,
        actorName: user.username,
        cameraId: camera.id,
        grantId: grant?.id ?? null,
        stationId: camera.stationId,
        caseNo: grant?.caseNo ?? null,
        windowFrom: req.footage?.from ?? grant?.footage?.from ?? null,
        windowTo: req.footage?.to ?? grant?.footage?.to ?? null,
        reason: decision.reason,
      };
      const details = { playAction: req.action, requesterStationId: subject.stationId, role: subject.role, emergency: grant?.emergency ?? false };
      if (!decision.allow) {
        await audit.append({ ...base, outcome: 'deny', details });
        if (decision.reason === 'grant_revoked') throw errors.grantRevoked(decision.message, { reason: decision.reason });
        if (decision.reason === 'grant_expired') throw errors.grantExpired(decision.message, { reason: decision.reason });
        throw errors.accessDenied(decision.message, { reason: decision.reason });
      }

      const until = decision.constraints.until;
      const left = until ? Math.floor((until.getTime() - now.getTime()) / 1000) : deps.ttlSeconds;
      const ttl = Math.max(1, Math.min(deps.ttlSeconds, left));
      const footage = req.action === 'playback' || req.action === 'export' ? (req.footage ?? grant?.footage ?? null) : null;
      const live = req.action === 'live' || req.action === 'snapshot' || req.action === 'ptz' ? (grant?.live ?? null) : null;
      const { token, claims } = await access.issue(
        {
          sub: user.id,
          gid: grant?.id ?? null,
          cams: [camera.id],
          act: [req.action],
          ...(footage && { ff: sec(footage.from), ft: Math.ceil(footage.to.getTime() / 1000) }),
          ...(live && { lf: sec(live.from), lt: Math.ceil(live.to.getTime() / 1000) }),
          sid: sessionId,
        },
        ttl,
        now,
      );
      await audit.append({ ...base, outcome: 'allow', details: { ...details, jti: claims.jti, exp: claims.exp } });
      return { token, expiresAt: new Date(claims.exp * 1000), grantId: grant?.id ?? null, reason: decision.reason, claims };
    },
  };
}
export type PlayTokenService = ReturnType<typeof playTokenService>;
