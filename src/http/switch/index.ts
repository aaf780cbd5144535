import type { FastifyInstance } from 'fastify';
import { MATCH_MODES, type DialplanSwitch, type MatchMode } from '../../dialplan/switch.js';
import { BadRequest } from '../../realtime/errors.js';
import { notFoundProblem, problemHandler, ProblemError } from '../problem.js';

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

  app.setErrorHandler(problemHandler);
  app.setNotFoundHandler(notFoundProblem);

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
      if (!PRIORITY.test(priorityText)) throw new BadRequest(`priority must be a positive integer, not '${priorityText}'`);
      const mode = (one('mode') ?? 'match') as MatchMode;
      if (!MATCH_MODES.includes(mode)) throw new BadRequest(`mode must be one of ${MATCH_MODES.join(', ')}, not '${mode}'`);
      const family = one('family') ?? dialplan.families()[0];
      if (family === undefined || !dialplan.has(family)) {
        throw new NotADialplan(family === undefined ? 'no family is served as a dialplan' : `'${family}' is not served as a dialplan`);
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

class NotADialplan extends ProblemError {
  readonly status = 404;
  readonly code = 'not-found';
  readonly title = 'No such resource';
}
