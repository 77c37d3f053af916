// Grant requests and their life: request (planned in planner.ts, deduplicated per station and case), approve/narrow/deny,
// emergency access and its review, revoke/withdraw (with hand-over), expiry. Every state change is audited in its own transaction.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import type { Action, CameraResource, Subject, TimeWindow, Uuid } from '../domain/types.ts';
import { decide } from '../access/policy.ts';
import { scope, type GrantListView } from '../access/scope.ts';
import type { AccessRuntime } from '../access/runtime.ts';
import { errors, isAppError } from '../errors.ts';
import { canonicalCaseNumber } from '../domain/case-number.ts';
import { AUDIT, type AuditAction } from '../audit/actions.ts';
import type { EventPublisher } from '../events/types.ts';
import type { PgBus } from '../events/pg-bus.ts';
import type { AuditInput, AuditRepository } from '../repositories/audit.repository.ts';
import type { AgreementsRepository } from '../repositories/agreements.repository.ts';
import { toCameraResource, type CamerasRepository } from '../repositories/cameras.repository.ts';
import { grantsRepository, type Grant, type GrantPatch, type GrantsRepository } from '../repositories/grants.repository.ts';
import type { UsersRepository } from '../repositories/users.repository.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import { ownRequest, planHandOver } from './hand-over.ts';
import { matchCandidate } from './dedup.ts';
import { WATCH_ACTIONS, intersect, isSubset, within } from './rules.ts';
import { ownerApprover, routeCamera } from './planning.ts';

export interface NarrowInput {
  cameraIds?: Uuid[];
  actions?: Action[];
  footage?: TimeWindow;
  lifetimeMinutes?: number;
}

export type { CameraSelection, ExcludedCamera, GrantRequestInput, Plan, PlannedGroup } from './planner.ts';
import { grantPlanner, type GrantRequestInput, type Plan, type PlannedGroup } from './planner.ts';

export type DedupOutcome = 'created' | 'joined' | 'extended' | 'existing';

export interface GrantsConfig {
  villageCommitteeMayView: boolean;
  /** A pending request lapses after this long. */
  requestTtlMinutes: number;
  /** Most cameras one request may expand to. */
  maxCameras: number;
}

const OPEN = new Set(['pending', 'approved']);

