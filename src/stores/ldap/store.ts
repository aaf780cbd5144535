import { randomUUID } from 'node:crypto';
import { Attribute, Change, type Entry, type SearchOptions } from 'ldapts';
import { defaultAttributeSyntaxes } from '../../../schemas/ldap/names.js';
import type { Condition } from '../../realtime/columns.js';
import { toAssignments, toConditions } from '../../realtime/columns.js';
import { WriteRejected } from '../../realtime/errors.js';
import type { Logger } from '../../realtime/realtime.js';
import type { Field, Filter, LiveColumn, RealtimeStore, Row, StaticEntry, StoreReader, StoreTransaction, TableInfo } from '../../realtime/types.js';
import { isTextKind } from '../../realtime/values.js';
import { decodeChunks, encodeChunk, isExtendedField } from '../../realtime/chunks.js';
import { ALREADY_EXISTS, Directory, NO_SUCH_OBJECT, resultCode, values } from './directory.js';
import { containerChain, firstRdn, rdnString, splitDn } from './dn.js';
import { and, canonicalInteger, compileCondition, render, type AttrCaps, type Compiled, type Node } from './filter.js';
import { Mappings, type TableMapping } from './mapping.js';
import type { LdapOptions } from './options.js';
import { compareStored } from './order.js';
import { LdapTransaction } from './transaction.js';

/**
 * The realtime interface on an LDAP directory (ldapts). Rows are entries, columns attributes
 * (mapping.ts), conditions filters (filter.ts); the column checks are the realtime layer's own
 * (toConditions/toAssignments), so a value is refused here exactly as on SQL.
 *
 *  - single/multi: one subtree search below the base DN; multi sorts by the first lookup
 *    column, ties by primary key, as the SQL stores do.
 *  - store: adds `<rdn>,<container>,<base>`; a missing `ou=` container is created. Column
 *    defaults and auto-increment ids are filled in as the SQL tables would.
 *  - update: modifies every matching entry (NULL deletes the attribute); an update that changes
 *    the naming column renames the entry.
 *  - destroy: deletes every matching entry.
 *  - static: entries of the file, commented ones left out, in res_config_ldap's order.
 * LDAP has no transactions: a write that fails half-way through several entries reports the
 * failure, the entries already changed stay changed.
 */
export class LdapStore implements RealtimeStore {
  readonly kind = 'ldap' as const;
  private readonly dir: Directory;
  private readonly described = new Map<string, { caps: Map<string, AttrCaps>; info: TableInfo }>();

  constructor(
    readonly name: string,
    readonly options: LdapOptions,
    private readonly mappings: Mappings,
    private readonly log?: Logger,
  ) {
    this.dir = new Directory(name, options);
  }

  /**
   * The family's columns that the mapping expresses and, once the directory's subschema is known,
   * that the directory defines: a column whose attribute the schema lacks is missing, as a
   * column missing from a SQL table (update skips it, `ara check` reports it).
   */
  async describe(table: string, refresh = false): Promise<TableInfo | null> {
    if (refresh) this.dir.forgetSchema();
    const m = this.mappings.get(table);
    if (!m) return null;
    const caps = await this.dir.capabilities();
    if (caps.size === 0) return m.info;
    const cached = this.described.get(m.table);
    if (cached && cached.caps === caps) return cached.info;
    const columns = m.info.columns.filter((c) => caps.has(m.attrOf.get(c.name)!.toLowerCase()));
    const info = columns.length === m.info.columns.length ? m.info : { table: m.info.table, columns, byName: new Map(columns.map((c) => [c.name, c])) };
    this.described.set(m.table, { caps, info });
    return info;
  }

  async single(table: TableInfo, filters: readonly Filter[]): Promise<Row | null> {
    const m = this.mapping(table);
    const [entry] = await this.find(m, toConditions(table, filters), this.readAttributes(m, table), 1);
    return entry ? this.toRow(m, table, entry) : null;
  }

