import type { Subject } from '../domain/types.ts';
import type { User } from '../repositories/users.repository.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';

/** The policy's view of a user: their jurisdiction, and the station and village it sits in. */
export async function subjectOf(user: User, jurisdictions: JurisdictionsRepository): Promise<Subject> {
  const j = await jurisdictions.byId(user.jurisdictionId);
  const stationId = j?.kind === 'station' ? j.id : j?.kind === 'village' ? j.parentId : null;
  return {
    userId: user.id,
    role: user.role,
    jurisdictionId: user.jurisdictionId,
    stationId,
    villageId: j?.kind === 'village' ? j.id : null,
  };
}
