import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { familyDef } from '../../../../schemas/index.js';
import type { Filter } from '../../../realtime/types.js';
import { mappedName } from '../families/model.js';
import { ValidationFailed, type FieldError } from '../problem.js';
import { pathParam } from '../validation.js';
import type { ApiContext } from '../route.js';
import { valueSchema } from '../schemas.js';
import { familyPlace, type Place, type Reader, type Resource } from '../tx.js';

/**
 * Dialplan extensions of the `extensions` family: all priorities of one `context/exten` as an
 * ordered list, replaced atomically; a context listed in Asterisk's precedence order (the
 * pattern engine's `ext_cmp`), the order in which a lookup tries its extensions.
 */

export interface Priority {
  priority: number;
  app: string;
  appdata: string;
}

/** What the routes of this resource share; null when its families are not mapped. */
export function dialplanModel(ctx: ApiContext) {
  const def = familyDef('extensions')!;
  const mapped = mappedName(ctx, def);
  if (!mapped) return null;
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
  return { def, mapped, api, c, contextSchema, extenSchema, priorityOut, extension, priorityIn, replaceBody, extRef, contextOut, place, contextParam, params, names, filters, resource, priorities };
}

export type DialplanModel = NonNullable<ReturnType<typeof dialplanModel>>;

/** Priorities as given, or numbered 1, 2, 3... when none names one; each used once. */
export function numbered(list: readonly { priority?: number | undefined; app: string; appdata: string }[]): Priority[] {
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
