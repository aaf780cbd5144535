import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessCheck } from '../http/access.js';
import { isLoopback } from '../http/access.js';
import { problemHandler } from '../http/problem.js';
import type { Realtime } from '../realtime/realtime.js';
import type { RealtimeStore } from '../realtime/types.js';
import type { Metrics } from './metrics.js';

export { Metrics } from './metrics.js';

export interface HealthOptions {
  realtime: Realtime;
  metrics: Metrics;
  /** the Asterisk surface's check: its credentials open these routes to other hosts */
  access: AccessCheck;
  /** how long a store may take to answer a readiness ping, ms */
  pingTimeoutMs?: number;
}

interface StoreHealth {
  kind: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * `/healthz` (the process answers), `/readyz` (every store of every family answers; 503 when a
 * family has no working store) and `/metrics` (Prometheus text). Open to loopback clients and
 * to whoever holds the Asterisk surface's credentials.
 */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  const { realtime, metrics } = opts;
  metrics.watch(realtime);

  app.addHook('onRequest', async (req) => {
    if (!isLoopbackClient(req)) opts.access(req);
  });
  app.setErrorHandler(problemHandler);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const stores = new Map<RealtimeStore, Promise<StoreHealth>>();
    const families: Record<string, { ok: boolean; stores: string[] }> = {};
    for (const { name, target } of realtime.registry.allTargets()) {
      if (!stores.has(target.store)) stores.set(target.store, ping(target.store, opts.pingTimeoutMs ?? 5000));
      const f = (families[name] ??= { ok: false, stores: [] });
      if (!f.stores.includes(target.store.name)) f.stores.push(target.store.name);
    }
    const byName: Record<string, StoreHealth> = {};
    for (const [store, p] of stores) byName[store.name] = await p;
    let ready = true;
    for (const f of Object.values(families)) {
      f.ok = f.stores.some((s) => byName[s]?.ok);
      if (!f.ok) ready = false;
    }
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', stores: byName, families });
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

async function ping(store: RealtimeStore, timeoutMs: number): Promise<StoreHealth> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return { kind: store.kind, ok: true, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    return { kind: store.kind, ok: false, ms: Math.round(performance.now() - t0), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

function isLoopbackClient(req: FastifyRequest): boolean {
  const ip = req.socket.remoteAddress ?? '';
  return isLoopback(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
}