  async multi(table: TableInfo, filters: readonly Filter[]): Promise<Row[]> {
    const m = this.mapping(table);
    const conds = toConditions(table, filters);
    const entries = await this.find(m, conds, this.readAttributes(m, table));
    // The SQL stores order by the first lookup column, then the primary key; so do we.
    const first = conds[0]!.column;
    const keys = [first, ...(m.def?.primaryKey ?? []).filter((c) => c !== first.name).map((c) => table.byName.get(c)).filter((c): c is LiveColumn => !!c)];
    const sorted = entries
      .map((e, i) => ({ e, i }))
      .sort((a, b) => {
        for (const c of keys) {
          const attr = m.attrOf.get(c.name)!;
          const r = compareStored(c, values(a.e, attr)[0], values(b.e, attr)[0]);
          if (r !== 0) return r;
        }
        return a.i - b.i;
      });
    return sorted.map(({ e }) => this.toRow(m, table, e));
  }

  /** `lists`: columns whose value is several values joined with `;`, each encoded already (the write side's lists). */
  async update(table: TableInfo, filters: readonly Filter[], fields: readonly Field[], lists?: ReadonlySet<string>): Promise<number> {
    const m = this.mapping(table);
    const conds = toConditions(table, filters);
    const sets = toAssignments(table, fields);
    const caps = await this.caps();
    const writes = sets.map((a) => {
      const attr = m.attrOf.get(a.column.name)!;
      return { column: a.column, attr, value: lists?.has(a.column.name) ? a.value : this.stored(a.column, a.value, caps(attr)) };
    });
    this.requireKnown(m, writes.map((w) => w.attr), caps);
    const naming = this.namingAttributes(m);
    const entries = await this.find(m, conds, []);
    let count = 0;
    for (const entry of entries) {
      let dn = entry.dn;
      // Renaming: a new value for an attribute of the entry's RDN moves the entry first.
      const rdn = firstRdn(dn);
      let renamed = false;
      for (const w of writes) {
        if (w.value === null || !naming.some((n) => n.column === w.column.name)) continue;
        const attr = naming.find((n) => n.column === w.column.name)!.attr;
        const pair = rdn.find((p) => p.attr.toLowerCase() === attr.toLowerCase());
        if (pair && pair.value !== w.value) {
          pair.value = w.value;
          renamed = true;
        }
      }
      if (renamed) {
        const newRdn = rdnString(rdn);
        const parent = splitDn(dn).slice(1).join(',');
        await this.write(`rename ${dn}`, (c) => c.modifyDN(dn, newRdn));
        dn = parent ? `${newRdn},${parent}` : newRdn;
      }
      const changes = writes.map((w) => new Change({ operation: 'replace', modification: new Attribute({ type: w.attr, values: w.value === null ? [] : [w.value] }) }));
      if (changes.length > 0) await this.write(`modify ${dn}`, (c) => c.modify(dn, changes), count);
      count++;
    }
    return count;
  }

  async store(table: TableInfo, fields: readonly Field[]): Promise<number> {
    await this.add(table, fields);
    return 1;
  }

