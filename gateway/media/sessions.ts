// One registry of open media sessions (live, snapshot, playback, export, masked live), closed by revocation key:
// `grant:<id>`, `user:<id>`, `login:<sid>`, `camera:<id>`, and at their `until`.
import { randomUUID } from 'node:crypto';
import type { RevocationNotice } from '../access/runtime.ts';

export type SessionKind = 'live' | 'snapshot' | 'playback' | 'export' | 'masked-live';

export interface SessionInput {
  kind: SessionKind;
  userId: string;
  cameraId: string;
  grantId: string | null;
  revocationKeys: readonly string[];
  until: Date;
  close(reason: string): void;
}

export interface OpenSession {
  id: string;
  /** The owner ended it (viewer left, export finished): unregister without calling close(). */
  release(): void;
}

interface Entry extends SessionInput {
  id: string;
  timer: NodeJS.Timeout | null;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class SessionRegistry {
  private readonly byId = new Map<string, Entry>();
  private readonly byKey = new Map<string, Set<string>>();

  open(input: SessionInput): OpenSession {
    const id = randomUUID();
    const e: Entry = { ...input, id, timer: null };
    this.byId.set(id, e);
    for (const k of input.revocationKeys) {
      let set = this.byKey.get(k);
      if (!set) this.byKey.set(k, (set = new Set()));
      set.add(id);
    }
    const left = input.until.getTime() - Date.now();
    if (left <= 0) queueMicrotask(() => this.closeOne(id, 'token_expired'));
    else if (left < MAX_TIMER_MS) {
      e.timer = setTimeout(() => this.closeOne(id, 'token_expired'), left);
      e.timer.unref();
    }
    return { id, release: () => this.remove(id) };
  }

  /** Closes every session holding this key; returns how many. */
  closeByKey(key: string, reason: string): number {
    const ids = [...(this.byKey.get(key) ?? [])];
    for (const id of ids) this.closeOne(id, reason);
    return ids.length;
  }

  closeAll(reason: string): void {
    for (const id of [...this.byId.keys()]) this.closeOne(id, reason);
  }

  get size(): number {
    return this.byId.size;
  }

  count(kind: SessionKind): number {
    let n = 0;
    for (const e of this.byId.values()) if (e.kind === kind) n++;
    return n;
  }

  private closeOne(id: string, reason: string): void {
    const e = this.remove(id);
    if (!e) return;
    try {
      e.close(reason);
    } catch {
      // a consumer's close must not stop the others from closing
    }
  }

  private remove(id: string): Entry | undefined {
    const e = this.byId.get(id);
    if (!e) return undefined;
    this.byId.delete(id);
    if (e.timer) clearTimeout(e.timer);
    for (const k of e.revocationKeys) {
      const set = this.byKey.get(k);
      set?.delete(id);
      if (set?.size === 0) this.byKey.delete(k);
    }
    return e;
  }
}

/** The revocation keys of one authorised session. */
export function revocationKeys(a: { userId: string; grantId: string | null; sessionKey: string; cameraId: string }): string[] {
  return [`user:${a.userId}`, `login:${a.sessionKey}`, `camera:${a.cameraId}`, ...(a.grantId ? [`grant:${a.grantId}`] : [])];
}

/** Feeds the access layer's revocation notices (every process, via the pg bus) into the registry. */
export function closeOnRevocation(registry: SessionRegistry, onRevocation: (fn: (n: RevocationNotice) => void) => () => void): () => void {
  return onRevocation((n) => {
    for (const g of n.grantIds ?? []) registry.closeByKey(`grant:${g}`, n.reason);
    if (n.reason === 'user_disabled' && n.userId) registry.closeByKey(`user:${n.userId}`, n.reason);
    if (n.sessionKey) registry.closeByKey(`login:${n.sessionKey}`, n.reason);
    if (n.cameraId) registry.closeByKey(`camera:${n.cameraId}`, n.reason);
  });
}
