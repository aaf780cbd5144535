import { stripDashes, toBytes } from './bytes.js';
import { precedenceKeyOfBytes } from './compare.js';
import { LiteralStore } from './literals.js';
import type { MatchMode } from './match.js';
import { before, earlier, firstWithPriority, withRecord, withoutRecord, type RowRecord } from './records.js';
import { patternSteps } from './tokens.js';
import { PatternTrie, collectSubtree, subtreeBest, walk, type PatternEntry, type TrieNode, type TrieVisitor } from './trie.js';

export type { MatchMode } from './match.js';

/** One row a dialled string hits, as `candidates` reports it. */
export interface DialplanCandidate<R> {
  readonly row: R;
  /** The extension (pattern or literal) that matched, as stored in the row. */
  readonly exten: string;
  readonly priority: number;
  readonly isPattern: boolean;
  /** 1 = match, 2 = early match (the pattern reached a `!`). */
  readonly result: 1 | 2;
}

export interface BestOptions {
  /**
   * The static dialplan ends a MATCHMORE search with "no" as soon as the first extension that
   * matches (in precedence order, any priority) is an early match (`!`). Default true; false
   * treats an early match as an ordinary "yes", as pbx_realtime does.
   */
  readonly earlyMatchEndsMatchmore?: boolean;
}

interface ContextIndex<R> {
  readonly literals: LiteralStore<R>;
  readonly trie: PatternTrie<R>;
  /** By exten string as stored. */
  readonly patterns: Map<string, PatternEntry<R>>;
  /** By precedence key: the patterns a dialled `_...` string equals (MATCH's pattern-vs-pattern rule). */
  readonly byKey: Map<string, PatternEntry<R>[]>;
  /** Pattern rows in precedence order, rebuilt after a change. */
  ordered: RowRecord<R>[] | null;
  rows: number;
}

const UNDERSCORE = 0x5f;

/**
 * The rows of a realtime `extensions` family, indexed per context for dialplan lookups with
 * the static dialplan's precedence: extensions sorted by `compareExtensions` (literals first),
 * and the first one that matches the dialled string in the requested mode *and has the
 * requested priority* wins. (pbx_realtime itself orders patterns differently, see the protocol
 * reference §3.2; this index is what lets the server answer the way a static dialplan would.)
 *
 * A row is any object with `context`, `exten` and `priority` (number or decimal string); it is
 * stored as given and handed back as is. Rows are identified by (context, exten, priority) with
 * `exten` taken literally: adding the same triple again replaces the row in place. Extensions
 * that compare equal (`_NXX`, `_[2-9]XX`) are the same extension to Asterisk; here their rows
 * keep the order they were added in.
 *
 * Contexts are case-sensitive here; caller ID is not considered (pbx_realtime never passes it).
 */
export class DialplanIndex<R extends object = Record<string, string>> {
  private readonly contexts = new Map<string, ContextIndex<R>>();
  private nextSeq = 0;
  private rowCount = 0;
  private readonly bestVisitor = new BestVisitor<R>();

  /** Number of rows held. */
  get size(): number {
    return this.rowCount;
  }

  add(row: R): void {
    const { context, exten, priority } = identify(row);
    const ctx = this.contextFor(context);
    const bytes = toBytes(exten);
    if (bytes.charCodeAt(0) === UNDERSCORE) {
      let entry = ctx.patterns.get(exten);
      const existing = entry?.rows.find((r) => r.priority === priority);
      if (existing) {
        existing.row = row;
        return;
      }
      if (!entry) {
        entry = ctx.trie.insert(exten, precedenceKeyOfBytes(bytes), patternSteps(bytes.slice(1)));
        ctx.patterns.set(exten, entry);
        const same = ctx.byKey.get(entry.key);
        ctx.byKey.set(entry.key, same ? same.concat([entry]) : [entry]);
      }
      entry.rows = withRecord(entry.rows, { row, exten, priority, seq: this.nextSeq++, key: entry.key });
      ctx.trie.changed(entry.node);
      ctx.ordered = null;
    } else {
      const stripped = stripDashes(bytes);
      const existing = ctx.literals.find(stripped, exten, priority);
      if (existing) {
        existing.row = row;
        return;
      }
      ctx.literals.add(stripped, { row, exten, priority, seq: this.nextSeq++, key: precedenceKeyOfBytes(bytes) });
    }
    ctx.rows++;
    this.rowCount++;
  }

