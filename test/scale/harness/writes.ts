/**
 * The writes the scale tests send, each with what counts as acknowledged, and a check of the
 * database afterwards. Three kinds, as Asterisk and an operator write:
 *   - store:  POST /realtime/sippeers/store        acknowledged by `1`
 *   - update: POST /realtime/sippeers/update?name= acknowledged by a count >= 1
 *   - api:    POST /api/v1/families/sippeers       acknowledged by 201
 * Anything else (-1, 0, another status, a connection error, a timeout) is not acknowledged.
 */
import knexFactory from 'knex';

export type WriteKind = 'store' | 'update' | 'api';

export interface WriteResult {
  i: number;
  kind: WriteKind;
  /** the sippeers row written */
  name: string;
  /** the value written into its `context` column */
  context: string;
  acknowledged: boolean;
  /** what came back: `200 1`, `503 -1`, `fetch failed: ECONNRESET`, ... */
  answer: string;
  /** ms since the loop started, when the request was sent and when its answer (or error) came */
  sentAt: number;
  doneAt: number;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The rows `update` writes change: created before the load. */
export function updateTarget(i: number): string {
  return `upd${i}`;
}

export function kindOf(i: number): WriteKind {
  return (['store', 'update', 'api'] as const)[i % 3]!;
}

/** Sends write number i to base (an instance or the load balancer). Never throws. */
export async function sendWrite(base: string, i: number, token: string, t0: number, timeoutMs = 10_000): Promise<WriteResult> {
  const kind = kindOf(i);
  const context = `ctx${i}`;
  const name = kind === 'update' ? updateTarget(i) : `${kind}${i}`;
  const sentAt = performance.now() - t0;
  let acknowledged = false;
  let answer: string;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    if (kind === 'store') {
      const r = await fetch(`${base}/realtime/sippeers/store`, { method: 'POST', headers: FORM, body: `name=${name}&context=${context}&type=friend`, signal });
      const body = await r.text();
      answer = `${r.status} ${brief(body)}`;
      acknowledged = body === '1\n';
    } else if (kind === 'update') {
      const r = await fetch(`${base}/realtime/sippeers/update?name=${name}`, { method: 'POST', headers: FORM, body: `context=${context}`, signal });
      const body = await r.text();
      answer = `${r.status} ${brief(body)}`;
      acknowledged = /^[1-9]\d*\n$/.test(body);
    } else {
      const r = await fetch(`${base}/api/v1/families/sippeers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, context, type: 'friend' }),
        signal,
      });
      await r.arrayBuffer();
      answer = `${r.status}`;
      acknowledged = r.status === 201;
    }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    answer = `${e.name === 'TimeoutError' ? 'timeout' : e.message}${e.cause?.code ? `: ${e.cause.code}` : ''}`;
  }
  return { i, kind, name, context, acknowledged, answer, sentAt, doneAt: performance.now() - t0 };
}

/** The start of an answer, on one line: haproxy's own error pages are HTML. */
function brief(body: string): string {
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The `update` rows, created straight in the database before the load. */
export async function seedUpdateTargets(url: string, count: number): Promise<void> {
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    const rows = [];
    for (let i = 0; i < count; i++) if (kindOf(i) === 'update') rows.push({ name: updateTarget(i), context: 'before', type: 'friend' });
    await db('sippeers').insert(rows);
  } finally {
    await db.destroy();
  }
}

/** name => context of every sippeers row, read straight from the database. */
export async function rowsInDatabase(url: string): Promise<Map<string, string | null>> {
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    const rows = (await db('sippeers').select('name', 'context')) as { name: string; context: string | null }[];
    return new Map(rows.map((r) => [r.name, r.context]));
  } finally {
    await db.destroy();
  }
}

/** The acknowledged writes the database does not hold (name and value): must be none. */
export function lostWrites(results: WriteResult[], rows: Map<string, string | null>): WriteResult[] {
  return results.filter((r) => r.acknowledged && rows.get(r.name) !== r.context);
}
