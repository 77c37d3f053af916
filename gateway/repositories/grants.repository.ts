import type { Queryable } from '../db/pool.ts';
import type { Action, GrantState, Uuid } from '../domain/types.ts';

export type ApproverKind = 'station' | 'owner';
export type ReviewState = 'pending_review' | 'upheld' | 'misuse';

export interface Grant {
  id: Uuid;
  batchId: Uuid;
  parentId: Uuid | null;
  requesterUserId: Uuid;
  requesterStationId: Uuid;
  ownerStationId: Uuid;
  agreementId: Uuid | null;
  approverKind: ApproverKind;
  approverUserId: Uuid | null;
  approverVillageId: Uuid | null;
  caseNo: string;
  reason: string;
  requestedCameraIds: Uuid[];
  cameraIds: Uuid[];
  requestedActions: Action[];
  actions: Action[];
  requestedFootageFrom: Date | null;
  requestedFootageTo: Date | null;
  footageFrom: Date | null;
  footageTo: Date | null;
  liveFrom: Date | null;
  liveTo: Date | null;
  lifetimeMinutes: number;
  state: GrantState;
  emergency: boolean;
  reviewState: ReviewState | null;
  reviewedBy: Uuid | null;
  reviewedAt: Date | null;
  reviewNote: string | null;
  decidedBy: Uuid | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  expiresAt: Date;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type GrantInsert = Omit<Grant, 'id' | 'version' | 'createdAt' | 'updatedAt' | 'reviewedBy' | 'reviewedAt' | 'reviewNote'>;
export type GrantPatch = Partial<Omit<Grant, 'id' | 'batchId' | 'version' | 'createdAt' | 'updatedAt'>>;

const FIELDS: Record<keyof Omit<Grant, 'version' | 'createdAt' | 'updatedAt'>, string> = {
  id: 'id', batchId: 'batch_id', parentId: 'parent_id', requesterUserId: 'requester_user_id',
  requesterStationId: 'requester_station_id', ownerStationId: 'owner_station_id', agreementId: 'agreement_id',
  approverKind: 'approver_kind', approverUserId: 'approver_user_id', approverVillageId: 'approver_village_id',
  caseNo: 'case_no', reason: 'reason', requestedCameraIds: 'requested_camera_ids', cameraIds: 'camera_ids',
  requestedActions: 'requested_actions', actions: 'actions', requestedFootageFrom: 'requested_footage_from',
  requestedFootageTo: 'requested_footage_to', footageFrom: 'footage_from', footageTo: 'footage_to', liveFrom: 'live_from',
  liveTo: 'live_to', lifetimeMinutes: 'lifetime_minutes', state: 'state', emergency: 'emergency', reviewState: 'review_state',
  reviewedBy: 'reviewed_by', reviewedAt: 'reviewed_at', reviewNote: 'review_note', decidedBy: 'decided_by',
  decidedAt: 'decided_at', decisionReason: 'decision_reason', expiresAt: 'expires_at',
};
const COLS = [
  ...Object.entries(FIELDS).map(([k, c]) => `g.${c} AS "${k}"`),
  'g.version', 'g.created_at AS "createdAt"', 'g.updated_at AS "updatedAt"',
].join(', ');

export interface GrantFilter {
  requesterUserId?: Uuid;
  ownerStationId?: Uuid;
  approverKind?: ApproverKind;
  approverUserId?: Uuid;
  approverVillageId?: Uuid;
  states?: GrantState[];
  caseNo?: string;
  reviewState?: ReviewState;
  cameraId?: Uuid;
  /** Leave out member rows (requests joined to another). */
  topLevel?: boolean;
  limit?: number;
}

export interface GrantEvent {
  id: number;
  grantId: Uuid;
  at: Date;
  actorId: Uuid | null;
  kind: string;
  fromState: string | null;
  toState: string | null;
  note: string | null;
  details: Record<string, unknown>;
}

export function grantsRepository(db: Queryable) {
  return {
    async insert(g: GrantInsert, q: Queryable = db): Promise<Grant> {
      const keys = Object.keys(FIELDS).filter((k) => k !== 'id' && k in g) as Array<keyof GrantInsert>;
      const vals = keys.map((k) => g[k]);
      const { rows } = await q.query<Grant>(
        `INSERT INTO grants AS g (${keys.map((k) => FIELDS[k]).join(', ')})
         VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${COLS}`,
        vals,
      );
      return rows[0]!;
    },

    async byId(id: Uuid, q: Queryable = db): Promise<Grant | undefined> {
      const { rows } = await q.query<Grant>(`SELECT ${COLS} FROM grants g WHERE g.id = $1`, [id]);
      return rows[0];
    },

    /** Row lock for the rest of the transaction: concurrent deciders queue here, and exactly one sees 'pending'. */
    async lock(id: Uuid, tx: Queryable): Promise<Grant | undefined> {
      const { rows } = await tx.query<Grant>(`SELECT ${COLS} FROM grants g WHERE g.id = $1 FOR UPDATE`, [id]);
      return rows[0];
    },

    /** Applies a patch and bumps the version. */
    async update(id: Uuid, patch: GrantPatch, tx: Queryable): Promise<Grant> {
      const sets: string[] = [];
      const vals: unknown[] = [id];
      for (const [k, v] of Object.entries(patch)) {
        const col = FIELDS[k as keyof typeof FIELDS];
        if (!col || v === undefined) continue;
        vals.push(v);
        sets.push(`${col} = $${vals.length}`);
      }
      const { rows } = await tx.query<Grant>(
        `UPDATE grants g SET ${[...sets, 'version = g.version + 1', 'updated_at = now()'].join(', ')} WHERE g.id = $1 RETURNING ${COLS}`,
        vals,
      );
      return rows[0]!;
    },

    /** Pending top-level requests a home camera's owner (or their committee) was asked to decide, locked. */
    async pendingOwnerRequestsFor(cameraId: Uuid, tx: Queryable): Promise<Grant[]> {
      const { rows } = await tx.query<Grant>(
        `SELECT ${COLS} FROM grants g
         WHERE g.state = 'pending' AND g.approver_kind = 'owner' AND g.parent_id IS NULL AND $1::uuid = ANY(g.camera_ids)
         ORDER BY g.created_at FOR UPDATE`,
        [cameraId],
      );
      return rows;
    },

    async members(parentId: Uuid, tx: Queryable = db, lock = false): Promise<Grant[]> {
      const { rows } = await tx.query<Grant>(
        `SELECT ${COLS} FROM grants g WHERE g.parent_id = $1 ORDER BY g.created_at ${lock ? 'FOR UPDATE' : ''}`,
        [parentId],
      );
      return rows;
    },

    /**
     * Serialises deduplication per owning station and case until the transaction ends: two identical requests
     * sent at the same instant would otherwise both find nothing to join and open two approval tasks.
     */
    async lockCase(ownerStationId: Uuid, caseNo: string, tx: Queryable): Promise<void> {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`shouwang.grant-case:${ownerStationId}:${caseNo}`]);
    },

