// Media requests that carry no token are refused anyway; past a per-address rate they are refused with 429
// before any lookup, and counted into the refusal aggregate rather than written one audit row each.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RefusalAggregator } from '../audit/refusal-aggregator.ts';
import { AUDIT } from '../audit/actions.ts';
import type { AuditInput } from '../repositories/audit.repository.ts';

const MAX_TRACKED = 50_000;

function hasToken(req: FastifyRequest): boolean {
  if (/^Bearer\s+\S/i.test(req.headers.authorization ?? '')) return true;
  const q = req.url.indexOf('?');
  return q >= 0 && /(?:^|&)token=[^&]/i.test(req.url.slice(q + 1));
}

export function limitAnonymousMedia(app: FastifyInstance, opts: { perMinute: number; refusals: RefusalAggregator; audit: (row: AuditInput) => void; now?: () => number }): void {
  const windows = new Map<string, { start: number; n: number }>();
  const now = opts.now ?? Date.now;
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/media/') || hasToken(req)) return;
    const t = now();
    let w = windows.get(req.ip);
    if (!w || t - w.start >= 60_000) {
      // Bounded memory: a sweep of many addresses resets the table rather than growing it.
      if (!w && windows.size >= MAX_TRACKED) windows.clear();
      w = { start: t, n: 0 };
      windows.set(req.ip, w);
    }
    w.n++;
    if (w.n <= opts.perMinute) return;
    const path = req.url.split('?')[0]!.slice(0, 200);
    const first = opts.refusals.note({ ip: req.ip, path, code: 'rate_limited' }, { action: AUDIT.liveRefused, outcome: 'deny', reason: 'rate_limited', details: { ip: req.ip, code: 'rate_limited' } });
    if (first) opts.audit(first);
    return reply
      .code(429)
      .header('retry-after', String(Math.ceil((w.start + 60_000 - t) / 1000)))
      .send({ error: { code: 'rate_limited', message: 'too many requests without a token from this address; slow down' } });
  });
}