export function grantsService(deps: {
  db: Db;
  log: Logger;
  grants: GrantsRepository;
  agreements: AgreementsRepository;
  cameras: CamerasRepository;
  users: UsersRepository;
  jurisdictions: JurisdictionsRepository;
  audit: AuditRepository;
  access: AccessRuntime;
  events: EventPublisher;
  bus: PgBus;
  config: GrantsConfig;
}) {
  const { db, audit, access, events, bus, config } = deps;

  async function subjectOf(userId: Uuid): Promise<Subject> {
    const s = await access.subject(userId);
    if (!s) throw errors.unauthenticated('account is disabled');
    return s;
  }

  const ctx = (now: Date) => ({ now, villageCommitteeMayView: config.villageCommitteeMayView });
  const { plan } = grantPlanner({ agreements: deps.agreements, cameras: deps.cameras, users: deps.users, jurisdictions: deps.jurisdictions, config });

  /** Who gets a 'grant.requested' push. */
  async function approverAudience(g: Grant): Promise<{ stationIds?: string[]; roles?: string[]; userIds?: string[] }> {
    if (g.approverKind === 'station') return { stationIds: [g.ownerStationId], roles: ['duty_officer'] };
    const userIds = g.approverUserId ? [g.approverUserId] : [];
    if (g.approverVillageId) {
      for (const u of await deps.users.list({ jurisdictionId: g.approverVillageId, role: 'village_committee' })) userIds.push(u.id);
    }
    return { userIds };
  }

  const summary = (g: Grant) => ({
    grantId: g.id,
    batchId: g.batchId,
    parentId: g.parentId,
    state: g.state,
    caseNo: g.caseNo,
    emergency: g.emergency,
    requesterUserId: g.requesterUserId,
    requesterStationId: g.requesterStationId,
    ownerStationId: g.ownerStationId,
    cameraIds: g.cameraIds,
    actions: g.actions,
    footage: g.footageFrom && g.footageTo ? { from: g.footageFrom.toISOString(), to: g.footageTo.toISOString() } : null,
    expiresAt: g.expiresAt.toISOString(),
    version: g.version,
  });

  const auditOf = (g: Grant, action: AuditAction, actor: { id: Uuid; username: string } | null, extra: Partial<AuditInput> = {}): AuditInput => ({
    action,
    outcome: 'ok',
    actorUserId: actor?.id ?? null,
    actorName: actor?.username ?? 'system',
    grantId: g.id,
    stationId: g.ownerStationId,
    caseNo: g.caseNo,
    windowFrom: g.footageFrom,
    windowTo: g.footageTo,
    ...extra,
    details: {
      state: g.state,
      cameraIds: g.cameraIds,
      actions: g.actions,
      requesterUserId: g.requesterUserId,
      requesterStationId: g.requesterStationId,
      emergency: g.emergency,
      ...(g.parentId && { parentId: g.parentId }),
      ...(extra.details ?? {}),
    },
  });

  /** Runs a decision in a transaction; a coded refusal is audited (outside the rolled-back transaction) and rethrown. */
  async function audited<T>(refusal: Omit<AuditInput, 'outcome' | 'reason'>, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    try {
      return await withTx(db, fn);
    } catch (e) {
      if (isAppError(e) && e.status < 500) {
        await audit.append({ ...refusal, outcome: 'deny', reason: String(e.details?.reason ?? e.code), details: { ...(refusal.details ?? {}), code: e.code, message: e.message } });
      }
      throw e;
    }
  }

  /** Members follow their parent's decision, each limited to what it asked for. */
  async function syncMembers(parent: Grant, tx: Queryable, actor: { id: Uuid; username: string } | null, kind: string): Promise<Grant[]> {
    const repo = grantsRepository(tx);
    const out: Grant[] = [];
    for (const m of await repo.members(parent.id, tx, true)) {
      if (!OPEN.has(m.state)) continue;
      let patch: GrantPatch;
      if (parent.state === 'approved') {
        const cams = m.requestedCameraIds.filter((c) => parent.cameraIds.includes(c));
        const acts = m.requestedActions.filter((a) => parent.actions.includes(a));
        const parentFootage = parent.footageFrom && parent.footageTo ? { from: parent.footageFrom, to: parent.footageTo } : null;
        const mine = m.requestedFootageFrom && m.requestedFootageTo ? { from: m.requestedFootageFrom, to: m.requestedFootageTo } : null;
        const footage = parentFootage && mine ? intersect(parentFootage, mine) : null;
        if (cams.length === 0 || acts.length === 0) {
          patch = { state: 'denied', decidedBy: parent.decidedBy, decidedAt: parent.decidedAt, decisionReason: 'nothing you asked for was approved' };
        } else {
          patch = {
            state: 'approved', cameraIds: cams, actions: acts, footageFrom: footage?.from ?? null, footageTo: footage?.to ?? null,
            liveFrom: parent.liveFrom, liveTo: parent.liveTo, expiresAt: parent.expiresAt, decidedBy: parent.decidedBy,
            decidedAt: parent.decidedAt, decisionReason: parent.decisionReason,
          };
        }
      } else {
        patch = { state: parent.state, decidedBy: parent.decidedBy, decidedAt: parent.decidedAt, decisionReason: parent.decisionReason };
      }
      const updated = await repo.update(m.id, patch, tx);
      await repo.addEvent({ grantId: m.id, actorId: actor?.id ?? null, kind, fromState: m.state, toState: updated.state, note: 'followed parent', details: { parentId: parent.id } }, tx);
      await audit.append(auditOf(updated, `grant.${kind}` as AuditAction, actor, { details: { followedParent: parent.id } }), tx);
      out.push(updated);
    }
    return out;
  }

  /**
   * The first requester withdrew: the earliest open member takes the parent's place with its own request; the
   * others re-join it when it covers what they asked for, else stand alone as their own request.
   */
  async function handOver(parent: Grant, tx: Queryable, actor: { id: Uuid; username: string }): Promise<Grant[]> {
    const repo = grantsRepository(tx);
    const open = (await repo.members(parent.id, tx, true)).filter((m) => OPEN.has(m.state));
    const out: Grant[] = [];
    let heir: Grant | null = null;
    for (const m of open) {
      const plan = planHandOver(heir, m);
      const patch: GrantPatch = m.state === 'pending' && plan.parentId === null ? { parentId: null, ...ownRequest(m) } : { parentId: plan.parentId };
      const updated = await repo.update(m.id, patch, tx);
      await repo.addEvent({ grantId: m.id, actorId: actor.id, kind: plan.kind, fromState: m.state, toState: updated.state, note: null, details: { previousParentId: parent.id, parentId: plan.parentId } }, tx);
      await audit.append(auditOf(updated, AUDIT.grantHandOver, actor, { reason: plan.kind, details: { previousParentId: parent.id } }), tx);
      heir ??= updated;
      out.push(updated);
    }
    return out;
  }

  async function cameraResources(ids: Uuid[]): Promise<CameraResource[]> {
    const cams = await deps.cameras.list({ ids, includeRemoved: true, limit: ids.length });
    return cams.map(toCameraResource);
  }

  /** decide(subject, 'approve', …) for the station and every camera of the grant. */
  async function mayApprove(actor: Subject, g: Grant, now: Date): Promise<{ allow: boolean; reason: string; message: string }> {
    if (g.approverKind === 'station') {
      const d = decide(actor, 'approve', { kind: 'station', id: g.ownerStationId }, ctx(now));
      if (!d.allow) return d;
    }
    for (const cam of await cameraResources(g.cameraIds)) {
      // An emergency grant's home cameras are reviewed by the station, not approved by their owners.
      if (g.emergency && cam.ownerClass === 'household') continue;
      const d = decide(actor, 'approve', cam, ctx(now));
      if (!d.allow) return d;
    }
    return { allow: true, reason: 'approver', message: '' };
  }

  async function householdOwners(cameraIds: Uuid[]): Promise<Uuid[]> {
    const cams = await deps.cameras.list({ ids: cameraIds, limit: cameraIds.length });
    return [...new Set(cams.map((c) => c.ownerUserId).filter((x): x is Uuid => x !== null))];
  }

  return {
    /** Expands the selection and shows what would be sent, without writing anything. */
    async preview(actorUserId: Uuid, raw: GrantRequestInput, now = new Date()) {
      const input = { ...raw, caseNo: canonicalCaseNumber(raw.caseNo) };
      const actor = await subjectOf(actorUserId);
      const p = await plan(actor, input, now);
      return p;
    },

    async request(actorUser: { id: Uuid; username: string }, raw: GrantRequestInput, now = new Date()) {
      // Canonical before anything is audited, compared or stored: the same case always matches itself.
      const input = { ...raw, caseNo: canonicalCaseNumber(raw.caseNo) };
      const actor = await subjectOf(actorUser.id);
      const refusalAudit = { action: AUDIT.grantRequest, actorUserId: actorUser.id, actorName: actorUser.username, caseNo: input.caseNo, windowFrom: input.footage?.from ?? null, windowTo: input.footage?.to ?? null, stationId: actor.stationId, details: { emergency: input.emergency === true, actions: input.actions } };
      let p: Plan;
      try {
        p = await plan(actor, input, now);
      } catch (e) {
        if (isAppError(e) && e.status < 500) {
          await audit.append({ ...refusalAudit, outcome: 'deny', reason: String(e.details?.reason ?? e.code), details: { ...refusalAudit.details, code: e.code, message: e.message } });
        }
        throw e;
      }
      const batchId = randomUUID();
      const emergency = input.emergency === true;
      const actions = [...new Set(input.actions)];
      const footage = p.footage;
      const wantsWatch = actions.some((a) => WATCH_ACTIONS.has(a));

      const results = await withTx(db, async (tx) => {
        const repo = grantsRepository(tx);
        if (!emergency) {
          // Sorted, so two requests spanning the same stations take the locks in the same order (no deadlock).
          for (const stationId of [...new Set(p.groups.map((g) => g.ownerStationId))].sort()) await repo.lockCase(stationId, input.caseNo, tx);
        }
        const out: Array<{ grant: Grant; dedup: DedupOutcome; joinedTo: Uuid | null; notify: 'requested' | 'emergency' | 'extended' | null }> = [];
        for (const g of p.groups) {
          const camIds = g.cameras.map((c) => c.id);
          if (!emergency) {
            const joined = await dedup(repo, tx, g, camIds);
            if (joined) {
              out.push(joined);
              continue;
            }
          }
          const expiresAt = emergency ? new Date(now.getTime() + g.lifetimeMinutes * 60_000) : new Date(now.getTime() + config.requestTtlMinutes * 60_000);
          const live = emergency && wantsWatch ? { from: now, to: expiresAt } : (input.live ?? null);
          const row = await repo.insert({
            batchId,
            parentId: null,
            requesterUserId: actor.userId,
            requesterStationId: actor.stationId!,
            ownerStationId: g.ownerStationId,
            agreementId: g.agreement?.id ?? null,
            approverKind: g.approverKind,
            approverUserId: g.approverUserId,
            approverVillageId: g.approverVillageId,
            caseNo: input.caseNo,
            reason: input.reason,
            requestedCameraIds: camIds,
            cameraIds: camIds,
            requestedActions: actions,
            actions,
            requestedFootageFrom: footage?.from ?? null,
            requestedFootageTo: footage?.to ?? null,
            footageFrom: footage?.from ?? null,
            footageTo: footage?.to ?? null,
            liveFrom: live?.from ?? null,
            liveTo: live?.to ?? null,
            lifetimeMinutes: g.lifetimeMinutes,
            state: emergency ? 'approved' : 'pending',
            emergency,
            reviewState: emergency ? 'pending_review' : null,
            decidedBy: null,
            decidedAt: emergency ? now : null,
            decisionReason: emergency ? 'emergency grant: access at once, review follows' : null,
            expiresAt,
          }, tx);
          await repo.addEvent({ grantId: row.id, actorId: actor.userId, kind: emergency ? 'emergency' : 'requested', fromState: null, toState: row.state, note: input.reason, details: { batchId } }, tx);
          await audit.append(auditOf(row, emergency ? 'grant.emergency' : 'grant.request', actorUser, { reason: input.reason, details: { batchId, dedup: 'created', agreementId: row.agreementId } }), tx);
          out.push({ grant: row, dedup: 'created', joinedTo: null, notify: emergency ? 'emergency' : 'requested' });
        }
        return out;
      });

      for (const r of results) {
        const g = r.grant;
        if (r.notify === 'requested' || r.notify === 'extended') {
          const top = r.joinedTo ? ((await deps.grants.byId(r.joinedTo)) ?? g) : g;
          events.publish({ type: 'grant.requested', ...(await approverAudience(top)), payload: { ...summary(top), dedup: r.dedup } });
        } else if (r.notify === 'emergency') {
          const owners = await householdOwners(g.cameraIds);
          events.publish({ type: 'grant.emergency', stationIds: [g.ownerStationId], roles: ['duty_officer'], userIds: owners, payload: summary(g) });
          events.publish({ type: 'grant.decided', userIds: [g.requesterUserId], payload: { ...summary(g), decision: 'approved' } });
        }
      }
      return { batchId, grants: results.map((r) => ({ grant: r.grant, dedup: r.dedup, joinedTo: r.joinedTo })), excluded: p.excluded, notes: p.notes };

      async function dedup(repo: GrantsRepository, tx: Queryable, g: PlannedGroup, camIds: Uuid[]) {
        const candidates = (await repo.openForCase(input.caseNo, g.ownerStationId, now, tx)).filter(
          (c) => c.approverKind === g.approverKind && c.approverUserId === g.approverUserId && !c.emergency,
        );
        for (const c of candidates) {
          const m = matchCandidate(c, { cameraIds: camIds, actions, footage }, g.agreement, now);
          if (m === null) continue;
          if (m.kind === 'contained') {
            if (c.requesterUserId === actor.userId) return { grant: c, dedup: 'existing' as const, joinedTo: c.id, notify: null };
            return { grant: await addMember(repo, tx, c, camIds), dedup: 'joined' as const, joinedTo: c.id, notify: null };
          }
          const updated = await repo.update(c.id, {
            requestedCameraIds: m.cameraIds, cameraIds: m.cameraIds, requestedActions: m.actions, actions: m.actions,
            requestedFootageFrom: m.footage?.from ?? null, requestedFootageTo: m.footage?.to ?? null,
            footageFrom: m.footage?.from ?? null, footageTo: m.footage?.to ?? null,
          }, tx);
          await repo.addEvent({ grantId: c.id, actorId: actor.userId, kind: 'extended', fromState: 'pending', toState: 'pending', note: input.reason, details: { addedCameraIds: m.addedCameraIds } }, tx);
          await audit.append(auditOf(updated, 'grant.extend', actorUser, { reason: input.reason }), tx);
          if (c.requesterUserId === actor.userId) return { grant: updated, dedup: 'extended' as const, joinedTo: c.id, notify: 'extended' as const };
          return { grant: await addMember(repo, tx, updated, camIds), dedup: 'extended' as const, joinedTo: c.id, notify: 'extended' as const };
        }
        return null;
      }

      async function addMember(repo: GrantsRepository, tx: Queryable, parent: Grant, camIds: Uuid[]): Promise<Grant> {
        const cams = parent.state === 'approved' ? camIds.filter((id) => parent.cameraIds.includes(id)) : camIds;
        const parentFootage = parent.footageFrom && parent.footageTo ? { from: parent.footageFrom, to: parent.footageTo } : null;
        const mineFootage = footage && parentFootage ? intersect(footage, parentFootage) : parentFootage;
        const row = await repo.insert({
          batchId, parentId: parent.id, requesterUserId: actor.userId, requesterStationId: actor.stationId!, ownerStationId: parent.ownerStationId,
          agreementId: parent.agreementId, approverKind: parent.approverKind, approverUserId: parent.approverUserId, approverVillageId: parent.approverVillageId,
          caseNo: input.caseNo, reason: input.reason, requestedCameraIds: camIds, cameraIds: cams,
          requestedActions: actions, actions: parent.state === 'approved' ? actions.filter((a) => parent.actions.includes(a)) : actions,
          requestedFootageFrom: footage?.from ?? null, requestedFootageTo: footage?.to ?? null,
          footageFrom: mineFootage?.from ?? null, footageTo: mineFootage?.to ?? null,
          liveFrom: parent.liveFrom, liveTo: parent.liveTo, lifetimeMinutes: parent.lifetimeMinutes, state: parent.state, emergency: false,
          reviewState: null, decidedBy: parent.decidedBy, decidedAt: parent.decidedAt, decisionReason: parent.decisionReason, expiresAt: parent.expiresAt,
        }, tx);
        await repo.addEvent({ grantId: row.id, actorId: actor.userId, kind: 'joined', fromState: null, toState: row.state, note: input.reason, details: { parentId: parent.id } }, tx);
        await audit.append(auditOf(row, 'grant.join', actorUser, { reason: input.reason, details: { dedup: 'joined' } }), tx);
        return row;
      }
    },

    /**
     * A home camera changed owner (a village committee's CSV): its pending requests were addressed to the old owner,
     * who may no longer decide on them and whose inbox the new owner never sees. Each goes to the new owner (or the
     * committee they delegated to): a request for that camera alone is re-addressed, one with other cameras too loses
     * it to a new request of its own. When nobody can approve it now (new owner not activated, no delegation, or the
     * new sharing mode rules the request out) the camera leaves the request, and a request left with no camera ends
     * as denied, saying why. Requester, old and new approver are told. Members that joined a multi-camera request
     * keep following it without this camera.
     */
    async rerouteForOwnerChange(cameraId: Uuid, now = new Date()): Promise<Grant[]> {
      const cam = await deps.cameras.byId(cameraId);
      if (!cam || cam.ownerClass !== 'household') return [];
      const ownerActive = cam.ownerUserId !== null && (await deps.users.activeIds([cam.ownerUserId])).has(cam.ownerUserId);
      const to = ownerApprover(cam);
      type Change = { before: Grant; after: Grant; addressed: Grant | null };
      const changes = await withTx(db, async (tx): Promise<Change[]> => {
        const repo = grantsRepository(tx);
        const out: Change[] = [];
        for (const g of await repo.pendingOwnerRequestsFor(cameraId, tx)) {
          if (g.approverUserId === to.approverUserId && g.approverVillageId === to.approverVillageId) continue;
          const requester = await access.subject(g.requesterUserId);
          const route = requester
            ? routeCamera({ resource: toCameraResource(cam), ownerActive, emergencyBypass: false }, { actor: requester, actions: g.actions, emergency: false, context: ctx(now) })
            : { excluded: 'no_approver' as const, refuse: false, message: 'the requester’s account is disabled' };
          const approvable = !('excluded' in route) && route.to === 'owner';
          const why = 'excluded' in route ? route.excluded : approvable ? null : 'routing_changed';
          const alone = g.cameraIds.length === 1;
          let after: Grant;
          let addressed: Grant | null = null;
          if (alone && approvable) {
            after = await repo.update(g.id, to, tx);
            for (const m of await repo.members(g.id, tx, true)) if (OPEN.has(m.state)) await repo.update(m.id, to, tx);
            addressed = after;
          } else if (alone) {
            after = await repo.update(g.id, { state: 'denied', decidedBy: null, decidedAt: now, decisionReason: `the camera changed owner and nobody can approve this request now (${why})` }, tx);
            await syncMembers(after, tx, null, 'denied');
          } else {
            const rest = g.cameraIds.filter((c) => c !== cameraId);
            after = await repo.update(g.id, { cameraIds: rest, requestedCameraIds: g.requestedCameraIds.filter((c) => c !== cameraId) }, tx);
            if (approvable) {
              const { id: _id, version: _v, createdAt: _c, updatedAt: _u, reviewedBy: _rb, reviewedAt: _ra, reviewNote: _rn, ...copy } = g;
              addressed = await repo.insert({ ...copy, ...to, parentId: null, cameraIds: [cameraId], requestedCameraIds: [cameraId] }, tx);
              await repo.addEvent({ grantId: addressed.id, actorId: null, kind: 'rerouted', fromState: null, toState: 'pending', note: null, details: { splitFrom: g.id, cameraId } }, tx);
              await audit.append(auditOf(addressed, AUDIT.grantReroute, null, { reason: 'owner_changed', cameraId, details: { splitFrom: g.id } }), tx);
            }
          }
          const kind = alone && approvable ? 'rerouted' : alone ? 'denied' : 'camera_moved';
          await repo.addEvent({ grantId: g.id, actorId: null, kind, fromState: g.state, toState: after.state, note: why, details: { cameraId, from: { approverUserId: g.approverUserId, approverVillageId: g.approverVillageId }, to, ...(addressed && addressed.id !== g.id ? { newRequestId: addressed.id } : {}) } }, tx);
          await audit.append(auditOf(after, AUDIT.grantReroute, null, { reason: why ?? 'owner_changed', cameraId, details: { kind, fromApproverUserId: g.approverUserId, toApproverUserId: to.approverUserId } }), tx);
          out.push({ before: g, after, addressed });
        }
        return out;
      });
      if (changes.length === 0) return [];
      await bus.publish('grant', { op: 'changed', grantIds: changes.flatMap((c) => [c.after.id, ...(c.addressed ? [c.addressed.id] : [])]) });
      for (const c of changes) {
        events.publish({ type: 'grant.updated', ...(await approverAudience(c.before)), payload: summary(c.after) });
        if (c.addressed) events.publish({ type: 'grant.requested', ...(await approverAudience(c.addressed)), payload: { ...summary(c.addressed), dedup: 'created' } });
        if (c.after.state === 'denied') events.publish({ type: 'grant.decided', userIds: [c.after.requesterUserId], payload: { ...summary(c.after), decision: 'denied', reason: c.after.decisionReason } });
        else events.publish({ type: 'grant.updated', userIds: [c.after.requesterUserId], payload: summary(c.after) });
      }
      return changes.map((c) => c.addressed ?? c.after);
    },

    /** Approve (optionally narrowed) or deny. Concurrent deciders serialise on the row lock; exactly one finds it pending. */
    async decide(
      actorUser: { id: Uuid; username: string },
      grantId: Uuid,
      d: { decision: 'approve' | 'deny'; narrow?: NarrowInput; reason?: string | null; version?: number },
      now = new Date(),
    ): Promise<Grant> {
      const actor = await subjectOf(actorUser.id);
      const action = d.decision === 'approve' ? 'grant.approve' : 'grant.deny';
      const { grant, members } = await audited({ action, actorUserId: actorUser.id, actorName: actorUser.username, grantId, stationId: actor.stationId }, async (tx) => {
        const repo = grantsRepository(tx);
        const g = await repo.lock(grantId, tx);
        if (!g) throw errors.notFound('no such grant request');
        if (g.parentId) throw errors.grantNotPending('this request joined another; decide on that one', { reason: 'joined_request', parentId: g.parentId });
        const may = await mayApprove(actor, g, now);
        if (!may.allow) throw errors.notApprover(`you may not decide on this request: ${may.message}`, { reason: may.reason });
        if (d.version !== undefined && d.version !== g.version) {
          throw errors.staleVersion('the request changed since you loaded it; reload and decide again', { reason: 'stale_version', version: g.version });
        }
        if (g.state !== 'pending') throw errors.grantNotPending(`the request is already ${g.state}`, { reason: 'grant_not_pending', state: g.state });
        if (g.expiresAt <= now) throw errors.grantExpired(`the request lapsed at ${g.expiresAt.toISOString()}`, { reason: 'request_expired' });

        let patch: GrantPatch;
        let narrowed = false;
        if (d.decision === 'deny') {
          if (!d.reason) throw errors.validation('say why the request is denied', { reason: 'reason_required' });
          patch = { state: 'denied', decidedBy: actor.userId, decidedAt: now, decisionReason: d.reason };
        } else {
          const n = d.narrow ?? {};
          const cams = n.cameraIds ? [...new Set(n.cameraIds)] : g.cameraIds;
          const acts = n.actions ? [...new Set(n.actions)] : g.actions;
          const asked = g.footageFrom && g.footageTo ? { from: g.footageFrom, to: g.footageTo } : null;
          const footage = n.footage ?? asked;
          const lifetime = n.lifetimeMinutes ?? g.lifetimeMinutes;
          if (cams.length === 0 || !isSubset(cams, g.cameraIds)) throw errors.narrowNotSubset('approve a subset of the requested cameras', { reason: 'cameras_not_subset' });
          if (acts.length === 0 || !isSubset(acts, g.actions)) throw errors.narrowNotSubset('approve a subset of the requested actions', { reason: 'actions_not_subset' });
          if (n.footage && (!asked || n.footage.from >= n.footage.to || !within(n.footage, asked))) {
            throw errors.narrowNotSubset('the footage window must lie inside the requested one', { reason: 'footage_not_subset' });
          }
          if (lifetime > g.lifetimeMinutes) throw errors.narrowNotSubset('the lifetime may only be shortened', { reason: 'lifetime_not_shorter' });
          narrowed = cams.length < g.cameraIds.length || acts.length < g.actions.length || lifetime < g.lifetimeMinutes
            || (asked !== null && footage !== null && !(footage.from.getTime() === asked.from.getTime() && footage.to.getTime() === asked.to.getTime()));
          const expiresAt = new Date(now.getTime() + lifetime * 60_000);
          const watch = acts.some((a) => WATCH_ACTIONS.has(a));
          const askedLive = g.liveFrom && g.liveTo ? { from: g.liveFrom, to: g.liveTo } : { from: now, to: expiresAt };
          const live = watch ? intersect(askedLive, { from: now, to: expiresAt }) : null;
          patch = {
            state: 'approved', cameraIds: cams, actions: acts, footageFrom: footage?.from ?? null, footageTo: footage?.to ?? null,
            liveFrom: live?.from ?? null, liveTo: live?.to ?? null, lifetimeMinutes: lifetime, decidedBy: actor.userId, decidedAt: now,
            decisionReason: d.reason ?? null, expiresAt,
          };
        }
        const updated = await repo.update(g.id, patch, tx);
        const kind = d.decision === 'deny' ? 'denied' : narrowed ? 'narrowed' : 'approved';
        await repo.addEvent({ grantId: g.id, actorId: actor.userId, kind, fromState: g.state, toState: updated.state, note: d.reason ?? null, details: narrowed ? { requestedCameraIds: g.cameraIds, requestedActions: g.actions } : {} }, tx);
        await audit.append(auditOf(updated, action, actorUser, { reason: d.reason ?? null, details: { narrowed, requestedCameraIds: g.requestedCameraIds } }), tx);
        const members = await syncMembers(updated, tx, actorUser, kind);
        return { grant: updated, members };
      });
      await bus.publish('grant', { op: 'changed', grantIds: [grant.id, ...members.map((m) => m.id)] });
      for (const g of [grant, ...members]) {
        events.publish({ type: 'grant.decided', userIds: [g.requesterUserId], payload: { ...summary(g), decision: g.state, reason: g.decisionReason } });
      }
      events.publish({ type: 'grant.updated', ...(await approverAudience(grant)), payload: summary(grant) });
      return grant;
    },

    /** The owning station (or the home camera's approver) revokes; the requester withdraws. Open sessions are closed everywhere. */
    async revoke(actorUser: { id: Uuid; username: string }, grantId: Uuid, reason: string, now = new Date()): Promise<Grant> {
      const actor = await subjectOf(actorUser.id);
      const { grant, members, handedOver, wasApproved } = await audited({ action: 'grant.revoke', actorUserId: actorUser.id, actorName: actorUser.username, grantId, stationId: actor.stationId }, async (tx) => {
        const repo = grantsRepository(tx);
        const g = await repo.lock(grantId, tx);
        if (!g) throw errors.notFound('no such grant');
        const isRequester = g.requesterUserId === actor.userId;
        const top = g.parentId ? await repo.byId(g.parentId, tx) : g;
        const may = isRequester ? { allow: true, reason: 'requester', message: '' } : await mayApprove(actor, top ?? g, now);
        if (!may.allow) throw errors.notApprover(`you may not revoke this grant: ${may.message}`, { reason: may.reason });
        if (!OPEN.has(g.state)) throw errors.grantNotPending(`the grant is already ${g.state}`, { reason: 'grant_not_pending', state: g.state });
        if (!isRequester && g.state === 'pending') throw errors.grantNotPending('the request is still pending: deny it instead', { reason: 'grant_not_approved', state: g.state });
        const state = isRequester ? 'withdrawn' : 'revoked';
        const updated = await repo.update(g.id, { state, decisionReason: reason, ...(isRequester ? {} : { decidedBy: actor.userId }) }, tx);
        await repo.addEvent({ grantId: g.id, actorId: actor.userId, kind: state, fromState: g.state, toState: state, note: reason, details: {} }, tx);
        await audit.append(auditOf(updated, isRequester ? 'grant.withdraw' : 'grant.revoke', actorUser, { reason }), tx);
        // A withdrawal is the requester's own: those who joined keep their requests. A revocation ends them all.
        const ms = g.parentId ? [] : isRequester ? [] : await syncMembers(updated, tx, actorUser, state);
        const handedOver = !g.parentId && isRequester ? await handOver(updated, tx, actorUser) : [];
        return { grant: updated, members: ms, handedOver, wasApproved: g.state === 'approved' };
      });
      const ids = [grant.id, ...members.map((m) => m.id)];
      await bus.publish('grant', { op: wasApproved ? 'revoked' : 'changed', grantIds: ids, at: now.toISOString() });
      const requesters = [...new Set([grant.requesterUserId, ...members.map((m) => m.requesterUserId)])];
      events.publish({ type: 'grant.revoked', userIds: requesters, stationIds: [grant.ownerStationId], roles: ['duty_officer'], payload: { ...summary(grant), reason, memberIds: members.map((m) => m.id) } });
      if (handedOver.length) {
        await bus.publish('grant', { op: 'changed', grantIds: handedOver.map((h) => h.id) });
        for (const h of handedOver.filter((x) => x.parentId === null && x.state === 'pending')) {
          events.publish({ type: 'grant.updated', ...(await approverAudience(h)), payload: { ...summary(h), previousParentId: grant.id } });
        }
      }
      return grant;
    },

    /** The owning station reviews an emergency grant: upheld, or misuse (which also ends it if still running). */
    async review(actorUser: { id: Uuid; username: string }, grantId: Uuid, verdict: 'upheld' | 'misuse', note: string | null, now = new Date()): Promise<Grant> {
      const actor = await subjectOf(actorUser.id);
      const { grant, revoked } = await audited({ action: 'grant.review', actorUserId: actorUser.id, actorName: actorUser.username, grantId, stationId: actor.stationId }, async (tx) => {
        const repo = grantsRepository(tx);
        const g = await repo.lock(grantId, tx);
        if (!g) throw errors.notFound('no such grant');
        const d = decide(actor, 'approve', { kind: 'station', id: g.ownerStationId }, ctx(now));
        if (!d.allow) throw errors.notApprover(`you may not review this grant: ${d.message}`, { reason: d.reason });
        if (g.emergency && g.reviewState !== 'pending_review') {
          throw errors.grantAlreadyReviewed(`this emergency grant was already reviewed (${g.reviewState})`, {
            reason: 'grant_already_reviewed', reviewState: g.reviewState, reviewedBy: g.reviewedBy, reviewedAt: g.reviewedAt?.toISOString() ?? null,
          });
        }
        if (g.reviewState !== 'pending_review') throw errors.grantNotPending('only emergency grants are reviewed', { reason: 'not_emergency' });
        const revoke = verdict === 'misuse' && g.state === 'approved' && g.expiresAt > now;
        const updated = await repo.update(g.id, {
          reviewState: verdict, reviewedBy: actor.userId, reviewedAt: now, reviewNote: note,
          ...(revoke && { state: 'revoked' as const, decisionReason: `misuse: ${note ?? ''}`.trim() }),
        }, tx);
        await repo.addEvent({ grantId: g.id, actorId: actor.userId, kind: `review.${verdict}`, fromState: g.state, toState: updated.state, note, details: {} }, tx);
        await audit.append(auditOf(updated, 'grant.review', actorUser, { reason: note, details: { verdict, revoked: revoke } }), tx);
        return { grant: updated, revoked: revoke };
      });
      if (revoked) await bus.publish('grant', { op: 'revoked', grantIds: [grant.id], at: now.toISOString() });
      events.publish({ type: 'grant.reviewed', userIds: [grant.requesterUserId], stationIds: [grant.ownerStationId], roles: ['duty_officer'], payload: { ...summary(grant), verdict } });
      return grant;
    },

    /** Marks lapsed requests and ended grants expired; safe to run in every process at once. */
    async expireDue(now = new Date()): Promise<number> {
      const expired = await withTx(db, async (tx) => {
        const repo = grantsRepository(tx);
        const due = await repo.dueForExpiry(now, 500, tx);
        const out: Array<{ g: Grant; wasApproved: boolean }> = [];
        for (const g of due) {
          const updated = await repo.update(g.id, { state: 'expired' }, tx);
          await repo.addEvent({ grantId: g.id, actorId: null, kind: 'expired', fromState: g.state, toState: 'expired', note: null, details: {} }, tx);
          await audit.append(auditOf(updated, 'grant.expire', null, { reason: g.state === 'pending' ? 'request_lapsed' : 'grant_ended' }), tx);
          out.push({ g: updated, wasApproved: g.state === 'approved' });
        }
        return out;
      });
      if (expired.length === 0) return 0;
      const ended = expired.filter((e) => e.wasApproved).map((e) => e.g.id);
      await bus.publish('grant', { op: ended.length ? 'expired' : 'changed', grantIds: expired.map((e) => e.g.id), at: now.toISOString() });
      for (const { g } of expired) events.publish({ type: 'grant.expired', userIds: [g.requesterUserId], payload: summary(g) });
      return expired.length;
    },

    async byId(viewerUserId: Uuid, id: Uuid): Promise<Grant> {
      const viewer = await subjectOf(viewerUserId);
      const g = await deps.grants.byId(id);
      if (!g || !scope(viewer).seesGrant(g)) throw errors.notFound('no such grant');
      return g;
    },

    /** 'mine': my requests; 'inbox': requests waiting for my decision; 'review': emergency grants my station must review. */
    async list(viewerUserId: Uuid, view: GrantListView, states?: Grant['state'][]): Promise<Grant[]> {
      const filter = scope(await subjectOf(viewerUserId)).grants(view);
      if (!filter) return [];
      const st = states && states.length ? states : undefined;
      // The inbox defaults to what waits for a decision; the review view has its own criterion.
      const defaultStates: Grant['state'][] | undefined = view === 'inbox' ? ['pending'] : undefined;
      return deps.grants.list({ ...filter, ...(view !== 'review' && { states: st ?? defaultStates }) });
    },

    events: (id: Uuid) => deps.grants.events(id),
  };
}
export type GrantsService = ReturnType<typeof grantsService>;
