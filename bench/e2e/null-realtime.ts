/**
 * The null realtime responder: res_config_curl's wire answered from in-memory maps, with no
 * database, no validation and no logging. Behind a real Asterisk it shows the most the curl path
 * can carry on this machine, the bar ara-server is held to.
 *
 *   node --import tsx bench/e2e/null-realtime.ts     prints {"url":"http://127.0.0.1:PORT"}
 *
 * Serves POST /realtime/<family>/{single,multi,store,update,destroy,require} (and an empty
 * static file) with `=`, `LIKE`, `<`, `<=`, `>`, `>=`, `!=` filters; rows keyed by `id` (or `name`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

type Row = Map<string, string>;
interface Filter {
  column: string;
  op: string;
  value: string;
}

const tables = new Map<string, Map<string, Row>>();
const table = (family: string) => {
  let t = tables.get(family);
  if (!t) tables.set(family, (t = new Map()));
  return t;
};

const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
const encode = (s: string) => encodeURIComponent(s);

function pairs(form: string): [string, string][] {
  const out: [string, string][] = [];
  for (const piece of form.split('&')) {
    if (piece === '') continue;
    const i = piece.indexOf('=');
    out.push(i === -1 ? [decode(piece), ''] : [decode(piece.slice(0, i)), decode(piece.slice(i + 1))]);
  }
  return out;
}

function filters(form: string): Filter[] {
  return pairs(form).map(([name, value]) => {
    const sp = name.indexOf(' ');
    return sp === -1 ? { column: name, op: '=', value } : { column: name.slice(0, sp), op: name.slice(sp + 1).trim().toUpperCase(), value };
  });
}

function matches(row: Row, f: Filter): boolean {
  const v = row.get(f.column);
  if (v === undefined) return false;
  switch (f.op) {
    case '=':
      return v === f.value;
    case '!=':
      return v !== f.value;
    case 'LIKE': {
      const re = new RegExp(`^${f.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');
      return re.test(v);
    }
    default: {
      const a = Number(v);
      const b = Number(f.value);
      if (f.op === '<') return a < b;
      if (f.op === '<=') return a <= b;
      if (f.op === '>') return a > b;
      if (f.op === '>=') return a >= b;
      return false;
    }
  }
}

function find(family: string, fs: Filter[]): Row[] {
  const t = table(family);
  const byKey = fs.length === 1 && fs[0]!.op === '=' && (fs[0]!.column === 'id' || fs[0]!.column === 'name') ? fs[0]!.value : undefined;
  if (byKey !== undefined) {
    const r = t.get(byKey);
    return r ? [r] : [];
  }
  return [...t.values()].filter((r) => fs.every((f) => matches(r, f)));
}

const line = (r: Row) => [...r].map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');

function answer(op: string, family: string, query: string, body: string): string {
  switch (op) {
    case 'single': {
      const r = find(family, filters(body))[0];
      return r ? `${line(r)}\n` : '';
    }
    case 'multi':
      return find(family, filters(body)).map((r) => `${line(r)}\n`).join('');
    case 'store': {
      const row: Row = new Map(pairs(body));
      const key = row.get('id') ?? row.get('name');
      if (key === undefined) return '-1\n';
      table(family).set(key, row);
      return '1\n';
    }
    case 'update': {
      const rows = find(family, filters(query));
      for (const r of rows) for (const [k, v] of pairs(body)) r.set(k, v);
      return `${rows.length}\n`;
    }
    case 'destroy': {
      const rows = find(family, filters(body));
      const t = table(family);
      for (const r of rows) t.delete(r.get('id') ?? r.get('name') ?? '');
      return `${rows.length}\n`;
    }
    case 'require':
      return '0\n';
    default:
      return '';
  }
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const parts = path.split('/');
    const text = parts[1] === 'realtime' && parts.length >= 4 ? answer(parts[3]!, parts[2]!, q === -1 ? '' : url.slice(q + 1), Buffer.concat(chunks).toString()) : '';
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

const server = createServer({ keepAliveTimeout: 60_000 }, handle);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
// Asterisk keeps its connections open: do not wait for them.
process.once('SIGTERM', () => process.exit(0));
