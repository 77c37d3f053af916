// ONE registry of open media sessions (live, snapshot, playback, export, masked live): each ends at its
// `until`, and a revocation closes every session registered under its key, whatever consumer serves it.
import { randomUUID } from 'node:crypto';
import type { RevocationNotice } from '../access/runtime.ts';

export type SessionKind = 'live' | 'snapshot' | 'playback' | 'export' | 'masked-live';

export interface SessionInput {
  kind: SessionKind;
  userId: string;
  cameraId: string;
  grantId: string | null;
  /** grant:<id>, user:<id>, login:<sid>, camera:<id> (see authorize.ts). */
  revocationKeys: string[];
  /** The registry closes the session with reason `expired` at this time. */
  until: Date;
  /** Called exactly once, by the registry or by `handle.close()`: stop sending, release what it holds. */
  close(reason: string): void;
  /** Free-form facts for listings (stream, transport, ip…). */
  info?: Record<string, unknown>;
}

export interface SessionInfo {
  id: string;
  kind: SessionKind;
  userId: string;
  cameraId: string;
  grantId: string | null;
  revocationKeys: readonly string[];
  until: Date;
  openedAt: Date;
  info: Record<string, unknown>;
}

export interface SessionHandle {
  readonly id: string;
  readonly closed: boolean;
  /** Ends the session (the consumer's close callback runs once). */
  close(reason: string): void;
  /** Leaves the registry without calling close (the consumer hands over to another session). */
  release(): void;
}

/** Keys that close everything: the process can no longer vouch for any session (trust-db's notice). */
export const ALL = 'all';

const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry extends SessionInfo {
  closeFn: (reason: string) => void;
  timer: NodeJS.Timeout | null;
}

export class SessionRegistry {
  private readonly byId = new Map<string, Entry>();
  private readonly byKey = new Map<string, Set<Entry>>();

  open(input: SessionInput): SessionHandle {
    const e: Entry = {
      id: randomUUID(),
      kind: input.kind,
      userId: input.userId,
      cameraId: input.cameraId,
      grantId: input.grantId,
      revocationKeys: Object.freeze([...new Set(input.revocationKeys)]),
      until: input.until,
      openedAt: new Date(),
      info: input.info ?? {},
      closeFn: input.close,
      timer: null,
    };
    this.byId.set(e.id, e);
    for (const k of e.revocationKeys) {
      let set = this.byKey.get(k);
      if (!set) this.byKey.set(k, (set = new Set()));
      set.add(e);
    }
    const arm = (): void => {
      const ms = e.until.getTime() - Date.now();
      if (ms <= 0) return void this.end(e, 'expired', true);
      e.timer = setTimeout(arm, Math.min(ms, MAX_TIMER_MS));
      e.timer.unref();
    };
    const handle: SessionHandle = {
      id: e.id,
      get closed() {
        return !reg.byId.has(e.id);
      },
      close: (reason) => this.end(e, reason, true),
      release: () => this.end(e, 'released', false),
    };
    const reg = this;
    arm();
    return handle;
  }

  /** Closes every session registered under `key` (or every session for `all`); returns how many. */
  closeByKey(key: string, reason: string): number {
    if (key === ALL) return this.closeAll(reason);
    const set = this.byKey.get(key);
    if (!set) return 0;
    let n = 0;
    for (const e of [...set]) if (this.end(e, reason, true)) n++;
    return n;
  }

  closeAll(reason: string): number {
    let n = 0;
    for (const e of [...this.byId.values()]) if (this.end(e, reason, true)) n++;
    return n;
  }

  /** Closes the sessions a predicate selects (tests, benchmarks, admin tools). */
  closeWhere(pred: (s: SessionInfo) => boolean, reason: string): number {
    let n = 0;
    for (const e of [...this.byId.values()]) if (pred(e) && this.end(e, reason, true)) n++;
    return n;
  }

  list(kind?: SessionKind): SessionInfo[] {
    const out: SessionInfo[] = [];
    for (const e of this.byId.values()) {
      if (kind && e.kind !== kind) continue;
      const { closeFn: _c, timer: _t, ...info } = e;
      out.push(info);
    }
    return out;
  }

  get size(): number {
    return this.byId.size;
  }

  private end(e: Entry, reason: string, callClose: boolean): boolean {
    if (!this.byId.delete(e.id)) return false;
    if (e.timer) clearTimeout(e.timer);
    for (const k of e.revocationKeys) {
      const set = this.byKey.get(k);
      set?.delete(e);
      if (set?.size === 0) this.byKey.delete(k);
    }
    if (callClose) e.closeFn(reason);
    return true;
  }
}

/** The revocation keys a notice from gateway/access closes ('all' when the process cannot vouch for any). */
export function keysOfNotice(n: RevocationNotice | { reason: string; all?: boolean }): string[] {
  const x = n as Omit<Partial<RevocationNotice>, 'reason'> & { reason: string; all?: boolean };
  if (x.all === true || x.reason === 'all' || x.reason === 'revocations_unavailable') return [ALL];
  switch (x.reason) {
    case 'grant_revoked':
    case 'grant_expired':
      return (x.grantIds ?? []).map((id) => `grant:${id.toLowerCase()}`);
    case 'user_disabled':
    case 'credentials_reset':
      return x.userId ? [`user:${x.userId.toLowerCase()}`] : [];
    case 'session_logged_out':
      return x.sessionKey ? [`login:${x.sessionKey}`] : [];
    case 'camera_changed':
      return x.cameraId ? [`camera:${x.cameraId.toLowerCase()}`] : [];
    default:
      return [];
  }
}

/** Wires a revocation source to the registry; returns the unsubscribe function. */
export function closeOnRevocation(
  onRevocation: (l: (n: RevocationNotice) => void) => () => void,
  registry: SessionRegistry,
): () => void {
  return onRevocation((n) => {
    for (const k of keysOfNotice(n)) registry.closeByKey(k, n.reason);
  });
}
