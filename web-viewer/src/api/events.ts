// The user's events socket: authenticates with the first message, reconnects with backoff after a drop,
// and tells listeners to catch up (refetch) after every reconnect, since events sent meanwhile are lost.
export interface ServerEvent {
  type: string;
  at?: string;
  payload: Record<string, unknown>;
}
type Listener = (e: ServerEvent) => void;

export class EventStream {
  private ws: WebSocket | null = null;
  private listeners = new Set<Listener>();
  private statusListeners = new Set<(up: boolean) => void>();
  private attempts = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private everConnected = false;
  up = false;

  constructor(private readonly token: string) {
    this.connect();
  }

  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn: (up: boolean) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, 'logout');
  }

  /** Test hook and manual recovery: drop the socket as a network failure would. */
  drop(): void {
    this.ws?.close(4000, 'dropped');
  }

  private setUp(up: boolean): void {
    this.up = up;
    for (const l of this.statusListeners) l(up);
  }

  private connect(): void {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/api/v1/events`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: this.token }));
    ws.onmessage = (m) => {
      let e: ServerEvent;
      try {
        e = JSON.parse(String(m.data)) as ServerEvent;
      } catch {
        return;
      }
      if (e.type === 'ready') {
        this.attempts = 0;
        this.setUp(true);
        if (this.everConnected) this.emit({ type: 'resync', payload: {} });
        this.everConnected = true;
        return;
      }
      this.emit(e);
    };
    ws.onclose = (c) => {
      this.setUp(false);
      if (this.stopped) return;
      if (c.code === 4001) {
        this.emit({ type: 'unauthenticated', payload: {} });
        return;
      }
      const delay = Math.min(10_000, 500 * 2 ** this.attempts++);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private emit(e: ServerEvent): void {
    for (const l of this.listeners) l(e);
  }
}