    /** Open top-level grants for this case at this station, locked: the candidates a new request may join. */
    async openForCase(caseNo: string, ownerStationId: Uuid, now: Date, tx: Queryable): Promise<Grant[]> {
      const { rows } = await tx.query<Grant>(
        `SELECT ${COLS} FROM grants g
         WHERE g.case_no = $1 AND g.owner_station_id = $2 AND g.state IN ('pending', 'approved') AND g.parent_id IS NULL
           AND g.expires_at > $3
         ORDER BY g.created_at FOR UPDATE`,
        [caseNo, ownerStationId, now],
      );
      return rows;
    },

    /** Approved, unexpired grants of this user that cover the camera and action. */
    async usable(userId: Uuid, cameraId: Uuid, action: Action, now: Date): Promise<Grant[]> {
      const { rows } = await db.query<Grant>(
        `SELECT ${COLS} FROM grants g
         WHERE g.requester_user_id = $1 AND g.state = 'approved' AND g.camera_ids @> ARRAY[$2::uuid] AND $3 = ANY(g.actions)
           AND g.expires_at > $4
         ORDER BY g.expires_at DESC LIMIT 20`,
        [userId, cameraId, action, now],
      );
      return rows;
    },

    /** The user's approved, unexpired grants naming this camera, for any action. */
    async approvedFor(userId: Uuid, cameraId: Uuid, now: Date): Promise<Grant[]> {
      const { rows } = await db.query<Grant>(
        `SELECT ${COLS} FROM grants g
         WHERE g.requester_user_id = $1 AND g.state = 'approved' AND g.camera_ids @> ARRAY[$2::uuid] AND g.expires_at > $3
         ORDER BY g.expires_at DESC LIMIT 20`,
        [userId, cameraId, now],
      );
      return rows;
    },

