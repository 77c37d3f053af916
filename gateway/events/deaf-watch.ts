// Fail closed: a process that cannot hear revocations (its LISTEN connection is down) for longer than a deadline
// stops vouching for video: it says so once (every open session closes) and refuses new plays until it has
// reconnected and reloaded what it may have missed.
import type { Logger } from 'pino';
import type { PgBus } from './pg-bus.ts';

export interface DeafWatch {
  /** True from the deadline until revocations were reloaded after reconnecting. */
  readonly deaf: boolean;
  close(): void;
}

export function watchDeafness(
  bus: PgBus,
  opts: { deafMs: number; reload: () => Promise<void>; onDeaf: () => void; onHeard?: () => void; log: Logger },
): DeafWatch {
  let deaf = false;
  let deadline: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;
  const clear = () => {
    if (deadline) clearTimeout(deadline);
    if (retry) clearTimeout(retry);
    deadline = retry = null;
  };
  const offLost = bus.onLost(() => {
    if (deadline || deaf) return;
    deadline = setTimeout(() => {
      deadline = null;
      if (closed || bus.connected) return;
      deaf = true;
      opts.log.error({ deafMs: opts.deafMs }, 'revocations cannot be heard (LISTEN connection lost); closing video and refusing plays');
      opts.onDeaf();
    }, opts.deafMs);
    deadline.unref();
  });
  // Back only once what was missed is reloaded; retried while the connection holds.
  const reload = () => {
    retry = null;
    if (closed || !bus.connected) return;
    opts.reload().then(
      () => {
        if (!bus.connected) return;
        clear();
        if (deaf) {
          deaf = false;
          opts.log.info('revocations heard again; serving video');
          opts.onHeard?.();
        }
      },
      (err: unknown) => {
        opts.log.warn({ err: (err as Error).message }, 'reloading revocations failed; retrying');
        retry = setTimeout(reload, 1000);
        retry.unref();
      },
    );
  };
  const offResync = bus.onResync(reload);
  return {
    get deaf() {
      return deaf;
    },
    close() {
      closed = true;
      clear();
      offLost();
      offResync();
    },
  };
}
