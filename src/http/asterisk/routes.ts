import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '../../realtime/errors.js';
import type { RealtimeInterface } from '../../realtime/types.js';
import { answerError, asteriskSurface, OPS, TEXT, type Op } from './answer.js';
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

export interface AsteriskRoutesOptions {
  /** the realtime interface as Asterisk sees it (with the realtime switch in front, when served) */
  realtime: RealtimeInterface;
}

export async function asteriskRoutes(app: FastifyInstance, opts: AsteriskRoutesOptions): Promise<void> {
  const { realtime } = opts;
  app.surfaces.claim(app.prefix, asteriskSurface);
  app.decorateRequest('realtimeOp', undefined);
  app.decorateRequest('realtimeFamily', undefined);

  // Asterisk sends form bodies; anything else is read as the same text, never as JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error, req, reply) => answerError(err, req, reply));
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
        const row = await realtime.single(family, filters);
        return reply.type(TEXT).send(row ? `${encodeRow(row)}\n` : '');
      }
      case 'multi': {
        const filters = toFilters(decodeForm(body));
        return reply.type(TEXT).send(encodeRows(await realtime.multi(family, filters)));
      }
      case 'update': {
        const query = rawQuery(req);
        let lookup;
        let fields;
        if (query.startsWith('&')) {
          // update2: both lists glued; the table's column names split them.
          const columns = await realtime.columns(family);
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
