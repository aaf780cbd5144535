import { recordAudit } from '../../audit/audit.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { familyDef } from '../../../schemas/index.js';
import { compareExtensionsWithCallerId } from '../../dialplan/compare.js';
import type { Filter } from '../../realtime/types.js';
import { sendTagged } from './etag.js';
import { mappedName } from './families.js';
import { NotFound, ValidationFailed, type FieldError } from './problem.js';
import { pathParam } from './validation.js';
import { actorOf, auditEntry, route, type ApiContext } from './route.js';
import { valueSchema } from './schemas.js';
import { familyPlace, reader, writeResource, type Place, type Reader, type Resource } from './tx.js';

/**
 * Dialplan extensions of the `extensions` family: all priorities of one `context/exten` as an
 * ordered list, replaced atomically; a context listed in Asterisk's precedence order (the
 * pattern engine's `ext_cmp`), the order in which a lookup tries its extensions.
 */

interface Priority {
  priority: number;
  app: string;
  appdata: string;
}

export async function dialplanRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const def = familyDef('extensions')!;
  const mapped = mappedName(ctx, def);
  if (!mapped) return;
  const api = ctx.openapi;
  api.tag('dialplan', 'Dialplan extensions: every priority of context/exten, replaced atomically');

  const c = def.columns;
  const contextSchema = valueSchema(c.context!) as z.ZodType;
  const extenSchema = z.string().min(1).max(c.exten!.length ?? 40);
  const priorityOut = z.object({ priority: z.int(), app: z.string(), appdata: z.string() });
  const extension = z.object({ context: z.string(), exten: z.string(), priorities: z.array(priorityOut) });
  const priorityIn = z.strictObject({
    priority: z.int().min(1).optional().describe('1, 2, 3...; left out everywhere, the list is numbered in order'),
    app: z.string().min(1).max(c.app!.length ?? 40),
    appdata: z.string().max(c.appdata!.length ?? 256).optional().default(''),
  });
  const replaceBody = z.strictObject({ priorities: z.array(priorityIn).min(1).max(1000) })
    .meta({ examples: [{ priorities: [{ app: 'Answer' }, { app: 'Dial', appdata: 'PJSIP/${EXTEN},20' }, { app: 'Hangup' }] }] });
  const extRef = api.component('DialplanExtension', extension);
  const contextOut = api.component('DialplanContext', z.object({ context: z.string(), extensions: z.array(extension.omit({ context: true })) }));
  const place = () => familyPlace(ctx.realtime, mapped);
  const contextParam = pathParam('the dialplan context', 'format', (s) => (s !== '' && contextSchema.safeParse(s).success ? null : `a context name of at most ${c.context!.length} characters`));
  const params = z.object({
    context: contextParam,
    exten: pathParam('the extension or pattern (`_NXX`), URL-encoded', 'format', (s) => (extenSchema.safeParse(s).success ? null : `an extension of 1 to ${c.exten!.length} characters`)),
  });

  const names = (req: FastifyRequest) => {
    const { context, exten } = req.params as { context: string; exten?: string };
    return { context, exten: exten ?? '' };
  };
  const filters = (context: string, exten?: string): Filter[] => [
    { column: 'context', op: '=', value: context },
    ...(exten !== undefined ? [{ column: 'exten', op: '=' as const, value: exten }] : []),
  ];
  const resource = (p: Place, context: string, exten: string): Resource<Priority[]> => ({
    store: p.store,
    read: async (tx, lock) => {
      const list = await priorities(tx, p, context, exten, lock);
      return list.length > 0 ? list : null;
    },
    show: (list) => ({ context, exten, priorities: list }),
  });
  const priorities = async (tx: Reader, p: Place, context: string, exten: string, lock: boolean): Promise<Priority[]> =>
    (await tx.select(p, filters(context, exten), { order: [{ column: 'priority' }], lock })).map((raw) => {
      const r = tx.row(p, raw);
      return { priority: Number(r.priority), app: String(r.app ?? ''), appdata: String(r.appdata ?? '') };
    });

  route(app, ctx, {
    method: 'GET', url: '/dialplan', operationId: 'listDialplanContexts', tag: 'dialplan',
    summary: 'The contexts that have extensions',
    responses: { 200: { description: 'context names', schema: api.component('DialplanContexts', z.object({ contexts: z.array(z.string()) })) } },
    handler: async (req, reply) => {
      const p = await place();
      return sendTagged(req, reply, 200, { contexts: await reader(p.store).distinct(p, 'context') });
    },
  });

  route(app, ctx, {
    method: 'GET', url: '/dialplan/:context', operationId: 'getDialplanContext', tag: 'dialplan', params: z.object({ context: contextParam }),
    summary: 'A context, its extensions in Asterisk precedence order',
    responses: { 200: { description: 'the context; literal extensions first, then patterns from the most specific', schema: contextOut } },
    handler: async (req, reply) => {
      const { context } = names(req);
      const p = await place();
      const r = reader(p.store);
      const byExten = new Map<string, Priority[]>();
      for (const raw of await r.select(p, filters(context), { order: [{ column: 'exten' }, { column: 'priority' }] })) {
        const row = r.row(p, raw);
        const exten = String(row.exten);
        let list = byExten.get(exten);
        if (!list) byExten.set(exten, (list = []));
        list.push({ priority: Number(row.priority), app: String(row.app ?? ''), appdata: String(row.appdata ?? '') });
      }
      if (byExten.size === 0) throw new NotFound(`context '${context}' has no extensions`);
      const extens = [...byExten.keys()].sort((a, b) => compareExtensionsWithCallerId(a, b) || (a < b ? -1 : a > b ? 1 : 0));
      return sendTagged(req, reply, 200, { context, extensions: extens.map((exten) => ({ exten, priorities: byExten.get(exten)! })) });
    },
  });

  route(app, ctx, {
    method: 'GET', url: '/dialplan/:context/:exten', operationId: 'getDialplanExtension', tag: 'dialplan', params, conditional: true,
    summary: 'One extension: its priorities in order',
    responses: { 200: { description: 'the extension', schema: extRef } },
    handler: async (req, reply) => {
      const { context, exten } = names(req);
      const p = await place();
      const list = await priorities(reader(p.store), p, context, exten, false);
      if (list.length === 0) throw new NotFound(`no extension '${exten}' in context '${context}'`);
      return sendTagged(req, reply, 200, { context, exten, priorities: list });
    },
  });

  route(app, ctx, {
    method: 'PUT', url: '/dialplan/:context/:exten', operationId: 'replaceDialplanExtension', tag: 'dialplan', params, conditional: true,
    summary: 'Create or replace every priority of an extension, atomically',
    body: { schema: api.component('DialplanExtensionReplace', replaceBody) },
    responses: { 200: { description: 'replaced', schema: extRef }, 201: { description: 'created', schema: extRef } },
    handler: async (req, reply) => {
      const { context, exten } = names(req);
      const body = req.body as z.infer<typeof replaceBody>;
      const wanted = numbered(body.priorities);
      const p = await place();
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, exten), async (tx, current) => {
        await tx.delete(p, filters(context, exten));
        for (const w of wanted) await tx.insert(p, { context, exten, priority: String(w.priority), app: w.app, appdata: w.appdata });
        const after = await priorities(tx, p, context, exten, false);
        recordAudit(tx, auditEntry(actor, { family: p.family, key: `${context}/${exten}`, operation: current ? 'replace' : 'create', before: current, after }));
      });
    },
  });

  route(app, ctx, {
    method: 'DELETE', url: '/dialplan/:context/:exten', operationId: 'deleteDialplanExtension', tag: 'dialplan', params, conditional: true,
    summary: 'Delete every priority of an extension',
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const { context, exten } = names(req);
      const p = await place();
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, exten), async (tx, current) => {
        if (!current) throw new NotFound(`no extension '${exten}' in context '${context}'`);
        await tx.delete(p, filters(context, exten));
        recordAudit(tx, auditEntry(actor, { family: p.family, key: `${context}/${exten}`, operation: 'delete', before: current, after: null }));
      });
    },
  });
}

/** Priorities as given, or numbered 1, 2, 3... when none names one; each used once. */
function numbered(list: readonly { priority?: number | undefined; app: string; appdata: string }[]): Priority[] {
  const given = list.filter((x) => x.priority !== undefined).length;
  const errors: FieldError[] = [];
  if (given !== 0 && given !== list.length) {
    list.forEach((x, i) => {
      if (x.priority === undefined) errors.push({ field: `priorities[${i}].priority`, rule: 'required', message: 'give every priority a number, or none' });
    });
  }
  const seen = new Map<number, number>();
  list.forEach((x, i) => {
    if (x.priority === undefined) return;
    if (seen.has(x.priority)) errors.push({ field: `priorities[${i}].priority`, rule: 'unique', message: `priority ${x.priority} is also given at priorities[${seen.get(x.priority)}]` });
    seen.set(x.priority, i);
  });
  if (errors.length > 0) throw new ValidationFailed(errors);
  return list
    .map((x, i) => ({ priority: x.priority ?? i + 1, app: x.app, appdata: x.appdata }))
    .sort((a, b) => a.priority - b.priority);
}
