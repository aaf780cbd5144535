import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { familyDef } from '../../../../schemas/index.js';
import type { Filter, Row } from '../../../realtime/types.js';
import { mappedName, representation } from '../families/model.js';
import { type ApiContext } from '../route.js';
import { pathParam } from '../validation.js';
import { readRow } from '../rows.js';
import { familySchemas } from '../schemas.js';
import { familyPlace, type Place, type Resource } from '../tx.js';

/**
 * Voicemail boxes by what people call them, `context/mailbox` (the table's key is a number the
 * database gives). The PIN (`password`) is a secret: write-only without the secrets scope.
 */

/** What the routes of this resource share; null when its families are not mapped. */
export function voicemailModel(ctx: ApiContext) {
  const def = familyDef('voicemail')!;
  const mapped = mappedName(ctx, def);
  if (!mapped) return null;
  const api = ctx.openapi;
  api.tag('voicemail', 'Voicemail boxes by context and mailbox');
  const s = familySchemas(def, ['uniqueid', 'context', 'mailbox']);
  const full = familySchemas(def);
  const boxRef = api.component('VoicemailBox', full.row);
  const place = () => familyPlace(ctx.realtime, mapped);
  const cw = def.columns.context!.length!;
  const mw = def.columns.mailbox!.length!;

  const length = (max: number) => (s: string) => (s && s.length <= max ? null : `1 to ${max} characters`);
  const contextParam = pathParam('the voicemail context', 'format', length(cw));
  const params = z.object({ context: contextParam, mailbox: pathParam('the mailbox number', 'format', length(mw)) });
  const names = (req: FastifyRequest) => {
    const { context, mailbox } = req.params as { context: string; mailbox?: string };
    return { context, mailbox: mailbox ?? '' };
  };
  const box = (context: string, mailbox: string): Filter[] => [
    { column: 'context', op: '=', value: context },
    { column: 'mailbox', op: '=', value: mailbox },
  ];
  const resource = (p: Place, context: string, mailbox: string, show: boolean): Resource<Row> => ({
    store: p.store,
    read: (tx, lock) => readRow(tx, p, box(context, mailbox), lock),
    show: (row) => representation(p, row, show),
    location: `${ctx.prefix}/voicemail/${encodeURIComponent(context)}/${encodeURIComponent(mailbox)}`,
  });
  return { def, mapped, api, s, full, boxRef, place, cw, mw, length, contextParam, params, names, box, resource };
}

export type VoicemailModel = NonNullable<ReturnType<typeof voicemailModel>>;
