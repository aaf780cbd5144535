import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CachedStore } from '../realtime/cache.js';
import type { Realtime, RealtimeObserver } from '../realtime/realtime.js';

type Surface = 'realtime' | 'switch' | 'api' | 'health' | 'other';

/**
 * The process's Prometheus metrics, in a registry of its own (tests run several servers in one
 * process). Label values come from bounded sets only: the mapped families (anything else is
 * `other`), the operations, the surfaces, an outcome per status class, the configured stores.
 * Other parts add their own series to `registry` (e.g. the push outbox's depth and lag).
 */
export class Metrics implements RealtimeObserver {
  readonly registry = new Registry();
  private readonly families = new Set<string>();
  private readonly realtimes: Realtime[] = [];

  readonly requests = new Counter({
    name: 'ara_requests_total',
    help: 'Requests answered, by surface, family, operation and outcome (ok, refused = 4xx, failed = 5xx)',
    labelNames: ['surface', 'family', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'ara_request_duration_seconds',
    help: 'Time from request to answer, by surface and operation',
    labelNames: ['surface', 'operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly storeErrors = new Counter({
    name: 'ara_store_errors_total',
    help: 'Times a store could not answer (down, timed out, table missing), by family and store',
    labelNames: ['family', 'store'] as const,
    registers: [this.registry],
  });

  readonly failovers = new Counter({
    name: 'ara_failovers_total',
    help: 'Requests moved on to the next priority of a family because a store could not answer',
    labelNames: ['family'] as const,
    registers: [this.registry],
  });

  readonly staleAnswers = new Counter({
    name: 'ara_stale_answers_total',
    help: 'Last-known-good answers served because every store of the family failed',
    labelNames: ['family', 'operation'] as const,
    registers: [this.registry],
  });

  readonly openConnections = new Gauge({
    name: 'ara_open_connections',
    help: 'HTTP connections open now',
    registers: [this.registry],
  });

  constructor() {
    const realtimes = this.realtimes;
    // Cache counters live in the caches (an integer increment on the hot path); read on scrape.
    new Counter({
      name: 'ara_cache_hits_total',
      help: 'Read cache answers served from memory, by store',
      labelNames: ['store'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const c of caches(realtimes)) this.inc({ store: c.name }, c.hits);
      },
    });
    new Counter({
      name: 'ara_cache_misses_total',
      help: 'Read cache lookups that went to the store, by store',
      labelNames: ['store'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const c of caches(realtimes)) this.inc({ store: c.name }, c.misses);
      },
    });
    new Gauge({
      name: 'ara_last_good_entries',
      help: 'Last-known-good answers held in memory',
      registers: [this.registry],
      collect() {
        this.set(realtimes.reduce((n, r) => n + r.lastGoodSize().entries, 0));
      },
    });
    new Gauge({
      name: 'ara_last_good_bytes',
      help: 'Approximate memory held by last-known-good answers, bytes',
      registers: [this.registry],
      collect() {
        this.set(realtimes.reduce((n, r) => n + r.lastGoodSize().bytes, 0));
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'ara_' });
  }

  /** The families requests are counted under; everything else is `other`. */
  watch(realtime: Realtime): void {
    this.realtimes.push(realtime);
    for (const f of realtime.registry.families()) this.families.add(f);
  }

  family(name: string | undefined): string {
    if (name === undefined || name === '') return '';
    if (this.families.has(name)) return name;
    const lower = name.toLowerCase();
    return this.families.has(lower) ? lower : 'other';
  }

  storeError(family: string, store: string, next: boolean): void {
    const f = this.family(family);
    this.storeErrors.inc({ family: f, store });
    if (next) this.failovers.inc({ family: f });
  }

  staleServed(family: string, op: string): void {
    this.staleAnswers.inc({ family: this.family(family), operation: op });
  }

  /** Counts every answer and open connection of the app; one hook, a few map lookups. */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      const surface = surfaceOf(req.raw.url ?? '');
      const operation = operationOf(surface, req);
      const status = reply.statusCode;
      const outcome = status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed';
      this.requests.inc({ surface, family: surface === 'realtime' ? this.family(req.realtimeFamily) : '', operation, outcome });
      this.latency.observe({ surface, operation }, reply.elapsedTime / 1000);
    });
    app.server.on('connection', (socket) => {
      this.openConnections.inc();
      socket.once('close', () => this.openConnections.dec());
    });
  }
}

function* caches(realtimes: readonly Realtime[]): Generator<CachedStore> {
  const seen = new Set<CachedStore>();
  for (const r of realtimes) {
    for (const { target } of r.registry.allTargets()) {
      if (target.store instanceof CachedStore && !seen.has(target.store)) {
        seen.add(target.store);
        yield target.store;
      }
    }
  }
}

function surfaceOf(url: string): Surface {
  if (url.startsWith('/realtime')) return 'realtime';
  if (url.startsWith('/api/')) return 'api';
  if (url.startsWith('/switch')) return 'switch';
  if (/^\/(healthz|readyz|metrics|health)(\?|$)/.test(url)) return 'health';
  return 'other';
}

const API_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

function operationOf(surface: Surface, req: FastifyRequest): string {
  if (surface === 'realtime') return req.realtimeOp ?? 'unknown';
  if (surface === 'api') return API_METHODS.has(req.method) ? req.method.toLowerCase() : 'other';
  return surface === 'other' ? 'other' : (req.routeOptions.url ?? 'unknown').replace(/^\//, '') || 'unknown';
}
