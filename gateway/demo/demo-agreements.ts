import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Gateway } from '../compose.ts';
import type { Action } from '../domain/types.ts';
import type { AgreementContact } from '../repositories/agreements.repository.ts';

interface DemoAgreement {
  code: string;
  name: string;
  partyA: string;
  partyB: string;
  tier: 1 | 2 | 3;
  allowedActions: Action[];
  maxFootageHours: number;
  maxGrantMinutes: number;
  emergencyAllowed: boolean;
  emergencyMinutes: number | null;
  contacts: AgreementContact[];
}

/** Loads config/demo/agreements.json; idempotent (upsert by code). Parties must be stations or counties. */
export async function loadDemoAgreements(gw: Gateway, dir: string): Promise<number> {
  const { agreements } = JSON.parse(readFileSync(path.join(dir, 'agreements.json'), 'utf8')) as { agreements: DemoAgreement[] };
  for (const a of agreements) {
    const [pa, pb] = await Promise.all([gw.repos.jurisdictions.byCode(a.partyA), gw.repos.jurisdictions.byCode(a.partyB)]);
    for (const [code, j] of [[a.partyA, pa], [a.partyB, pb]] as const) {
      if (!j) throw new Error(`demo agreement ${a.code}: no jurisdiction ${code}`);
      if (j.kind !== 'station' && j.kind !== 'county') throw new Error(`demo agreement ${a.code}: ${code} is a ${j.kind}; parties are stations or counties`);
    }
    await gw.repos.agreements.upsert({
      code: a.code, name: a.name, partyAId: pa!.id, partyBId: pb!.id, tier: a.tier, allowedActions: a.allowedActions,
      maxFootageHours: a.maxFootageHours, maxGrantMinutes: a.maxGrantMinutes, emergencyAllowed: a.emergencyAllowed,
      emergencyMinutes: a.emergencyMinutes, contacts: a.contacts, validTo: null, active: true,
    });
  }
  return agreements.length;
}
