// Refusals without a valid identity (no token, invalid token) cost an attacker nothing; one audit row each lets a
// flood bury real accesses. Per address: the first refusal of an interval is written as itself, the rest are
// counted into one aggregate row when the interval ends. Memory is bounded by a cap on tracked addresses.
import { AUDIT } from './actions.ts';
import type { AuditInput } from '../repositories/audit.repository.ts';

export interface Refusal {
  ip: string;
  path: string;
  code: string;
  at?: Date;
}

interface Window {
  startedAt: number;
  first: Date;
  last: Date;
  count: number;
  codes: Record<string, number>;
  samplePaths: string[];
}

const SAMPLE_PATHS = 5;
const PATH_MAX = 200;

export class RefusalAggregator {
  private readonly windows = new Map<string, Window>();
  private readonly timer: NodeJS.Timeout | null;
  private readonly writing = new Set<Promise<unknown>>();

  constructor(
    private readonly opts: {
      intervalMs: number;
      maxAddresses: number;
      write: (rows: AuditInput[]) => Promise<unknown> | void;
      now?: () => number;
      /** Sweep timer; off in unit tests that drive `flushDue()` by hand. */
      timer?: boolean;
    },
  ) {
    this.timer = opts.timer === false ? null : setInterval(() => this.flushDue(), Math.min(opts.intervalMs, 5000));
    this.timer?.unref();
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * Records one refusal. Returns the audit row to write now when this is the first from the address in the
   * interval, or null when it was only counted.
   */
  note(r: Refusal, row: AuditInput): AuditInput | null {
    const now = this.now();
    const w = this.windows.get(r.ip);
    if (w && now - w.startedAt < this.opts.intervalMs) {
      w.count++;
      w.last = r.at ?? new Date(now);
      w.codes[r.code] = (w.codes[r.code] ?? 0) + 1;
      if (w.samplePaths.length < SAMPLE_PATHS && !w.samplePaths.includes(r.path)) w.samplePaths.push(r.path.slice(0, PATH_MAX));
      return null;
    }
    if (w) this.flush(r.ip, w);
    if (this.windows.size >= this.opts.maxAddresses) this.evictOldest();
    this.windows.set(r.ip, { startedAt: now, first: r.at ?? new Date(now), last: r.at ?? new Date(now), count: 0, codes: {}, samplePaths: [] });
    return row;
  }

  /** Writes aggregate rows for every window whose interval is over. */
  flushDue(): void {
    const now = this.now();
    const rows: AuditInput[] = [];
    for (const [ip, w] of this.windows) {
      if (now - w.startedAt < this.opts.intervalMs) continue;
      this.windows.delete(ip);
      const row = this.aggregate(ip, w);
      if (row) rows.push(row);
    }
    if (rows.length) this.write(rows);
  }

  private write(rows: AuditInput[]): void {
    const p = this.opts.write(rows);
    if (p) {
      this.writing.add(p);
      void p.finally(() => this.writing.delete(p)).catch(() => undefined);
    }
  }

  /** At shutdown: every counted refusal is written. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const rows = [...this.windows].map(([ip, w]) => this.aggregate(ip, w)).filter((r): r is AuditInput => r !== null);
    this.windows.clear();
    if (rows.length) this.write(rows);
    await Promise.allSettled([...this.writing]);
  }

  get tracked(): number {
    return this.windows.size;
  }

  private flush(ip: string, w: Window): void {
    this.windows.delete(ip);
    const row = this.aggregate(ip, w);
    if (row) this.write([row]);
  }

  // Maps iterate in insertion order: the first entry is the oldest window.
  private evictOldest(): void {
    const first = this.windows.entries().next().value;
    if (first) this.flush(first[0], first[1]);
  }

  private aggregate(ip: string, w: Window): AuditInput | null {
    if (w.count === 0) return null;
    return {
      action: AUDIT.refusedFlood,
      outcome: 'deny',
      at: w.last,
      reason: 'refusals without a valid identity from one address',
      details: { ip, count: w.count, firstAt: w.first.toISOString(), lastAt: w.last.toISOString(), codes: w.codes, samplePaths: w.samplePaths },
    };
  }
}