  /** Adds one entry; answers the values generated for auto-increment columns. `lists` as for update. */
  async add(table: TableInfo, fields: readonly Field[], lists?: ReadonlySet<string>): Promise<ReadonlyMap<string, string>> {
    const m = this.mapping(table);
    const sets = toAssignments(table, fields);
    const caps = await this.caps();
    if (m.objectClasses.length === 0) {
      throw new WriteRejected(`database '${this.name}': the mapping of ${m.table} names no objectClass for new entries`);
    }
    // column -> value as given (for lookups) and as stored
    const given = new Map<string, string>();
    const stored = new Map<string, string>();
    const generated = new Set<string>();
    const put = (c: LiveColumn, raw: string) => {
      const v = lists?.has(c.name) ? raw : this.stored(c, raw, caps(m.attrOf.get(c.name)!));
      if (v === null) return;
      given.set(c.name, raw);
      stored.set(c.name, v);
    };
    for (const a of sets) if (a.value !== null) put(a.column, a.value);
    const named = new Set(sets.map((a) => a.column.name));
    for (const c of table.columns) {
      if (named.has(c.name)) continue;
      const dflt = m.def?.columns[c.name]?.default;
      if (c.autoIncrement) {
        generated.add(c.name);
        put(c, nextId());
      } else if (dflt !== undefined) {
        put(c, String(dflt));
      } else if (!c.nullable) {
        throw new WriteRejected(`database '${this.name}' refused the write: ${m.table}.${c.name} needs a value`);
      }
    }
    this.requireKnown(m, [...stored.keys()].map((c) => m.attrOf.get(c)!), caps);
    await this.checkUnique(m, table, given, generated);

    const build = () => {
      const attrs = new Map<string, { name: string; values: string[] }>();
      const add = (name: string, v: string) => {
        const k = name.toLowerCase();
        const have = attrs.get(k);
        if (!have) attrs.set(k, { name, values: [v] });
        else if (!have.values.includes(v)) have.values.push(v);
      };
      for (const oc of m.objectClasses) add('objectClass', oc);
      for (const [col, v] of stored) add(m.attrOf.get(col)!, v);
      let pairs: { attr: string; value: string }[];
      if (m.rdn.length === 0) {
        pairs = [{ attr: m.rdnAttribute ?? 'cn', value: randomUUID() }];
      } else if (m.rdnAttribute) {
        const v = stored.get(m.rdn[0]!);
        if (v === undefined) throw new WriteRejected(`database '${this.name}' refused the write: ${m.table}.${m.rdn[0]} names the entry and needs a value`);
        pairs = [{ attr: m.rdnAttribute, value: v }];
      } else {
        pairs = m.rdn.map((col) => {
          const v = stored.get(col);
          if (v === undefined) throw new WriteRejected(`database '${this.name}' refused the write: ${m.table}.${col} names the entry and needs a value`);
          return { attr: m.attrOf.get(col)!, value: v };
        });
      }
      for (const p of pairs) add(p.attr, p.value);
      const rdn = rdnString(pairs);
      const dn = [rdn, m.container, this.options.baseDN].filter(Boolean).join(',');
      const record: Record<string, string[]> = {};
      for (const a of attrs.values()) record[a.name] = a.values;
      return { dn, record };
    };

    let containersMade = false;
    for (let attempt = 0; ; attempt++) {
      const { dn, record } = build();
      try {
        await this.write(`add ${dn}`, (c) => c.add(dn, record));
        return new Map([...generated].map((col) => [col, given.get(col)!]));
      } catch (err) {
        const code = resultCode(err);
        if (code === NO_SUCH_OBJECT && !containersMade) {
          containersMade = true;
          await this.makeContainers(m);
          continue;
        }
        if (code === ALREADY_EXISTS && (generated.size > 0 || m.rdn.length === 0) && attempt < 5) {
          for (const col of generated) put(table.byName.get(col)!, nextId());
          continue;
        }
        if (code === ALREADY_EXISTS) throw new WriteRejected(`database '${this.name}' refused the write: ${dn} already exists`, { cause: err });
        throw err;
      }
    }
  }

  async destroy(table: TableInfo, filters: readonly Filter[]): Promise<number> {
    const m = this.mapping(table);
    const entries = await this.find(m, toConditions(table, filters), []);
    let count = 0;
    for (const e of entries) {
      await this.write(`delete ${e.dn}`, (c) => c.del(e.dn), count);
      count++;
    }
    return count;
  }

