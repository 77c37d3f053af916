// One address may hold only so many open TCP connections: ~20,000 idle sockets from one host would otherwise
// exhaust the gateway's file descriptors before any request is parsed.
import type { Server } from 'node:net';

export function capConnectionsPerAddress(server: Server, maxPerAddress: number): { open(address: string): number } {
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const addr = socket.remoteAddress ?? '?';
    const n = (open.get(addr) ?? 0) + 1;
    if (n > maxPerAddress) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
  return { open: (address) => open.get(address) ?? 0 };
}
