import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { MATCH_MODES, type DialplanSwitch, type MatchMode } from '../../dialplan/switch.js';
import { RealtimeError } from '../../realtime/errors.js';

/**
 * `GET /switch/<context>/<exten>?priority=N&mode=match|canmatch|matchmore[&family=F]`: which
 * row the realtime switch runs for a dialled string, the extension that won, and every
 * candidate in the static dialplan's precedence order. For people ("why did this call go
 * there"), the dialplan (`CURL()`), and other SIP servers. Registered behind the same access
 * check as `/realtime`.
 */

export interface SwitchRoutesOptions {
  dialplan: DialplanSwitch;
}

const PRIORITY = /^\d{1,9}$/;

export async function switchRoutes(app: FastifyInstance, opts: SwitchRoutesOptions): Promise<void> {
  const { dialplan } = opts;

  app.setErrorHandler((err: FastifyError | RealtimeError, req, reply) => {
    const status = err instanceof RealtimeError ? err.status : (err as FastifyError).statusCode ?? 500;
    if (status >= 500) req.log.error({ url: req.url, err: err.message }, 'switch request failed');
    return problem(reply, status, status >= 500 ? 'the dialplan could not be read' : err.message);
  });

  app.get<{ Params: { context: string; exten: string }; Querystring: Record<string, string | string[] | undefined> }>(
    '/:context/:exten',
    async (req, reply) => {
      const { context, exten } = req.params;
      const q = req.query;
      const one = (name: string) => {
        const v = q[name];
        return Array.isArray(v) ? v[v.length - 1] : v;
      };
      const priorityText = one('priority') ?? '1';
      if (!PRIORITY.test(priorityText)) return problem(reply, 400, `priority must be a positive integer, not '${priorityText}'`);
      const mode = (one('mode') ?? 'match') as MatchMode;
      if (!MATCH_MODES.includes(mode)) return problem(reply, 400, `mode must be one of ${MATCH_MODES.join(', ')}, not '${mode}'`);
      const family = one('family') ?? dialplan.families()[0];
      if (family === undefined || !dialplan.has(family)) {
        return problem(reply, 404, family === undefined ? 'no family is served as a dialplan' : `'${family}' is not served as a dialplan`);
      }
      const explained = await dialplan.explain(family, { context, exten, priority: Number(priorityText), mode });
      return reply.type('application/json; charset=utf-8').send({
        context: explained.context,
        exten: explained.exten,
        priority: explained.priority,
        mode: explained.mode,
        family: explained.family,
        winner: explained.winner,
        candidates: explained.candidates,
      });
    },
  );
}

function problem(reply: FastifyReply, status: number, title: string) {
  return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title, status });
}
