// One address may hold only so many open TCP connections: ~20,000 idle sockets from one host would otherwise
// exhaust the gateway's file descriptors before any request is parsed. A connection that has not completed its
// first request's headers within the deadline is closed (Node's own headersTimeout backs this up for later ones).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function guardConnections(server: Server, opts: { maxPerAddress: number | null; headersTimeoutMs: number }): { open(address: string): number } {
  const open = new Map<string, number>();
  const deadlines = new WeakMap<Socket, NodeJS.Timeout>();
  const headersDone = (socket: Socket) => {
    const t = deadlines.get(socket);
    if (t) clearTimeout(t);
    deadlines.delete(socket);
  };
  server.on('request', (req) => headersDone(req.socket));
  server.on('upgrade', (req) => headersDone(req.socket));
  server.on('connection', (socket: Socket) => {
    const addr = socket.remoteAddress ?? '?';
    if (opts.maxPerAddress !== null) {
      const n = (open.get(addr) ?? 0) + 1;
      if (n > opts.maxPerAddress) {
        socket.destroy();
        return;
      }
      open.set(addr, n);
    }
    const timer = setTimeout(() => socket.destroy(), opts.headersTimeoutMs);
    timer.unref();
    deadlines.set(socket, timer);
    socket.once('close', () => {
      headersDone(socket);
      if (opts.maxPerAddress === null) return;
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
  return { open: (address) => open.get(address) ?? 0 };
}