  /** Remove the row with exactly this exten string and priority; returns it, or null. */
  remove(context: string, exten: string, priority: number | string): R | null {
    const ctx = this.contexts.get(context);
    if (!ctx) return null;
    const prio = toPriority(priority);
    const bytes = toBytes(exten);
    let removed: RowRecord<R> | null = null;
    if (bytes.charCodeAt(0) === UNDERSCORE) {
      const entry = ctx.patterns.get(exten);
      removed = entry?.rows.find((r) => r.priority === prio) ?? null;
      if (!entry || !removed) return null;
      entry.rows = withoutRecord(entry.rows, removed);
      if (entry.rows.length === 0) {
        ctx.trie.remove(entry);
        ctx.patterns.delete(exten);
        const rest = ctx.byKey.get(entry.key)!.filter((e) => e !== entry);
        if (rest.length) ctx.byKey.set(entry.key, rest);
        else ctx.byKey.delete(entry.key);
      } else {
        ctx.trie.changed(entry.node);
      }
      ctx.ordered = null;
    } else {
      const stripped = stripDashes(bytes);
      removed = ctx.literals.find(stripped, exten, prio);
      if (!removed) return null;
      ctx.literals.delete(stripped, removed);
    }
    ctx.rows--;
    this.rowCount--;
    if (ctx.rows === 0) this.contexts.delete(context);
    return removed.row;
  }

  clear(): void {
    this.contexts.clear();
    this.rowCount = 0;
    this.nextSeq = 0;
  }

  /** Swap in a whole new set of rows (e.g. after a reload); order of `rows` breaks ties. */
  replaceAll(rows: Iterable<R>): void {
    this.clear();
    for (const row of rows) this.add(row);
  }

  /**
   * The row Asterisk's static dialplan would run for `dialled` at `priority` in `context`, or
   * null. Literal rows win over patterns.
   */
  best(context: string, dialled: string, priority: number, mode: MatchMode, options?: BestOptions): R | null {
    const ctx = this.contexts.get(context);
    if (!ctx) return null;
    const bytes = toBytes(dialled);
    const data = stripDashes(bytes);
    const literal = ctx.literals.best(data, priority, mode);
    if (literal) return literal.row;
    if (ctx.patterns.size === 0) return null;

    const v = this.bestVisitor;
    v.reset(priority);
    walk(ctx.trie.root, data, mode, v);
    if (mode === 'match' && bytes.charCodeAt(0) === UNDERSCORE) {
      const same = ctx.byKey.get(precedenceKeyOfBytes(bytes));
      if (same) for (const entry of same) v.hit(entry, 1);
    }
    const best = v.best;
    const bang = v.bang;
    v.reset(0);
    if (mode === 'matchmore' && bang && (options?.earlyMatchEndsMatchmore ?? true) && (!best || !before(best, bang))) return null;
    return best ? best.row : null;
  }

  /**
   * Every row that `dialled` hits in `mode`, in precedence order (literals first), optionally
   * only those with `priority`: what `best` chose from, for explaining a decision.
   */
  candidates(context: string, dialled: string, priority: number | undefined, mode: MatchMode): DialplanCandidate<R>[] {
    const ctx = this.contexts.get(context);
    if (!ctx) return [];
    const bytes = toBytes(dialled);
    const data = stripDashes(bytes);
    const out: DialplanCandidate<R>[] = [];
    for (const group of ctx.literals.matching(data, mode)) {
      for (const rec of group.rows) {
        if (priority === undefined || rec.priority === priority) out.push(candidate(rec, false, 1));
      }
    }

    const v = new CollectVisitor<R>();
    walk(ctx.trie.root, data, mode, v);
    if (mode === 'match' && bytes.charCodeAt(0) === UNDERSCORE) {
      // Compared as patterns first, so this answer (1) overrides an early match.
      for (const entry of ctx.byKey.get(precedenceKeyOfBytes(bytes)) ?? []) v.found.set(entry, 1);
    }
    const hits: { rec: RowRecord<R>; result: 1 | 2 }[] = [];
    for (const [entry, result] of v.found) {
      for (const rec of entry.rows) if (priority === undefined || rec.priority === priority) hits.push({ rec, result });
    }
    hits.sort((a, b) => (before(a.rec, b.rec) ? -1 : 1));
    for (const { rec, result } of hits) out.push(candidate(rec, true, result));
    return out;
  }

