// Cases: one canonical case number across every station, an owning station, members invited from partner
// stations, open/closed (closing releases the case's footage holds), and the case's timeline.
import type { Db } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import type { Subject, Uuid } from '../domain/types.ts';
import { canonicalCaseNumber } from '../domain/case-number.ts';
import { errors } from '../errors.ts';
import { AUDIT } from '../audit/actions.ts';
import type { AccessRuntime } from '../access/runtime.ts';
import type { AuditRepository } from '../repositories/audit.repository.ts';
import type { AgreementsRepository } from '../repositories/agreements.repository.ts';
import type { UsersRepository } from '../repositories/users.repository.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import type { GrantsRepository } from '../repositories/grants.repository.ts';
import { casesRepository, type Case, type CaseMember, type CasesRepository } from '../repositories/cases.repository.ts';
import type { SightingsRepository } from '../repositories/sightings.repository.ts';

const POLICE = new Set(['officer', 'investigator', 'duty_officer']);
/** Clock leeway for "in the future". */
export const FUTURE_LEEWAY_MS = 60_000;

export interface Actor {
  id: Uuid;
  username: string;
}

export function casesService(deps: {
  db: Db;
  cases: CasesRepository;
  sightings: SightingsRepository;
  users: UsersRepository;
  agreements: AgreementsRepository;
  jurisdictions: JurisdictionsRepository;
  grants: GrantsRepository;
  audit: AuditRepository;
  access: AccessRuntime;
}) {
  const { db, cases, audit, access } = deps;

  async function subjectOf(userId: Uuid): Promise<Subject> {
    const s = await access.subject(userId);
    if (!s) throw errors.unauthenticated('account is disabled');
    return s;
  }

  /** The case, if the user is a member (or an auditor, read-only); otherwise not_found, so case numbers do not leak. */
  async function readable(userId: Uuid, caseId: Uuid): Promise<{ c: Case; subject: Subject; role: 'owner' | 'member' | 'auditor' }> {
    const subject = await subjectOf(userId);
    const c = await cases.byId(caseId);
    if (!c) throw errors.notFound('no such case');
    if (subject.role === 'auditor') return { c, subject, role: 'auditor' };
    const role = await cases.isMember(caseId, userId);
    if (!role) throw errors.notFound('no such case');
    return { c, subject, role };
  }

  /** A member working on an open case. */
  async function workable(userId: Uuid, caseId: Uuid) {
    const r = await readable(userId, caseId);
    if (r.role === 'auditor') throw errors.forbidden('auditors read cases, they do not work on them', { reason: 'role_cannot' });
    if (r.c.status !== 'open') throw errors.caseClosed('the case is closed', { reason: 'case_closed' });
    return r as { c: Case; subject: Subject; role: 'owner' | 'member' };
  }

  /** Owner: the member who opened it, or a duty officer of the owning station who is a member. */
  function mayManage(r: { c: Case; subject: Subject; role: string }): boolean {
    return r.role === 'owner' || (r.subject.role === 'duty_officer' && r.subject.stationId === r.c.ownerStationId);
  }

  /** A time the case may talk about: not in the future, not before the case opened. */
  function checkTime(c: Case, at: Date, what: string, now: Date): void {
    if (at.getTime() > now.getTime() + FUTURE_LEEWAY_MS) throw errors.timeOutOfRange(`${what} is in the future`, { reason: 'time_in_future' });
    if (at < c.openedAt) throw errors.timeOutOfRange(`${what} is before the case opened (${c.openedAt.toISOString()})`, { reason: 'time_before_case' });
  }

  return {
    readable,
    workable,
    checkTime,

    async create(actor: Actor, input: { caseNo: string; title: string; openedAt?: Date | null }, now = new Date()): Promise<Case> {
      const subject = await subjectOf(actor.id);
      if (!POLICE.has(subject.role) || !subject.stationId) throw errors.forbidden('only police users of a station open cases', { reason: 'role_cannot' });
      const caseNo = canonicalCaseNumber(input.caseNo);
      const title = input.title.normalize('NFC').trim();
      if (!title) throw errors.validation("'title' is empty");
      const openedAt = input.openedAt ?? now;
      if (openedAt.getTime() > now.getTime() + FUTURE_LEEWAY_MS) throw errors.timeOutOfRange('the case cannot open in the future', { reason: 'time_in_future' });
      return withTx(db, async (tx) => {
        const repo = casesRepository(tx);
        const c = await repo.insert({ caseNo, title, ownerStationId: subject.stationId!, createdBy: actor.id, openedAt }, tx);
        if (!c) {
          const held = await repo.byCaseNo(caseNo, tx);
          const station = held ? await deps.jurisdictions.byId(held.ownerStationId) : undefined;
          const mine = held?.ownerStationId === subject.stationId;
          throw errors.caseNumberTaken(
            mine ? 'your station already has a case with this number' : `case number ${caseNo} is already used by ${station?.name ?? 'another station'}`,
            { reason: 'case_number_taken', ...(mine && held && { caseId: held.id }) },
          );
        }
        await repo.addMember({ caseId: c.id, userId: actor.id, role: 'owner', addedBy: actor.id }, tx);
        await audit.append({ action: AUDIT.caseCreate, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, stationId: c.ownerStationId, caseNo, details: { caseId: c.id, title, openedAt: openedAt.toISOString() } }, tx);
        return c;
      });
    },

    async get(userId: Uuid, caseId: Uuid): Promise<{ c: Case; members: CaseMember[] }> {
      const { c } = await readable(userId, caseId);
      return { c, members: await cases.members(c.id) };
    },

    list: (userId: Uuid, status?: 'open' | 'closed') => cases.forUser(userId, status),

    /** The owner invites a police user of its own or a partner station (an agreement in force). */
    async addMember(actor: Actor, caseId: Uuid, username: string, now = new Date()): Promise<CaseMember[]> {
      const r = await workable(actor.id, caseId);
      if (!mayManage(r)) throw errors.forbidden('only the case owner invites members', { reason: 'not_case_owner' });
      const u = await deps.users.byUsername(username.normalize('NFC').trim());
      const invitee = u && !u.disabled ? await subjectOf(u.id) : null;
      if (!u || !invitee) throw errors.notFound('no such user');
      if (!POLICE.has(invitee.role) || !invitee.stationId) throw errors.forbidden('only police users join cases', { reason: 'role_cannot' });
      if (invitee.stationId !== r.c.ownerStationId && (await deps.agreements.between(r.c.ownerStationId, invitee.stationId, now)).length === 0) {
        throw errors.noAgreement('the user’s station has no agreement with the case’s station', { reason: 'no_agreement', stationId: invitee.stationId });
      }
      await withTx(db, async (tx) => {
        const added = await casesRepository(tx).addMember({ caseId, userId: u.id, role: 'member', addedBy: actor.id }, tx);
        if (added) {
          await audit.append({ action: AUDIT.caseMember, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, stationId: invitee.stationId, caseNo: r.c.caseNo, details: { caseId, op: 'add', userId: u.id, username: u.username } }, tx);
        }
      });
      return cases.members(caseId);
    },

    async removeMember(actor: Actor, caseId: Uuid, userId: Uuid): Promise<CaseMember[]> {
      const r = await workable(actor.id, caseId);
      if (!mayManage(r)) throw errors.forbidden('only the case owner removes members', { reason: 'not_case_owner' });
      await withTx(db, async (tx) => {
        if (!(await casesRepository(tx).removeMember(caseId, userId, actor.id, tx))) throw errors.notFound('no such member (the owner cannot be removed)');
        await audit.append({ action: AUDIT.caseMember, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, caseNo: r.c.caseNo, details: { caseId, op: 'remove', userId } }, tx);
      });
      return cases.members(caseId);
    },

    /** Closes the case and releases its footage holds, in one transaction. */
    async close(actor: Actor, caseId: Uuid, reason: string, now = new Date()): Promise<{ c: Case; holdsReleased: number }> {
      const r = await readable(actor.id, caseId);
      if (r.role === 'auditor' || !mayManage(r)) throw errors.forbidden('only the case owner closes the case', { reason: 'not_case_owner' });
      return withTx(db, async (tx) => {
        const repo = casesRepository(tx);
        const locked = await repo.lock(caseId, tx);
        if (!locked || locked.status !== 'open') throw errors.caseClosed('the case is already closed', { reason: 'case_closed' });
        const c = await repo.update(caseId, { status: 'closed', closedAt: now, closedBy: actor.id }, tx);
        const holdsReleased = await repo.releaseHolds(c.caseNo, actor.id, now, tx);
        await audit.append({ action: AUDIT.caseClose, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, stationId: c.ownerStationId, caseNo: c.caseNo, reason, details: { caseId, holdsReleased } }, tx);
        if (holdsReleased > 0) {
          await audit.append({ action: AUDIT.holdRelease, outcome: 'ok', actorUserId: actor.id, actorName: actor.username, caseNo: c.caseNo, reason: 'case closed', details: { caseId, holds: holdsReleased } }, tx);
        }
        return { c, holdsReleased };
      });
    },

    /** Sightings and granted windows per camera on one time axis. */
    async timeline(userId: Uuid, caseId: Uuid) {
      const { c } = await readable(userId, caseId);
      const sightings = await deps.sightings.forCase(c.id);
      const grants = await deps.grants.list({ caseNo: c.caseNo, limit: 1000 });
      const rows = new Map<Uuid, { cameraId: Uuid; sightings: Array<{ sightingId: Uuid; at: Date; confidence: number; note: string }>; windows: Array<{ grantId: Uuid; state: string; requesterUserId: Uuid; from: Date; to: Date; actions: string[] }> }>();
      const row = (id: Uuid) => {
        let r = rows.get(id);
        if (!r) rows.set(id, (r = { cameraId: id, sightings: [], windows: [] }));
        return r;
      };
      for (const s of sightings) row(s.cameraId).sightings.push({ sightingId: s.id, at: s.seenAt, confidence: s.confidence, note: s.note });
      for (const g of grants) {
        const from = g.footageFrom ?? g.requestedFootageFrom;
        const to = g.footageTo ?? g.requestedFootageTo;
        if (!from || !to) continue;
        for (const cam of g.state === 'pending' ? g.requestedCameraIds : g.cameraIds) {
          row(cam).windows.push({ grantId: g.id, state: g.state, requesterUserId: g.requesterUserId, from, to, actions: g.actions });
        }
      }
      const cams = rows.size ? await Promise.all([...rows.keys()].map((id) => access.camera(id))) : [];
      const all = [...sightings.map((s) => s.seenAt), ...[...rows.values()].flatMap((r) => r.windows.flatMap((w) => [w.from, w.to]))].map((d) => d.getTime());
      return {
        caseId: c.id,
        caseNo: c.caseNo,
        axis: all.length ? { from: new Date(Math.min(...all)), to: new Date(Math.max(...all)) } : null,
        cameras: [...rows.values()]
          .map((r, i) => ({ ...r, stationId: cams[i]?.stationId ?? null }))
          .sort((a, b) => (a.sightings[0]?.at.getTime() ?? Infinity) - (b.sightings[0]?.at.getTime() ?? Infinity)),
      };
    },
  };
}
export type CasesService = ReturnType<typeof casesService>;
