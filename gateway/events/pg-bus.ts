// One LISTEN connection per process; NOTIFY carries revocations, invalidations and user events to every gateway process.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { Db } from '../db/pool.ts';

export const BUS_CHANNEL = 'shouwang_bus';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7900;

export type BusKind = 'event' | 'grant' | 'user' | 'session' | 'camera' | 'keys' | 'mask';
export interface BusMessage {
  kind: BusKind;
  data: Record<string, unknown>;
}
export type BusListener = (m: BusMessage) => void;

export interface BusOptions {
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/**
 * Publish delivers to this process at once, then to the others through NOTIFY (own messages are skipped on
 * receipt). After a reconnect, `onResync` listeners reload state, since notifications sent meanwhile are lost.
 */
export class PgBus {
  readonly origin = randomUUID();
  private client: pg.PoolClient | null = null;
  private readonly listeners = new Set<BusListener>();
  private readonly resyncers = new Set<() => void>();
  private readonly losers = new Set<() => void>();
  private stopped = false;
  private retryMs: number;
  private timer: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: BusOptions = {},
  ) {
    this.retryMs = opts.reconnectMinMs ?? 250;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  get connected(): boolean {
    return this.client !== null;
  }

  on(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onResync(fn: () => void): () => void {
    this.resyncers.add(fn);
    return () => this.resyncers.delete(fn);
  }

  /** Called when the LISTEN connection is lost: from then on, notifications (revocations) go unheard. */
  onLost(fn: () => void): () => void {
    this.losers.add(fn);
    return () => this.losers.delete(fn);
  }

  /** Local delivery now; other processes via NOTIFY. A failed NOTIFY is logged, never thrown at the caller. */
  async publish(kind: BusKind, data: Record<string, unknown>): Promise<void> {
    const m: BusMessage = { kind, data };
    this.deliver(m);
    const payload = JSON.stringify({ o: this.origin, k: kind, d: data });
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
      this.log.error({ kind, bytes: Buffer.byteLength(payload) }, 'bus message too large for NOTIFY; delivered locally only');
      return;
    }
    try {
      await this.db.query('SELECT pg_notify($1, $2)', [BUS_CHANNEL, payload]);
    } catch (err) {
      this.log.warn({ err, kind }, 'NOTIFY failed; other processes will catch up on their next resync');
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = null;
    if (c) {
      await c.query(`UNLISTEN ${BUS_CHANNEL}`).catch(() => undefined);
      c.release();
    }
  }

  private deliver(m: BusMessage): void {
    for (const l of this.listeners) {
      try {
        l(m);
      } catch (err) {
        this.log.error({ err, kind: m.kind }, 'bus listener failed');
      }
    }
  }

  private connect(): Promise<void> {
    this.connecting = (async () => {
      const client = await this.db.connect();
      const onError = (err: Error) => this.lost(client, err);
      client.on('error', onError);
      client.on('end', () => this.lost(client, new Error('connection ended')));
      client.on('notification', (n) => {
        if (n.channel !== BUS_CHANNEL || !n.payload) return;
        let parsed: { o?: string; k?: BusKind; d?: Record<string, unknown> };
        try {
          parsed = JSON.parse(n.payload) as typeof parsed;
        } catch {
          return;
        }
        if (parsed.o === this.origin || !parsed.k || !parsed.d) return;
        this.deliver({ kind: parsed.k, data: parsed.d });
      });
      await client.query(`LISTEN ${BUS_CHANNEL}`);
      if (this.stopped) {
        client.release();
        return;
      }
      this.client = client;
      this.retryMs = this.opts.reconnectMinMs ?? 250;
    })();
    return this.connecting.finally(() => {
      this.connecting = null;
    });
  }

  private lost(client: pg.PoolClient, err: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.release(err);
    if (this.stopped) return;
    this.log.warn({ err: err.message }, 'bus connection lost; reconnecting');
    for (const l of this.losers) l();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.opts.reconnectMaxMs ?? 2000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().then(
        () => {
          for (const r of this.resyncers) r();
        },
        (err: unknown) => {
          this.log.warn({ err: (err as Error).message }, 'bus reconnect failed');
          this.scheduleReconnect();
        },
      );
    }, wait);
    this.timer.unref();
  }

  /** Test hook: drop the LISTEN connection as a network failure would. */
  simulateDisconnect(): void {
    if (this.client) this.lost(this.client, new Error('simulated disconnect'));
  }
}
