import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Row } from '../../../realtime/types.js';
import { mappedName, representation } from '../families/model.js';
import { ValidationFailed, type FieldError } from '../problem.js';
import { type Actor, type ApiContext } from '../route.js';
import { keyParam } from '../validation.js';
import { deleteRow, keyFilter, readRow, replaceRow } from '../rows.js';
import { keySchema } from '../schemas.js';
import { defs, example, lineCreate, lineIn, lineOut, linePatch, md5, partSchemas as s } from './schemas.js';
import { familyPlace, sameStore, type Place, type Reader, type Resource, type Tx } from '../tx.js';

/**
 * A PJSIP line: the endpoint, its AOR and its inbound auth (and optionally an identify), all
 * named by the line's id, changed together in one transaction. The endpoint's `aors` and
 * `auth` are filled in; `compute_md5_cred` stores md5(username:realm:password) as `md5_cred`
 * with auth_type md5 instead of the password itself.
 */

export interface LineParts {
  endpoint: Place;
  aor: Place;
  auth: Place;
  identify: Place | undefined;
}

/** What the routes of this resource share; null when its families are not mapped. */
export function lineModel(ctx: ApiContext) {
  const mapped = {
    endpoint: mappedName(ctx, defs.endpoint),
    aor: mappedName(ctx, defs.aor),
    auth: mappedName(ctx, defs.auth),
    identify: mappedName(ctx, defs.identify),
  };
  if (!mapped.endpoint || !mapped.aor || !mapped.auth) return null;
  const api = ctx.openapi;
  api.tag('pjsip', 'PJSIP lines: endpoint + AOR + auth (+ identify), one transaction');

  const lineRef = api.component('PjsipLine', lineOut);
  const idParam = keySchema(defs.endpoint);

  const places = async (): Promise<LineParts> => {
    const p: LineParts = {
      endpoint: await familyPlace(ctx.realtime, mapped.endpoint!),
      aor: await familyPlace(ctx.realtime, mapped.aor!),
      auth: await familyPlace(ctx.realtime, mapped.auth!),
      identify: mapped.identify ? await familyPlace(ctx.realtime, mapped.identify) : undefined,
    };
    sameStore([p.endpoint, p.aor, p.auth, ...(p.identify ? [p.identify] : [])], 'a PJSIP line');
    return p;
  };
  const lineId = (req: FastifyRequest) => (req.params as { id: string }).id;
  const params = z.object({ id: keyParam('the line id: the id of its endpoint, AOR, auth and identify', idParam) });

  /** The line as stored, or null when its endpoint does not exist. */
  const readLine = async (tx: Reader, p: LineParts, id: string, lock: boolean) => {
    const endpoint = await readRow(tx, p.endpoint, keyFilter(defs.endpoint, id), lock);
    if (!endpoint) return null;
    return {
      endpoint,
      aor: await readRow(tx, p.aor, keyFilter(defs.aor, id), lock),
      auth: await readRow(tx, p.auth, keyFilter(defs.auth, id), lock),
      identify: p.identify ? await readRow(tx, p.identify, keyFilter(defs.identify, id), lock) : null,
    };
  };
  type Stored = NonNullable<Awaited<ReturnType<typeof readLine>>>;
  /** The line as its writes see it (writeResource). */
  const resource = (p: LineParts, id: string, secrets: boolean): Resource<Stored> => ({
    store: p.endpoint.store,
    read: (tx, lock) => readLine(tx, p, id, lock),
    show: (line) => show(p, id, line, secrets),
    location: `${ctx.prefix}/pjsip/lines/${encodeURIComponent(id)}`,
  });
  const show = (p: LineParts, id: string, line: Stored, secrets: boolean) => {
    const part = (pl: Place, row: Row | null, drop: string[]) => {
      if (!row) return null;
      const j = representation(pl, row, secrets);
      for (const d of drop) delete j[d];
      return j;
    };
    return {
      id,
      endpoint: part(p.endpoint, line.endpoint, ['id'])!,
      aor: part(p.aor, line.aor, ['id']),
      auth: part(p.auth, line.auth, ['id']),
      ...(line.identify && p.identify ? { identify: part(p.identify, line.identify, ['id', 'endpoint'])! } : {}),
    };
  };

  /** Writes the parts of a line (PUT or POST); missing rows are created. */
  const writeLine = async (tx: Tx, p: LineParts, id: string, body: z.infer<typeof lineIn>, actor: Actor) => {
    const errors: FieldError[] = [];
    crossRef(errors, body.endpoint, 'aors', id);
    crossRef(errors, body.endpoint, 'auth', id);
    const auth = authRow(errors, id, body.auth);
    if (body.identify && !p.identify) errors.push({ field: 'identify', rule: 'not_mapped', message: 'ps_endpoint_id_ips is not mapped in extconfig.conf' });
    if (errors.length > 0) throw new ValidationFailed(errors);
    await replaceRow(tx, p.endpoint, id, { ...body.endpoint, aors: id, auth: id }, actor);
    await replaceRow(tx, p.aor, id, body.aor, actor);
    await replaceRow(tx, p.auth, id, auth, actor);
    if (p.identify) {
      if (body.identify) await replaceRow(tx, p.identify, id, { ...body.identify, endpoint: id }, actor);
      else await deleteRow(tx, p.identify, id, actor, true);
    }
  };
  return { defs, mapped, api, s, md5, lineOut, example, lineIn, lineCreate, linePatch, lineRef, idParam, places, lineId, params, readLine, resource, show, writeLine };
}

export type LineModel = NonNullable<ReturnType<typeof lineModel>>;

/** The endpoint's own references must name the line's AOR and auth, when given at all. */
export function crossRef(errors: FieldError[], endpoint: Record<string, unknown>, col: 'aors' | 'auth', id: string): void {
  const v = endpoint[col];
  if (v === undefined || v === null) return;
  if ((Array.isArray(v) ? v.join(',') : String(v)) !== id) {
    errors.push({ field: `endpoint.${col}`, rule: 'cross_reference', message: `a line's endpoint uses its own ${col === 'aors' ? 'AOR' : 'auth'} '${id}'; leave ${col} out` });
  }
}

/**
 * The auth row to write: username defaults to the line id; with compute_md5_cred the digest
 * replaces the password, which is then not stored at all.
 */
export function authRow(errors: FieldError[], id: string, auth: Record<string, unknown> & { compute_md5_cred?: boolean | undefined }, current?: Row | null): Record<string, unknown> {
  const { compute_md5_cred: compute, ...row } = auth;
  if (current === undefined && row.username === undefined) row.username = id;
  if (!compute) return row;
  const username = row.username ?? current?.username;
  const realm = row.realm ?? current?.realm;
  if (typeof row.password !== 'string' || row.password === '') errors.push({ field: 'auth.password', rule: 'required_for_md5', message: 'compute_md5_cred needs the password in the same request' });
  if (typeof realm !== 'string' || realm === '') errors.push({ field: 'auth.realm', rule: 'required_for_md5', message: 'compute_md5_cred needs the realm the digest is for' });
  if (typeof username !== 'string' || username === '') errors.push({ field: 'auth.username', rule: 'required_for_md5', message: 'compute_md5_cred needs a username' });
  if (errors.length > 0) return row;
  row.md5_cred = createHash('md5').update(`${String(username)}:${String(realm)}:${String(row.password)}`).digest('hex');
  row.auth_type = 'md5';
  row.password = null;
  return row;
}
