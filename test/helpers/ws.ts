// A ws client over app.injectWS (no listening socket) that collects messages and waits for one.
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type {} from '@fastify/websocket';

export interface WsMessage {
  type: string;
  at?: string;
  payload: Record<string, unknown>;
}

export interface EventClient {
  ws: WebSocket;
  messages: WsMessage[];
  next(pred: (m: WsMessage) => boolean, timeoutMs?: number): Promise<WsMessage>;
  close(): void;
}

export async function connectEvents(app: FastifyInstance, token: string, via: 'query' | 'message' = 'query'): Promise<EventClient> {
  const ws = await app.injectWS(via === 'query' ? `/api/v1/events?token=${encodeURIComponent(token)}` : '/api/v1/events');
  const messages: WsMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as WsMessage);
    for (const w of waiters) w();
  });
  const client: EventClient = {
    ws,
    messages,
    next(pred, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < messages.length; seen++) {
            const m = messages[seen]!;
            if (pred(m)) {
              messages.splice(seen, 1);
              waiters.delete(check);
              clearTimeout(timer);
              resolve(m);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching ws message within ${timeoutMs} ms; got ${JSON.stringify(messages.map((m) => m.type))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      ws.terminate();
    },
  };
  if (via === 'message') ws.send(JSON.stringify({ type: 'auth', token }));
  const first = await client.next((m) => m.type === 'ready' || m.type === 'error');
  if (first.type === 'error') throw new Error(`ws refused: ${JSON.stringify(first.payload)}`);
  return client;
}