  async staticFile(table: TableInfo, file: string): Promise<StaticEntry[]> {
    const m = this.mapping(table);
    const attr = (col: string) => (table.byName.has(col) ? m.attrOf.get(col) : undefined);
    const need = ['filename', 'category', 'var_name', 'var_val'].filter((c) => !attr(c));
    if (need.length > 0) throw new Error(`database '${this.name}': table ${m.table} maps no ${need.join(', ')}: it cannot hold static configuration`);
    const entries = await this.find(m, toConditions(table, [{ column: 'filename', op: '=', value: file }]), this.readAttributes(m, table));
    const one = (e: Entry, col: string) => {
      const a = attr(col);
      return a ? this.decoded(col, values(e, a)) : [];
    };
    const rows: { cat: number; cm: string; category: string; vm: number; vmText: string; id: bigint; name: string; vals: string[]; i: number }[] = [];
    entries.forEach((e, i) => {
      if (isCommented(one(e, 'commented')[0])) return;
      const category = one(e, 'category')[0];
      const name = one(e, 'var_name')[0];
      const vals = one(e, 'var_val');
      if (category === undefined || name === undefined || vals.length === 0) {
        this.log?.warn({ database: this.name, dn: e.dn, file }, 'static entry without category, var_name or var_val: left out');
        return;
      }
      const cm = one(e, 'cat_metric')[0] ?? '0';
      const vmText = one(e, 'var_metric')[0] ?? '0';
      const idText = one(e, 'id')[0];
      rows.push({ cat: atoi(cm), cm, category, vm: atoi(vmText), vmText, id: /^-?\d+$/.test(idText ?? '') ? BigInt(idText!) : 0n, name, vals, i });
    });
    // res_config_ldap: cat_metric ascending, then category name, then var_metric.
    const dir = this.options.staticOrder === 'desc' ? -1 : 1;
    rows.sort((a, b) => (a.cat - b.cat) * dir || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0) || a.vm - b.vm || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || a.i - b.i);
    return rows.flatMap((r) => r.vals.map((v) => ({ category: r.category, cat_metric: r.cm, var_metric: r.vmText, var_name: r.name, var_val: v })));
  }

  /** Every entry matching the filters (none: every entry of the table), as rows, unordered. */
  async rows(table: TableInfo, filters: readonly Filter[]): Promise<Row[]> {
    const m = this.mapping(table);
    const entries = await this.find(m, toConditions(table, filters), this.readAttributes(m, table));
    return entries.map((e) => this.toRow(m, table, e));
  }

  get staticOrder(): 'asc' | 'desc' {
    return this.options.staticOrder;
  }

  /** Audit, history and outbox rows need tables; a directory keeps them in ara's SQL database. */
  readonly holdsOwnTables = false;

  reader(): StoreReader {
    return new LdapTransaction(this);
  }

  /** See transaction.ts: one entry at a time, no rollback. */
  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return fn(new LdapTransaction(this));
  }

  /** The directory answers, the bind works and the base DN exists. */
  async ping(): Promise<void> {
    await this.dir.read(async (c) => {
      try {
        await c.search(this.options.baseDN, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
      } catch (err) {
        if (resultCode(err) === NO_SUCH_OBJECT) throw new Error(`the base DN ${this.options.baseDN} does not exist`, { cause: err });
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.dir.close();
  }

  // ---------------------------------------------------------------- internals

  private mapping(table: TableInfo): TableMapping {
    const m = this.mappings.get(table.table);
    if (!m) throw new Error(`LDAP store '${this.name}': no mapping for ${table.table}`);
    return m;
  }

  /** What a filter may do with each attribute: the directory's subschema, else the bundled schema's rules. */
  private async caps(): Promise<(attr: string) => AttrCaps> {
    const discovered = await this.dir.capabilities();
    if (discovered.size > 0) return (attr) => discovered.get(attr.toLowerCase()) ?? UNKNOWN;
    return (attr) => BUILTIN.get(attr.toLowerCase()) ?? GENERIC;
  }

  private requireKnown(m: TableMapping, attrs: readonly string[], caps: (a: string) => AttrCaps): void {
    const missing = attrs.filter((a) => !caps(a).known);
    if (missing.length > 0) {
      throw new WriteRejected(`database '${this.name}': the directory's schema has no attribute ${missing.join(', ')} (table ${m.table}; load schemas/ldap/asterisk.schema or fix the mapping)`);
    }
  }

  private readAttributes(m: TableMapping, table: TableInfo): string[] {
    return table.columns.map((c) => m.attrOf.get(c.name)!);
  }

  /** The attributes that name an entry, with the column each one holds. */
  private namingAttributes(m: TableMapping): { attr: string; column: string }[] {
    if (m.rdn.length === 0) return [];
    if (m.rdnAttribute) return [{ attr: m.rdnAttribute, column: m.rdn[0]! }];
    return m.rdn.map((c) => ({ attr: m.attrOf.get(c)!, column: c }));
  }

  /** Entries matching every condition; `attributes` are read (plus what post-filters need). */
  private async find(m: TableMapping, conds: readonly Condition[], attributes: readonly string[], limit?: number): Promise<Entry[]> {
    const caps = await this.caps();
    const compiled: Compiled[] = conds.map((c) => {
      const attr = m.attrOf.get(c.column.name)!;
      return compileCondition(c, attr, caps(attr), (v) => this.encode(c.column, v));
    });
    const node: Node = and(...m.filters.map((text): Node => ({ t: 'raw', text })), ...compiled.map((c) => c.node));
    if (node.t === 'none') return [];
    const posts = compiled.filter((c) => c.post);
    const wanted = [...new Set([...attributes, ...posts.map((p) => p.attr)])];
    const options: SearchOptions = { scope: 'sub', filter: render(node), attributes: wanted.length > 0 ? wanted : ['1.1'] };
    if (limit !== undefined && posts.length === 0) options.sizeLimit = limit;
    else if (this.options.pageSize > 0) options.paged = { pageSize: this.options.pageSize };
    let entries = await this.dir.search(this.options.baseDN, options);
    if (posts.length > 0) entries = entries.filter((e) => posts.every((p) => p.post!(values(e, p.attr))));
    return limit !== undefined ? entries.slice(0, limit) : entries;
  }

  /** SQL's UNIQUE and PRIMARY KEY: LDAP only keeps names unique within one container. */
  private async checkUnique(m: TableMapping, table: TableInfo, given: ReadonlyMap<string, string>, generated: ReadonlySet<string>): Promise<void> {
    const def = m.def;
    if (!def) return;
    const sets = [...def.unique, ...(def.primaryKey.length > 0 ? [def.primaryKey] : [])];
    const seen = new Set<string>();
    for (const set of sets) {
      const key = [...set].sort().join('+');
      if (seen.has(key)) continue;
      seen.add(key);
      if (set.some((c) => generated.has(c) || !given.has(c) || !table.byName.has(c))) continue;
      const conds = toConditions(table, set.map((c) => ({ column: c, op: '=' as const, value: given.get(c)! })));
      const [hit] = await this.find(m, conds, [], 1);
      if (hit) {
        throw new WriteRejected(`database '${this.name}' refused the write: ${m.table} already has ${set.map((c) => `${c}=${given.get(c)}`).join(', ')} (${hit.dn})`);
      }
    }
  }

  private async makeContainers(m: TableMapping): Promise<void> {
    for (const level of containerChain(m.container, this.options.baseDN)) {
      if (level.attr.toLowerCase() !== 'ou') {
        throw new WriteRejected(`database '${this.name}': container ${level.dn} does not exist (ara-server creates ou= containers only)`);
      }
      try {
        await this.write(`add ${level.dn}`, (c) => c.add(level.dn, { objectClass: ['organizationalUnit'], ou: [level.value] }));
      } catch (err) {
        if (resultCode(err) === ALREADY_EXISTS) continue;
        if (resultCode(err) === NO_SUCH_OBJECT) {
          throw new WriteRejected(`database '${this.name}': the base DN ${this.options.baseDN} does not exist`, { cause: err });
        }
        throw err;
      }
    }
  }

  private async write<T>(what: string, fn: (c: import('ldapts').Client) => Promise<T>, done?: number): Promise<T> {
    try {
      return await this.dir.write(fn);
    } catch (err) {
      if (done && err instanceof WriteRejected) {
        throw new WriteRejected(`${err.message} (${what}; ${done} entries were already changed)`, { cause: err });
      }
      throw err;
    }
  }

  /** The text as stored: the SQL drivers' `;`/`^XX` convention on text columns, unless turned off. */
  encode(c: LiveColumn, v: string): string {
    return this.options.chunks && isTextKind(c) && !isExtendedField(c.name) ? encodeChunk(v) : v;
  }

  /** A value as written to an attribute; null deletes it (also '' where the syntax has no empty value, as res_config_ldap does). */
  private stored(c: LiveColumn, value: string | null, caps: AttrCaps): string | null {
    if (value === null) return null;
    if (caps.integer && /^[+-]?\d+$/.test(value)) return canonicalInteger(value);
    if (value === '' && !caps.emptyAllowed) return null;
    return this.encode(c, value);
  }

  private decoded(column: string, raw: readonly string[]): string[] {
    let vs = [...raw];
    if (this.options.chunks && !isExtendedField(column)) {
      vs = vs.flatMap((v) => {
        const d = decodeChunks(v);
        return Array.isArray(d) ? d : [d];
      });
    }
    // res_config_ldap hands md5secret on without a leading {md5}.
    if (column === 'md5secret') vs = vs.map((v) => v.replace(/^\{md5\}/i, ''));
    return vs;
  }

  private toRow(m: TableMapping, table: TableInfo, e: Entry): Row {
    const row: Row = {};
    for (const c of table.columns) {
      const vs = this.decoded(c.name, values(e, m.attrOf.get(c.name)!));
      if (vs.length === 0) continue;
      row[c.name] = vs.length === 1 ? vs[0]! : vs;
    }
    return row;
  }
}

const INT_CAPS: AttrCaps = { known: true, equality: true, integer: true, ordering: true, substr: false, ignoreCase: false, emptyAllowed: false };
const TEXT_CAPS: AttrCaps = { known: true, equality: true, integer: false, ordering: true, substr: true, ignoreCase: false, emptyAllowed: true };
/** An attribute of unknown rules: the usual directoryString with caseIgnoreMatch. */
const GENERIC: AttrCaps = { known: true, equality: true, integer: false, ordering: false, substr: true, ignoreCase: true, emptyAllowed: false };
/** Not in the directory's schema: filters on it are Undefined, writes are refused. */
const UNKNOWN: AttrCaps = { ...GENERIC, known: false };

const BUILTIN = new Map<string, AttrCaps>(
  [...defaultAttributeSyntaxes()].map(([name, a]) => [name.toLowerCase(), a.syntax === 'integer' ? INT_CAPS : TEXT_CAPS]),
);
for (const name of ['cn', 'uid', 'ou', 'mail', 'description']) BUILTIN.set(name, GENERIC);

/** Increasing ids for auto-increment columns (a directory has no sequences): milliseconds x 1000, unique in this process. */
let lastId = 0n;
function nextId(): string {
  const now = BigInt(Date.now()) * 1000n;
  lastId = now > lastId ? now : lastId + 1n;
  return lastId.toString();
}

function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

function isCommented(v: string | undefined): boolean {
  if (v === undefined) return false;
  const t = v.trim();
  if (/^[+-]?\d+$/.test(t)) return Number(t) !== 0;
  return /^(true|yes|on|y|t)$/i.test(t);
}
