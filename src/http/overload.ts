import type { FastifyInstance } from 'fastify';
import { RealtimeError } from '../realtime/errors.js';

/** More requests at once than the process will queue: answered at once, in the surface's form. */
export class Overloaded extends RealtimeError {
  readonly code = 'overloaded';
  readonly status = 503;
  constructor(readonly limit: number) {
    super(`more than ${limit} requests in flight; refused at once rather than queued`);
  }
}

/** Paths that must answer while the process is busy: probes that decide whether to restart it. */
const EXEMPT = /^\/(healthz|readyz|metrics)(\?|$)/;

/**
 * A bounded number of requests in flight. Beyond it a request is refused before any work, so a
 * stalled database or a burst cannot pile up memory and latency: Asterisk gets its 503 (an
 * empty read, `-1` for a write) at once instead of after every queue has filled.
 */
export function limitInflight(app: FastifyInstance, max: number, onRefused?: () => void): { readonly inflight: number } {
  let inflight = 0;
  let lastLog = 0;
  app.addHook('onRequest', async (req, reply) => {
    if (EXEMPT.test(req.raw.url ?? '')) return;
    if (inflight >= max) {
      onRefused?.();
      const now = Date.now();
      // One line a second at most: under overload the log must not become the next bottleneck.
      if (now - lastLog > 1000) {
        lastLog = now;
        req.log.warn({ inflight, limit: max }, 'overloaded: refusing requests beyond max_inflight');
      }
      throw new Overloaded(max);
    }
    inflight++;
    reply.raw.once('close', () => inflight--);
  });
  return {
    get inflight() {
      return inflight;
    },
  };
}
