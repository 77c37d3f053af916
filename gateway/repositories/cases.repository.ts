// Cases and their members; closing a case releases its footage holds. The only SQL for cases.
import type { Queryable } from '../db/pool.ts';
import type { Uuid } from '../domain/types.ts';

export type CaseStatus = 'open' | 'closed';

export interface Case {
  id: Uuid;
  caseNo: string;
  title: string;
  ownerStationId: Uuid;
  createdBy: Uuid;
  openedAt: Date;
  status: CaseStatus;
  closedAt: Date | null;
  closedBy: Uuid | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CaseMember {
  caseId: Uuid;
  userId: Uuid;
  username: string;
  role: 'owner' | 'member';
  stationId: Uuid | null;
  addedBy: Uuid | null;
  addedAt: Date;
}

const COLS = `c.id, c.case_no AS "caseNo", c.title, c.owner_station_id AS "ownerStationId", c.created_by AS "createdBy",
  c.opened_at AS "openedAt", c.status, c.closed_at AS "closedAt", c.closed_by AS "closedBy", c.created_at AS "createdAt",
  c.updated_at AS "updatedAt"`;

export function casesRepository(db: Queryable) {
  return {
    /** Inserts unless the case number exists; returns null then (the caller reports who holds it). */
    async insert(c: { caseNo: string; title: string; ownerStationId: Uuid; createdBy: Uuid; openedAt: Date }, q: Queryable = db): Promise<Case | null> {
      const { rows } = await q.query<Case>(
        `INSERT INTO cases AS c (case_no, title, owner_station_id, created_by, opened_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (case_no) DO NOTHING RETURNING ${COLS}`,
        [c.caseNo, c.title, c.ownerStationId, c.createdBy, c.openedAt],
      );
      return rows[0] ?? null;
    },

    async byId(id: Uuid, q: Queryable = db): Promise<Case | undefined> {
      const { rows } = await q.query<Case>(`SELECT ${COLS} FROM cases c WHERE c.id = $1`, [id]);
      return rows[0];
    },

    async byCaseNo(caseNo: string, q: Queryable = db): Promise<Case | undefined> {
      const { rows } = await q.query<Case>(`SELECT ${COLS} FROM cases c WHERE c.case_no = $1`, [caseNo]);
      return rows[0];
    },

    async lock(id: Uuid, tx: Queryable): Promise<Case | undefined> {
      const { rows } = await tx.query<Case>(`SELECT ${COLS} FROM cases c WHERE c.id = $1 FOR UPDATE`, [id]);
      return rows[0];
    },

    /** Holds the case against a concurrent close while a sighting is written; its status now. */
    async statusForShare(id: Uuid, tx: Queryable): Promise<CaseStatus | undefined> {
      const { rows } = await tx.query<{ status: CaseStatus }>(`SELECT status FROM cases WHERE id = $1 FOR SHARE`, [id]);
      return rows[0]?.status;
    },

    /** Cases the user is a current member of. */
    async forUser(userId: Uuid, status?: CaseStatus): Promise<Case[]> {
      const { rows } = await db.query<Case>(
        `SELECT ${COLS} FROM cases c JOIN case_members m ON m.case_id = c.id AND m.removed_at IS NULL
         WHERE m.user_id = $1 AND ($2::text IS NULL OR c.status = $2) ORDER BY c.created_at DESC LIMIT 500`,
        [userId, status ?? null],
      );
      return rows;
    },

    async update(id: Uuid, patch: { title?: string; status?: CaseStatus; closedAt?: Date | null; closedBy?: Uuid | null }, tx: Queryable): Promise<Case> {
      const { rows } = await tx.query<Case>(
        `UPDATE cases c SET title = COALESCE($2, c.title), status = COALESCE($3, c.status),
           closed_at = CASE WHEN $4 THEN $5 ELSE c.closed_at END, closed_by = CASE WHEN $4 THEN $6 ELSE c.closed_by END,
           updated_at = now()
         WHERE c.id = $1 RETURNING ${COLS}`,
        [id, patch.title ?? null, patch.status ?? null, patch.closedAt !== undefined, patch.closedAt ?? null, patch.closedBy ?? null],
      );
      return rows[0]!;
    },

    async members(caseId: Uuid, q: Queryable = db): Promise<CaseMember[]> {
      const { rows } = await q.query<CaseMember>(
        `SELECT m.case_id AS "caseId", m.user_id AS "userId", u.username, m.role, u.jurisdiction_id AS "stationId",
                m.added_by AS "addedBy", m.added_at AS "addedAt"
         FROM case_members m JOIN users u ON u.id = m.user_id WHERE m.case_id = $1 AND m.removed_at IS NULL ORDER BY m.added_at`,
        [caseId],
      );
      return rows;
    },

    async isMember(caseId: Uuid, userId: Uuid, q: Queryable = db): Promise<'owner' | 'member' | null> {
      const { rows } = await q.query<{ role: 'owner' | 'member' }>(
        `SELECT role FROM case_members WHERE case_id = $1 AND user_id = $2 AND removed_at IS NULL`,
        [caseId, userId],
      );
      return rows[0]?.role ?? null;
    },

    /** Adds (or re-adds) a member; false when already a current member. */
    async addMember(m: { caseId: Uuid; userId: Uuid; role: 'owner' | 'member'; addedBy: Uuid }, tx: Queryable): Promise<boolean> {
      const r = await tx.query(
        `INSERT INTO case_members (case_id, user_id, role, added_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (case_id, user_id) DO UPDATE SET role = EXCLUDED.role, added_by = EXCLUDED.added_by, added_at = now(),
           removed_at = NULL, removed_by = NULL
         WHERE case_members.removed_at IS NOT NULL`,
        [m.caseId, m.userId, m.role, m.addedBy],
      );
      return (r.rowCount ?? 0) > 0;
    },

    async removeMember(caseId: Uuid, userId: Uuid, by: Uuid, tx: Queryable): Promise<boolean> {
      const r = await tx.query(
        `UPDATE case_members SET removed_at = now(), removed_by = $3 WHERE case_id = $1 AND user_id = $2 AND removed_at IS NULL AND role <> 'owner'`,
        [caseId, userId, by],
      );
      return (r.rowCount ?? 0) > 0;
    },

    /** Releases every unreleased footage hold of the case; returns how many. */
    async releaseHolds(caseNo: string, by: Uuid, at: Date, tx: Queryable): Promise<number> {
      const r = await tx.query(
        `UPDATE footage_holds SET released_at = $2, released_by = $3 WHERE case_no = $1 AND released_at IS NULL`,
        [caseNo, at, by],
      );
      return r.rowCount ?? 0;
    },

    /** Which of these cameras have recorded segments overlapping each camera's window (read-only, on the segments index). */
    async footageExists(windows: Array<{ cameraId: Uuid; from: Date; to: Date }>): Promise<Set<Uuid>> {
      if (windows.length === 0) return new Set();
      const { rows } = await db.query<{ id: Uuid }>(
        `SELECT w.id FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS w(id, f, t)
         WHERE EXISTS (SELECT 1 FROM recording_segments s WHERE s.camera_id = w.id AND s.stream = 'main'
                         AND s.start_at < w.t AND s.end_at > w.f
                         -- segments are seconds long: bounding start_at lets the (camera, stream, start_at) index do the work
                         AND s.start_at > w.f - interval '1 hour')`,
        [windows.map((w) => w.cameraId), windows.map((w) => w.from), windows.map((w) => w.to)],
      );
      return new Set(rows.map((r) => r.id));
    },

  };
}
export type CasesRepository = ReturnType<typeof casesRepository>;
