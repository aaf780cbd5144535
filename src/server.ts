import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Settings } from './config/settings.js';
import { tokenStoreFor } from './auth/tokens.js';
import { accessCheck } from './http/access.js';
import { buildApp } from './http/app.js';
import { Metrics } from './health/index.js';
import { openRuntime, type Runtime } from './runtime.js';
import { startRetention } from './history/retention.js';
import { DEFAULT_PUSH_OPTIONS, PushService } from './push/service.js';
import { EventChangeLog } from './push/event-log.js';
import { registerPushMetrics } from './push/metrics.js';
import { ChangeFollower, DEFAULT_FOLLOWER_OPTIONS } from './coherence/follower.js';
import { invalidatingSink } from './coherence/invalidate.js';

export interface RunningServer {
  app: FastifyInstance;
  runtime: Runtime;
  /** keeps the [nodes] of ara.conf in step; also prunes the change log when there are none */
  push: PushService;
  /** reads the databases' change logs for writes made through other instances (off: undefined) */
  follower: ChangeFollower | undefined;
  url: string;
  close(): Promise<void>;
  /**
   * Stops accepting, lets requests in flight finish for up to `timeoutMs`, then cuts the rest
   * off and closes the pools; true when nothing had to be cut off.
   */
  drain(timeoutMs: number): Promise<boolean>;
}

export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/** Opens the stores, builds the app and listens; everything a `serve` needs, nothing more. */
export async function startServer(settings: Settings, logger = pino({ level: settings.logLevel })): Promise<RunningServer> {
  const { host, port } = splitListen(settings.listen);
  // Refuse an exposed, unauthenticated surface before opening anything.
  const access = accessCheck(host, settings.asterisk);
  const metrics = new Metrics();
  const runtime = await openRuntime(settings, logger, { observer: metrics });
  let app: FastifyInstance | undefined;
  // Stores without a change log of their own (LDAP) are pushed from ara's own writes.
  const unlogged = new Set([...runtime.stores.values()].filter((s) => s.kind === 'ldap').map((s) => s.name));
  const eventLog = unlogged.size > 0 && (settings.nodes ?? []).length > 0 ? new EventChangeLog(runtime.realtime.changes, unlogged) : undefined;
  const push = new PushService(settings.nodes ?? [], [...runtime.changeLogs, ...(eventLog ? [eventLog] : [])], runtime.realtime, logger, { ...DEFAULT_PUSH_OPTIONS, ...(settings.push ? { leaseMs: settings.push.leaseMs } : {}) });
  registerPushMetrics(metrics.registry, push);
  // Other instances' writes reach this one's caches through the databases' change logs.
  const coherence = settings.coherence ?? { follow: true, pollMs: DEFAULT_FOLLOWER_OPTIONS.pollMs };
  const follower = coherence.follow
    ? new ChangeFollower(runtime.changeLogs, invalidatingSink(runtime.realtime), logger, { ...DEFAULT_FOLLOWER_OPTIONS, pollMs: coherence.pollMs })
    : undefined;
  try {
    await follower?.start();
    // The realtime switch: load the dialplan indexes before answering (a store that is down is
    // logged; the first dialplan lookup tries the load again).
    await runtime.dialplan.start();
    app = await buildApp({ realtime: runtime.realtime, metrics, dialplan: runtime.dialplan, access, bodyLimit: settings.bodyLimit, ...limits(settings), logger, api: { tokens: tokenStoreFor(runtime.stores), nodes: push } });
    await app.listen({ host, port });
    await push.start();
  } catch (err) {
    await follower?.stop();
    await push.stop();
    eventLog?.close();
    await app?.close();
    await runtime.close();
    throw err;
  }
  const addr = app.server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  logger.info({ url, families: runtime.registry.families().length, config: settings.source }, 'ara-server listening');
  const retention = startRetention(runtime.stores.values(), settings.history?.retentionDays ?? 0, logger);
  return {
    app,
    runtime,
    push,
    follower,
    url,
    close: async () => {
      retention.stop();
      await follower?.stop();
      await push.stop();
      eventLog?.close();
      await app.close();
      await runtime.close();
    },
    drain: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      // Deliveries in flight finish too, so the cursors record what the nodes took.
      const clean = await Promise.race([Promise.all([app.close(), push.stop()]).then(() => true as const), deadline]);
      clearTimeout(timer);
      if (!clean) {
        logger.warn({ timeoutMs }, 'shutdown_timeout reached: cutting off the requests still in flight');
        app.server.closeAllConnections();
      }
      await follower?.stop();
      eventLog?.close();
      await runtime.close();
      return clean;
    },
  };
}

function limits(s: Settings): { requestTimeoutMs?: number; maxInflight?: number } {
  return {
    ...(s.requestTimeout !== undefined ? { requestTimeoutMs: s.requestTimeout * 1000 } : {}),
    ...(s.maxInflight !== undefined ? { maxInflight: s.maxInflight } : {}),
  };
}
