// Routes gateway events to connected users: each socket receives only what its user may see.
import type { Logger } from 'pino';
import type { GatewayEvent } from './types.ts';
import type { PgBus } from './pg-bus.ts';
import type { CameraResource, Role, Subject } from '../domain/types.ts';
import { scope } from '../access/scope.ts';

export interface Recipient {
  userId: string;
  role: string;
  /** Station the user belongs to (their own, or the station of their village); null for users above stations. */
  stationId: string | null;
  /** Village of committee members and owners; scope() needs it for camera events. */
  villageId?: string | null;
  jurisdictionId?: string;
  sessionId: string;
  send(text: string): void;
  close(code: number, reason: string): void;
}

type RecipientFacts = Pick<Recipient, 'userId' | 'role' | 'stationId' | 'villageId' | 'jurisdictionId'>;
const subjectOf = (r: RecipientFacts): Subject => ({
  userId: r.userId, role: r.role as Role, stationId: r.stationId, villageId: r.villageId ?? null, jurisdictionId: r.jurisdictionId ?? '',
});

/**
 * The routing rule, pure, decided by scope(): named users always; station users when the role filter (if any)
 * admits them and, for an event about a camera, when the camera is in their scope.
 */
export function mayReceive(r: RecipientFacts, e: GatewayEvent, camera?: CameraResource | null): boolean {
  return scope(subjectOf(r)).seesEvent(e, camera);
}

/** The event as this recipient may read it: a camera's failure detail (which names its address) only for its managers. */
export function eventFor(r: RecipientFacts, e: GatewayEvent, camera: CameraResource | null | undefined): GatewayEvent {
  if (camera === undefined || !('reason' in e.payload)) return e;
  if (camera !== null && scope(subjectOf(r)).cameraFields(camera).endpoint) return e;
  return { ...e, payload: { ...e.payload, reason: null } };
}

export interface EventHubOptions {
  /** Camera facts for events about a camera (payload.cameraId); without it such events go to named users only. */
  camera?: (id: string) => Promise<CameraResource | null>;
}

/** Fed by the bus: events published in any gateway process (this one included) reach this process's sockets. */
export class EventHub {
  private readonly recipients = new Set<Recipient>();
  private readonly unsubscribe: () => void;

  /** Camera events wait for their camera's facts; one chain keeps every event in order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    bus: PgBus,
    private readonly log: Logger,
    private readonly opts: EventHubOptions = {},
  ) {
    this.unsubscribe = bus.on((m) => {
      if (m.kind === 'event') this.enqueue(m.data as unknown as GatewayEvent);
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

  private enqueue(e: GatewayEvent): void {
    const cameraId = typeof e.payload?.cameraId === 'string' ? e.payload.cameraId : null;
    this.queue = this.queue
      .then(async () => {
        let camera: CameraResource | null | undefined;
        if (cameraId !== null) camera = this.opts.camera ? await this.opts.camera(cameraId).catch(() => null) : null;
        this.route(e, camera);
      })
      .catch((err: unknown) => this.log.warn({ err }, 'event routing failed'));
  }

  private route(e: GatewayEvent, camera: CameraResource | null | undefined): void {
    const text = JSON.stringify({ type: e.type, at: e.at, payload: e.payload });
    for (const r of this.recipients) {
      if (!mayReceive(r, e, camera)) continue;
      const mine = eventFor(r, e, camera);
      try {
        r.send(mine === e ? text : JSON.stringify({ type: mine.type, at: mine.at, payload: mine.payload }));
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