    async list(f: GrantFilter): Promise<Grant[]> {
      const { rows } = await db.query<Grant>(
        `SELECT ${COLS} FROM grants g
         WHERE ($1::uuid IS NULL OR g.requester_user_id = $1) AND ($2::uuid IS NULL OR g.owner_station_id = $2)
           AND ($3::text IS NULL OR g.approver_kind = $3) AND ($4::uuid IS NULL OR g.approver_user_id = $4)
           AND ($5::uuid IS NULL OR g.approver_village_id = $5) AND ($6::text[] IS NULL OR g.state = ANY($6))
           AND ($7::text IS NULL OR g.case_no = $7) AND ($8::text IS NULL OR g.review_state = $8)
           AND ($9::uuid IS NULL OR $9 = ANY(g.camera_ids)) AND (NOT $11 OR g.parent_id IS NULL)
         ORDER BY g.created_at DESC LIMIT $10`,
        [f.requesterUserId ?? null, f.ownerStationId ?? null, f.approverKind ?? null, f.approverUserId ?? null,
         f.approverVillageId ?? null, f.states ?? null, f.caseNo ?? null, f.reviewState ?? null, f.cameraId ?? null,
         Math.min(f.limit ?? 200, 1000), f.topLevel ?? false],
      );
      return rows;
    },

    /** Pending requests and approved grants whose time is up, locked (skipping rows another process holds). */
    async dueForExpiry(now: Date, limit: number, tx: Queryable): Promise<Grant[]> {
      const { rows } = await tx.query<Grant>(
        `SELECT ${COLS} FROM grants g WHERE g.state IN ('pending', 'approved') AND g.expires_at <= $1
         ORDER BY g.expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      return rows;
    },

    /** Grants revoked since this time (the revocation registry's start-up load). */
    async revokedSince(since: Date): Promise<Array<{ id: Uuid; at: Date }>> {
      const { rows } = await db.query<{ id: Uuid; at: Date }>(
        `SELECT id, updated_at AS at FROM grants WHERE state = 'revoked' AND updated_at >= $1 ORDER BY updated_at`,
        [since],
      );
      return rows;
    },

    async addEvent(e: Omit<GrantEvent, 'id' | 'at'>, tx: Queryable = db): Promise<void> {
      await tx.query(
        `INSERT INTO grant_events (grant_id, actor_id, kind, from_state, to_state, note, details) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
        [e.grantId, e.actorId, e.kind, e.fromState, e.toState, e.note, JSON.stringify(e.details)],
      );
    },

    async events(grantId: Uuid): Promise<GrantEvent[]> {
      const { rows } = await db.query<GrantEvent>(
        `SELECT id, grant_id AS "grantId", at, actor_id AS "actorId", kind, from_state AS "fromState", to_state AS "toState",
                note, details FROM grant_events WHERE grant_id = $1 ORDER BY id`,
        [grantId],
      );
      return rows;
    },
  };
}
export type GrantsRepository = ReturnType<typeof grantsRepository>;