  /** Pattern rows of `context` in precedence order, optionally only those with `priority`. */
  patternsInOrder(context: string, priority?: number): R[] {
    const ctx = this.contexts.get(context);
    if (!ctx) return [];
    if (!ctx.ordered) {
      const all: RowRecord<R>[] = [];
      for (const entry of ctx.patterns.values()) all.push(...entry.rows);
      all.sort((a, b) => (before(a, b) ? -1 : 1));
      ctx.ordered = all;
    }
    const out: R[] = [];
    for (const rec of ctx.ordered) if (priority === undefined || rec.priority === priority) out.push(rec.row);
    return out;
  }

  private contextFor(context: string): ContextIndex<R> {
    let ctx = this.contexts.get(context);
    if (!ctx) {
      ctx = { literals: new LiteralStore<R>(), trie: new PatternTrie<R>(), patterns: new Map(), byKey: new Map(), ordered: null, rows: 0 };
      this.contexts.set(context, ctx);
    }
    return ctx;
  }
}

/** Keeps the earliest row with the wanted priority, and the earliest early-match row of any priority. */
class BestVisitor<R> implements TrieVisitor<R> {
  priority = 0;
  best: RowRecord<R> | null = null;
  bang: RowRecord<R> | null = null;

  reset(priority: number): void {
    this.priority = priority;
    this.best = null;
    this.bang = null;
  }

  hit(entry: PatternEntry<R>, result: 1 | 2): void {
    const rec = firstWithPriority(entry.rows, this.priority);
    if (rec && (!this.best || before(rec, this.best))) this.best = rec;
    if (result === 2) this.bang = earlier(this.bang, entry.rows[0] ?? null);
  }

  subtree(node: TrieNode<R>): void {
    const rec = subtreeBest(node, this.priority);
    if (rec && (!this.best || before(rec, this.best))) this.best = rec;
  }
}

class CollectVisitor<R> implements TrieVisitor<R> {
  readonly found = new Map<PatternEntry<R>, 1 | 2>();

  hit(entry: PatternEntry<R>, result: 1 | 2): void {
    this.found.set(entry, result);
  }

  subtree(node: TrieNode<R>): void {
    const entries: PatternEntry<R>[] = [];
    collectSubtree(node, entries);
    for (const entry of entries) this.found.set(entry, 1);
  }
}

function candidate<R>(rec: RowRecord<R>, isPattern: boolean, result: 1 | 2): DialplanCandidate<R> {
  return { row: rec.row, exten: rec.exten, priority: rec.priority, isPattern, result };
}

function identify(row: object): { context: string; exten: string; priority: number } {
  const fields = row as Record<string, unknown>;
  const context = fields['context'];
  const exten = fields['exten'];
  if (typeof context !== 'string') throw new TypeError('dialplan row without a string "context"');
  if (typeof exten !== 'string') throw new TypeError('dialplan row without a string "exten"');
  return { context, exten, priority: toPriority(fields['priority']) };
}

const INTEGER = /^\s*[+-]?\d+\s*$/;

/** pbx_realtime asks for integer priorities only (no `n`, no labels, no hints). */
function toPriority(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && INTEGER.test(value)) return Number(value);
  throw new TypeError(`dialplan row priority must be an integer, got ${JSON.stringify(value)}`);
}
