import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, RealtimeError } from '../../realtime/errors.js';
import type { DialplanSwitch } from '../../dialplan/switch.js';
import type { Realtime } from '../../realtime/realtime.js';
import {
  bodyText, decodeForm, decodeGlued, encodeCount, encodeRow, encodeRows, encodeStatic,
  percentDecode, toFields, toFilters, toRequirements,
} from './codec.js';

/**
 * The Asterisk surface: `POST <base>/<family>/{single,multi,update,store,destroy,require}` and
 * `GET <base>/static?file=`. Asterisk ignores HTTP statuses and parses any body as data, so every
 * answer is shaped for it: a read that fails is an empty body, a write that fails is `-1`; the
 * status says what happened for those who configure `failurecodes`.
 */

type Op = 'single' | 'multi' | 'update' | 'store' | 'destroy' | 'require' | 'static';
const READS = new Set<Op>(['single', 'multi', 'static']);
const OPS = new Set<string>(['single', 'multi', 'update', 'store', 'destroy', 'require', 'static']);

declare module 'fastify' {
  interface FastifyRequest {
    realtimeOp?: Op;
    realtimeFamily?: string;
  }
}

export interface AsteriskRoutesOptions {
  realtime: Realtime;
  /** the realtime switch (issue 5): resolves pbx_realtime's lookups on dialplan families */
  dialplan?: DialplanSwitch;
}

export async function asteriskRoutes(app: FastifyInstance, opts: AsteriskRoutesOptions): Promise<void> {
  const { realtime, dialplan } = opts;

  // Asterisk sends form bodies; anything else is read as the same text, never as JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError | RealtimeError, req, reply) => answerError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    req.log.warn({ url: req.url }, 'no realtime route for this URL');
    return reply.code(404).type(TEXT).send('');
  });

  app.post('/*', async (req, reply) => {
    const { family, op } = route(req);
    const body = Buffer.isBuffer(req.body) ? bodyText(req.body) : '';
    switch (op) {
      case 'single': {
        const filters = toFilters(decodeForm(body));
        // --- realtime switch hook (issue 5): pbx_realtime's lookups on a dialplan family are
        // resolved with the static dialplan's rules; anything else falls through unchanged.
        if (dialplan !== undefined && dialplan.resolves(family)) {
          const resolved = await dialplan.single(family, filters);
          if (resolved !== undefined) return reply.type(TEXT).send(resolved ? `${encodeRow(resolved)}\n` : '');
        }
        // --- end of hook
        const row = await realtime.single(family, filters);
        return reply.type(TEXT).send(row ? `${encodeRow(row)}\n` : '');
      }
      case 'multi': {
        const filters = toFilters(decodeForm(body));
        // --- realtime switch hook (issue 5): pbx_realtime's pattern download, in precedence order.
        if (dialplan !== undefined && dialplan.resolves(family)) {
          const rows = await dialplan.multi(family, filters);
          if (rows !== undefined) return reply.type(TEXT).send(encodeRows(rows));
        }
        // --- end of hook
        return reply.type(TEXT).send(encodeRows(await realtime.multi(family, filters)));
      }
      case 'update': {
        const query = rawQuery(req);
        let lookup;
        let fields;
        if (query.startsWith('&')) {
          // update2: both lists glued; the table's column names split them.
          const columns = await columnNames(realtime, family);
          lookup = toFilters(decodeGlued(query, columns));
          fields = toFields(decodeGlued(body, columns));
        } else {
          lookup = toFilters(decodeForm(query));
          fields = toFields(decodeForm(body));
        }
        return reply.type(TEXT).send(encodeCount(await realtime.update(family, lookup, fields)));
      }
      case 'store':
        return reply.type(TEXT).send(encodeCount(await realtime.store(family, toFields(decodeForm(body)))));
      case 'destroy':
        return reply.type(TEXT).send(encodeCount(await realtime.destroy(family, toFilters(decodeForm(body)))));
      case 'require': {
        const problems = await realtime.require(family, toRequirements(decodeForm(body)));
        return reply.type(TEXT).send(problems.length === 0 ? '0\n' : '-1\n');
      }
      case 'static':
        return serveStatic(req, reply);
    }
  });

  app.get('/*', async (req, reply) => {
    const { op } = route(req);
    if (op !== 'static') return reply.code(405).type(TEXT).send('');
    return serveStatic(req, reply);
  });

  async function serveStatic(req: FastifyRequest, reply: FastifyReply) {
    const file = decodeForm(rawQuery(req)).find(([k]) => k === 'file')?.[1];
    if (!file) throw new BadRequest('static needs ?file=<name>');
    return reply.type(TEXT).send(encodeStatic(await realtime.staticFile(file)));
  }
}

const TEXT = 'text/plain; charset=utf-8';

/** The last path segment is the operation; the one before it names the family. */
function route(req: FastifyRequest): { family: string; op: Op } {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const segments = path.split('/').filter(Boolean);
  const last = segments[segments.length - 1] ?? '';
  if (!OPS.has(last)) {
    req.realtimeOp = 'single';
    throw new BadRequest(`unknown realtime operation '${last}' in ${path}`);
  }
  const op = last as Op;
  req.realtimeOp = op;
  const family = op === 'static' ? '' : percentDecode(segments[segments.length - 2] ?? '');
  if (op !== 'static' && (segments.length < 3 || family === '')) {
    throw new BadRequest(`no family in ${path}`);
  }
  req.realtimeFamily = family;
  return { family, op };
}

function rawQuery(req: FastifyRequest): string {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

async function columnNames(realtime: Realtime, family: string): Promise<string[]> {
  const [first] = realtime.registry.targets(family);
  const info = first ? await first.store.describe(first.table) : null;
  return info ? info.columns.map((c) => c.name) : [];
}

/**
 * The one place errors become Asterisk answers: the precise reason goes to the log, the wire
 * gets what Asterisk can live with. Also used for errors Fastify raises before routing (a URL
 * that does not decode), so they never reach Asterisk as a JSON body it would read as a row.
 */
export function answerError(err: FastifyError | RealtimeError, req: FastifyRequest, reply: FastifyReply) {
  const op = req.realtimeOp ?? opFromUrl(req.raw.url ?? '');
  const status = err instanceof RealtimeError ? err.status : (err as FastifyError).statusCode ?? 500;
  const known = err instanceof RealtimeError || status < 500;
  const entry = { op, family: req.realtimeFamily, status, code: (err as { code?: string }).code, err: err.message };
  // Overload is logged by the limiter, once a second, not once per refused request.
  if (entry.code !== 'overloaded') {
    if (!known) req.log.error({ ...entry, stack: err.stack }, 'realtime request failed');
    else if (status >= 500) req.log.error(entry, 'realtime request failed');
    else req.log.warn(entry, 'realtime request refused');
  }
  const body = op && !READS.has(op) ? '-1\n' : '';
  return reply.code(status).type(TEXT).send(body);
}

/** For errors raised before routing (body too large, bad content): classify by the URL alone. */
function opFromUrl(url: string): Op | undefined {
  const path = url.split('?')[0] ?? '';
  const last = path.split('/').filter(Boolean).pop() ?? '';
  return OPS.has(last) ? (last as Op) : undefined;
}
