import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { DialplanSwitch } from '../dialplan/switch.js';
import { SwitchedRealtime } from '../dialplan/switched.js';
import type { Realtime } from '../realtime/realtime.js';
import type { AccessCheck } from './access.js';
import { managementApi, type ManagementApiOptions } from './api/index.js';
import { asteriskRoutes } from './asterisk/routes.js';
import { notFoundProblem, problemHandler, problemSurface } from './problem.js';
import { Surfaces } from './surfaces.js';
import { switchRoutes } from './switch/index.js';
import { consoleRoutes } from './console.js';
import { limitInflight } from './overload.js';
import { healthRoutes, Metrics } from '../health/index.js';

export interface AppOptions {
  realtime: Realtime;
  /** the realtime switch: resolves pbx_realtime's lookups and serves `/switch`; left out, neither */
  dialplan?: DialplanSwitch;
  access: AccessCheck;
  bodyLimit: number;
  /** whole-request deadline, ms: a body trickling in slower is cut off (408) */
  requestTimeoutMs?: number;
  /** requests in flight beyond which the answer is an immediate 503 */
  maxInflight?: number;
  logger: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
  /** the process's metrics (`/metrics`); left out, a fresh registry */
  metrics?: Metrics;
  /** the management API (`/api/v1`, `/openapi.json`, `/docs`); left out, it is not served */
  api?: Omit<ManagementApiOptions, 'realtime'>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_INFLIGHT = 512;

/** Builds the Fastify app from its plugins; starting to listen is the caller's business. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const surfaces = new Surfaces(problemSurface);
  const app = Fastify({
    ...(isLoggerInstance(opts.logger) ? { loggerInstance: opts.logger } : { logger: opts.logger ?? false }),
    bodyLimit: opts.bodyLimit,
    requestTimeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    // Node checks the deadlines every connectionsCheckingInterval (30 s by default): too coarse
    // for a slow-body client holding a connection open.
    http: {
      headersTimeout: Math.min(10_000, opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
      connectionsCheckingInterval: 1000,
    },
    // Asterisk asks thousands of times a second; a log line per request would cost more than
    // the answer. Failures are logged where they are handled.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Errors met before a route is chosen (a URL that does not decode, a request Node's HTTP
    // parser refuses) are answered in the form of the surface that claimed the path.
    frameworkErrors: (err, req, reply) => surfaces.of(req.raw.url).frameworkError(err, req, reply),
    clientErrorHandler: (err, socket) => surfaces.clientError(err, socket),
  });
  app.decorate('surfaces', surfaces);
  // Paths no plugin serves, and errors outside every plugin, are problem documents.
  app.setErrorHandler(problemHandler);
  app.setNotFoundHandler(notFoundProblem);

  app.get('/health', async () => ({ status: 'ok' }));
  const metrics = opts.metrics ?? new Metrics();
  app.decorate('metrics', metrics);
  metrics.instrument(app);
  limitInflight(app, opts.maxInflight ?? DEFAULT_MAX_INFLIGHT);
  await app.register(healthRoutes, { realtime: opts.realtime, metrics, access: opts.access });

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (req) => opts.access(req));
      // pbx_realtime's lookups on dialplan families are answered by the realtime switch.
      await asteriskRoutes(scope, { realtime: opts.dialplan ? new SwitchedRealtime(opts.realtime, opts.dialplan) : opts.realtime });
    },
    { prefix: '/realtime' },
  );
  // The switch endpoint, behind the same access check as the Asterisk surface.
  if (opts.dialplan) {
    const dialplan = opts.dialplan;
    await app.register(
      async (scope) => {
        scope.addHook('onRequest', async (req) => opts.access(req));
        await switchRoutes(scope, { dialplan });
      },
      { prefix: '/switch' },
    );
  }
  // Encapsulated: its auth hook, parsers and error handler never touch /realtime.
  if (opts.api) await app.register(managementApi, { ...opts.api, realtime: opts.realtime });
  // The web console: static files that talk to the API above with the user's token.
  if (opts.api) await app.register(consoleRoutes);
  return app;
}

function isLoggerInstance(l: unknown): l is NonNullable<FastifyServerOptions['loggerInstance']> {
  return typeof l === 'object' && l !== null && typeof (l as { child?: unknown }).child === 'function';
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus metrics: other parts add their series to `metrics.registry` */
    metrics: Metrics;
  }
}
