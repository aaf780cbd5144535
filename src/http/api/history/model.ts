import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { historyStore } from '../../../history/where.js';
import { versionWire } from '../../../history/wire.js';
import { ConfigError } from '../../../config/errors.js';
import { NotSupported } from '../problem.js';
import { pathParam } from '../validation.js';
import { type ApiContext } from '../route.js';

/**
 * `/history`: the versions of the configuration (one per API request, bulk request, import run
 * or rollback), what each changed (secrets masked), the difference between two, and rollback
 * of one as a new version.
 */

/** What the routes of this resource share; null when its families are not mapped. */
export function historyModel(ctx: ApiContext) {
  const api = ctx.openapi;
  api.tag('history', 'Versions of the configuration: who changed what, the difference between two, rollback');
  api.component('Version', versionWire);
  // the journal keeps the history of a directory's changes: it is no family's target
  const stores = () => [...new Set([...ctx.realtime.registry.allTargets().map((t) => t.target.store), ...ctx.realtime.ownStores()])];
  const store = async (req: FastifyRequest) => {
    try {
      return await historyStore(stores(), (req.query as { database?: string }).database);
    } catch (err) {
      if (err instanceof ConfigError) throw new NotSupported(err.message);
      throw err;
    }
  };
  const positive = (s: string) => (/^[1-9]\d{0,15}$/.test(s) ? null : 'a positive integer');
  const params = z.object({ version: pathParam('a version id from GET /history', 'format', positive) });
  const versionParam = (req: FastifyRequest) => Number((req.params as { version: string }).version);
  const database = z.string().optional().describe('the database whose history (default: main, else the first SQL one)');
  return { api, stores, store, positive, params, versionParam, database };
}

export type HistoryModel = NonNullable<ReturnType<typeof historyModel>>;
