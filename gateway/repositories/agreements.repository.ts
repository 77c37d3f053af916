import type { Queryable } from '../db/pool.ts';
import type { Action, Uuid } from '../domain/types.ts';

export interface AgreementContact {
  name: string;
  phone?: string;
  role?: string;
}

export interface Agreement {
  id: Uuid;
  code: string;
  name: string;
  partyAId: Uuid;
  partyBId: Uuid;
  tier: 1 | 2 | 3;
  allowedActions: Action[];
  maxFootageHours: number;
  maxGrantMinutes: number;
  emergencyAllowed: boolean;
  emergencyMinutes: number | null;
  contacts: AgreementContact[];
  validFrom: Date;
  validTo: Date | null;
  active: boolean;
}

export type AgreementWrite = Omit<Agreement, 'id' | 'validFrom'> & { validFrom?: Date | null; createdBy?: Uuid | null };

const COLS = `a.id, a.code, a.name, a.party_a_id AS "partyAId", a.party_b_id AS "partyBId", a.tier,
  a.allowed_actions AS "allowedActions", a.max_footage_hours AS "maxFootageHours", a.max_grant_minutes AS "maxGrantMinutes",
  a.emergency_allowed AS "emergencyAllowed", a.emergency_minutes AS "emergencyMinutes", a.contacts,
  a.valid_from AS "validFrom", a.valid_to AS "validTo", a.active`;

export function agreementsRepository(db: Queryable) {
  return {
    /** Insert or update by code (demo loader, admin API). */
    async upsert(a: AgreementWrite, q: Queryable = db): Promise<Agreement> {
      const { rows } = await q.query<Agreement>(
        `INSERT INTO agreements AS a (code, name, party_a_id, party_b_id, tier, allowed_actions, max_footage_hours, max_grant_minutes,
           emergency_allowed, emergency_minutes, contacts, valid_from, valid_to, active, created_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,COALESCE($12, now()),$13,$14,$15)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, party_a_id = EXCLUDED.party_a_id, party_b_id = EXCLUDED.party_b_id,
           tier = EXCLUDED.tier, allowed_actions = EXCLUDED.allowed_actions, max_footage_hours = EXCLUDED.max_footage_hours,
           max_grant_minutes = EXCLUDED.max_grant_minutes, emergency_allowed = EXCLUDED.emergency_allowed,
           emergency_minutes = EXCLUDED.emergency_minutes, contacts = EXCLUDED.contacts, valid_to = EXCLUDED.valid_to,
           active = EXCLUDED.active, updated_at = now()
         RETURNING ${COLS}`,
        [a.code, a.name, a.partyAId, a.partyBId, a.tier, a.allowedActions, a.maxFootageHours, a.maxGrantMinutes,
         a.emergencyAllowed, a.emergencyMinutes, JSON.stringify(a.contacts), a.validFrom ?? null, a.validTo, a.active, a.createdBy ?? null],
      );
      return rows[0]!;
    },

    async byId(id: Uuid, q: Queryable = db): Promise<Agreement | undefined> {
      const { rows } = await q.query<Agreement>(`SELECT ${COLS} FROM agreements a WHERE a.id = $1`, [id]);
      return rows[0];
    },

    async byCode(code: string): Promise<Agreement | undefined> {
      const { rows } = await db.query<Agreement>(`SELECT ${COLS} FROM agreements a WHERE a.code = $1`, [code]);
      return rows[0];
    },

    /**
     * Agreements in force between the jurisdictions containing two stations, most specific first
     * (station–station before station–county before county–county).
     */
    async between(stationX: Uuid, stationY: Uuid, at: Date, q: Queryable = db): Promise<Agreement[]> {
      const { rows } = await q.query<Agreement>(
        `SELECT ${COLS} FROM agreements a
           JOIN jurisdictions pa ON pa.id = a.party_a_id
           JOIN jurisdictions pb ON pb.id = a.party_b_id,
           jurisdictions x, jurisdictions y
         WHERE x.id = $1 AND y.id = $2 AND a.active AND a.valid_from <= $3 AND (a.valid_to IS NULL OR a.valid_to > $3)
           AND ((a.party_a_id = ANY(x.path || x.id) AND a.party_b_id = ANY(y.path || y.id))
             OR (a.party_b_id = ANY(x.path || x.id) AND a.party_a_id = ANY(y.path || y.id)))
         ORDER BY cardinality(pa.path) + cardinality(pb.path) DESC, a.tier, a.code`,
        [stationX, stationY, at],
      );
      return rows;
    },

    /** Agreements one of whose parties is this jurisdiction or one of its ancestors. */
    async forJurisdiction(id: Uuid): Promise<Agreement[]> {
      const { rows } = await db.query<Agreement>(
        `SELECT ${COLS} FROM agreements a, jurisdictions x
         WHERE x.id = $1 AND (a.party_a_id = ANY(x.path || x.id) OR a.party_b_id = ANY(x.path || x.id))
         ORDER BY a.code`,
        [id],
      );
      return rows;
    },

    async list(): Promise<Agreement[]> {
      const { rows } = await db.query<Agreement>(`SELECT ${COLS} FROM agreements a ORDER BY a.code`);
      return rows;
    },
  };
}
export type AgreementsRepository = ReturnType<typeof agreementsRepository>;
