// GET /api/v1/events: the user's event stream over WebSocket. Browsers cannot set headers on a WebSocket,
// so the session token comes as ?token= or as the first message {"type":"auth","token":"…"}.
import type { WebSocket } from 'ws';
import type {} from '@fastify/websocket';
import { Type } from 'typebox';
import type { TypedApp } from '../app.ts';
import type { Gateway } from '../../compose.ts';
import { isAppError } from '../../errors.ts';

const AUTH_TIMEOUT_MS = 5_000;

export default async function eventRoutes(app: TypedApp, gw: Gateway): Promise<void> {
  app.get('/events', {
    websocket: true,
    schema: {
      tags: ['events'],
      summary: 'WebSocket: grant requests, decisions, revocations and camera state the user may see',
      querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
    },
  }, (socket: WebSocket, req) => {
    let detach: (() => void) | null = null;
    let done = false;
    const fail = (code: number, message: string) => {
      if (done) return;
      done = true;
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'error', payload: { code: 'unauthenticated', message } }));
      socket.close(code, message.slice(0, 100));
    };
    const timer = setTimeout(() => fail(4001, 'authenticate within 5 s'), AUTH_TIMEOUT_MS);
    timer.unref();
    socket.on('close', () => {
      clearTimeout(timer);
      done = true;
      detach?.();
    });

    const authenticate = async (token: string | undefined): Promise<void> => {
      try {
        const ctx = await gw.auth.authenticate(token);
        const subject = await gw.access.subject(ctx.user.id);
        if (done) return;
        clearTimeout(timer);
        detach = gw.hub.attach({
          userId: ctx.user.id,
          role: ctx.user.role,
          stationId: subject?.stationId ?? null,
          villageId: subject?.villageId ?? null,
          jurisdictionId: ctx.user.jurisdictionId,
          sessionId: ctx.sessionId,
          send: (text) => {
            if (socket.readyState === socket.OPEN) socket.send(text);
          },
          close: (code, reason) => socket.close(code, reason),
        });
        socket.send(JSON.stringify({ type: 'ready', payload: { userId: ctx.user.id, stationId: subject?.stationId ?? null } }));
      } catch (e) {
        fail(4001, isAppError(e) ? e.message : 'authentication failed');
      }
    };

    const q = req.query as { token?: string };
    if (q.token) {
      void authenticate(q.token);
    } else {
      socket.once('message', (data) => {
        let token: string | undefined;
        try {
          const m = JSON.parse(String(data)) as { type?: string; token?: string };
          if (m.type === 'auth' && typeof m.token === 'string') token = m.token;
        } catch {
          // fall through: no token
        }
        void authenticate(token);
      });
    }
  });
}
