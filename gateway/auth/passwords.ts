import { hash, verify } from '@node-rs/argon2';

// Argon2id (memory-hard), OWASP's second recommended setting: 19 MiB, t=2, p=1.
const OPTS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

// A real hash to verify against when the user does not exist, so timing does not reveal usernames.
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword('shouwang-no-such-user');
  return dummy;
}
