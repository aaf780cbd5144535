import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AUDIT_TABLE, readAudit, type AuditQuery, type AuditRecord } from '../../audit/audit.js';
import type { RealtimeStore } from '../../realtime/types.js';
import { sendTagged } from './etag.js';
import { BadParameter } from './problem.js';
import { queryDate, queryInt } from './validation.js';
import { route, type ApiContext } from './route.js';

/**
 * `GET /audit`: the change history, newest first, from every database the API writes to
 * (each keeps the audit rows of its own changes). Pages are keyset pages over
 * (at desc, database, id desc).
 */

const entry = z.object({
  id: z.int(),
  database: z.string(),
  at: z.string().describe('ISO 8601, UTC'),
  token_id: z.string().nullable().describe('the API token that made the change'),
  family: z.string(),
  key: z.string(),
  operation: z.enum(['create', 'replace', 'update', 'delete']),
  resource: z.string().describe('the API path the change was made through'),
  request_id: z.string().nullable(),
  before: z.unknown().describe('the row (or resource) before, secrets masked; null when created'),
  after: z.unknown().describe('after, secrets masked; null when deleted'),
});

interface Cursor {
  at: string;
  db: string;
  id: number;
}

export async function auditRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.openapi;
  api.tag('audit', 'Who changed what, when: every change made through the API, written in the same transaction as the change');
  api.component('AuditEntry', entry);
  const page = api.component('AuditPage', z.object({ items: z.array(entry), next_cursor: z.string().nullable() }));

  route(app, ctx, {
    method: 'GET', url: '/audit', operationId: 'listAudit', tag: 'audit',
    summary: 'The audit log, newest first',
    query: z.strictObject({
      family: z.string().optional().describe('only this family (ast_config for config files)'),
      key: z.string().optional().describe('only this row key (context/exten for dialplan extensions, the file name for config files)'),
      token: z.string().optional().describe('only changes made with this token id'),
      since: queryDate('ISO 8601: entries at or after'),
      until: queryDate('ISO 8601: entries before'),
      limit: queryInt('entries per page (default 100)', 1, 1000),
      cursor: z.string().optional().describe('next_cursor of the previous page'),
    }),
    responses: { 200: { description: 'one page', schema: page } },
    handler: async (req, reply) => {
      const query = req.query as Partial<Record<'family' | 'key' | 'token' | 'since' | 'until' | 'limit' | 'cursor', string>>;
      const q: AuditQuery = {};
      if (query.family !== undefined) q.family = query.family;
      if (query.key !== undefined) q.key = query.key;
      if (query.token !== undefined) q.tokenId = query.token;
      if (query.since !== undefined) q.since = new Date(query.since).toISOString();
      if (query.until !== undefined) q.until = new Date(query.until).toISOString();
      const limit = query.limit !== undefined ? Number(query.limit) : 100;
      const cursor = query.cursor !== undefined ? decode(query.cursor) : undefined;
      if (query.cursor !== undefined && !cursor) throw new BadParameter([{ field: 'query.cursor', rule: 'cursor', message: 'not a cursor of the audit log' }]);

      const found: (AuditRecord & { database: string })[] = [];
      for (const store of await auditStores(ctx)) {
        const after = !cursor ? undefined
          : store.name === cursor.db ? { at: cursor.at, id: cursor.id }
          : store.name > cursor.db ? { at: cursor.at, id: Number.MAX_SAFE_INTEGER }
          : { at: cursor.at, id: -1 };
        for (const r of await readAudit((table, query) => ctx.realtime.readOwn(store, table, query), q, limit + 1, after)) found.push({ ...r, database: store.name });
      }
      found.sort((a, b) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.database !== b.database ? (a.database < b.database ? -1 : 1) : b.id - a.id));
      const items = found.slice(0, limit);
      const last = items[items.length - 1];
      const next = found.length > limit && last ? Buffer.from(JSON.stringify({ at: last.at, db: last.database, id: last.id })).toString('base64url') : null;
      return sendTagged(req, reply, 200, {
        items: items.map((r) => ({ id: r.id, database: r.database, at: r.at, token_id: r.token_id, family: r.family, key: r.key, operation: r.operation, resource: r.resource, request_id: r.request_id, before: r.before, after: r.after })),
        next_cursor: next,
      });
    },
  });
}

/** The databases that keep ara's own tables and have the audit table. */
async function auditStores(ctx: ApiContext): Promise<RealtimeStore[]> {
  const out: RealtimeStore[] = [];
  for (const s of ctx.realtime.ownStores()) if (await s.describe(AUDIT_TABLE)) out.push(s);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function decode(c: string): Cursor | undefined {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof v.at === 'string' && typeof v.db === 'string' && typeof v.id === 'number') return v as Cursor;
  } catch {
    // not ours
  }
  return undefined;
}
