// Routes gateway events to connected users: each socket receives only what its user may see.
import type { Logger } from 'pino';
import type { GatewayEvent } from './types.ts';
import type { PgBus } from './pg-bus.ts';

export interface Recipient {
  userId: string;
  role: string;
  /** Station the user belongs to (their own, or the station of their village); null for users above stations. */
  stationId: string | null;
  sessionId: string;
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** The routing rule, pure: named users always; station users when the role filter (if any) admits them. */
export function mayReceive(r: Pick<Recipient, 'userId' | 'role' | 'stationId'>, e: GatewayEvent): boolean {
  if (e.userIds?.includes(r.userId)) return true;
  if (r.stationId === null || !e.stationIds?.includes(r.stationId)) return false;
  return e.roles === undefined || e.roles.length === 0 || e.roles.includes(r.role);
}

/** Fed by the bus: events published in any gateway process (this one included) reach this process's sockets. */
export class EventHub {
  private readonly recipients = new Set<Recipient>();
  private readonly unsubscribe: () => void;

  constructor(
    bus: PgBus,
    private readonly log: Logger,
  ) {
    this.unsubscribe = bus.on((m) => {
      if (m.kind === 'event') this.route(m.data as unknown as GatewayEvent);
      else if (m.kind === 'session' && m.data.op === 'logout') this.closeWhere((r) => r.sessionId === m.data.sessionId, 'logged out');
      else if (m.kind === 'user' && m.data.op === 'disabled') this.closeWhere((r) => r.userId === m.data.userId, 'account disabled');
      else if (m.kind === 'user' && m.data.op === 'credentials_reset') this.closeWhere((r) => r.userId === m.data.userId, 'password was reset');
    });
  }

  attach(r: Recipient): () => void {
    this.recipients.add(r);
    return () => this.recipients.delete(r);
  }

  get size(): number {
    return this.recipients.size;
  }

  close(): void {
    this.unsubscribe();
    this.closeWhere(() => true, 'gateway shutting down', 1001);
  }

  private route(e: GatewayEvent): void {
    const text = JSON.stringify({ type: e.type, at: e.at, payload: e.payload });
    for (const r of this.recipients) {
      if (!mayReceive(r, e)) continue;
      try {
        r.send(text);
      } catch (err) {
        this.log.debug({ err }, 'event send failed');
      }
    }
  }

  private closeWhere(pred: (r: Recipient) => boolean, reason: string, code = 4001): void {
    for (const r of [...this.recipients]) {
      if (!pred(r)) continue;
      this.recipients.delete(r);
      r.close(code, reason);
    }
  }
}
