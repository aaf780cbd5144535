import type { ChangeEvent, StaleEvent } from '../realtime/events.js';
import type { Logger, Realtime } from '../realtime/realtime.js';
import type { Filter, Row } from '../realtime/types.js';
import { FamilyDialplan } from './family.js';
import type { MatchMode } from './match.js';

/**
 * The realtime switch, resolved in the server (protocol reference §3.2).
 *
 * For each family served as a dialplan (`[dialplan] families`, default `extensions`) a
 * `DialplanIndex` is kept (see family.ts for how it follows the store). pbx_realtime's lookups
 * on such a family are answered with the static dialplan's rules instead of its own:
 *
 *   exten=E&priority=P&context=C              MATCH: the literal row (read from the store, always
 *                                              fresh), else the best pattern by precedence
 *   exten LIKE=E%&priority=P&context=C         CANMATCH, with the canmatch rule (pbx_realtime
 *                                              applies the matchmore rule to patterns)
 *   exten LIKE=E_%&priority=P&context=C        MATCHMORE, with the matchmore rule
 *   exten LIKE=\_%&priority=P&context=C (multi) the pattern rows, in precedence order
 *
 * Every other query on the family, and every query on a family in `[dialplan] plain`, passes
 * through unchanged. The answers are the stored rows.
 *
 * Asterisk still sends its pattern download after a single that found nothing, and applies its
 * swapped rules to what comes back: with server-side resolution, `switch =>
 * Realtime/@extensions/p` (no pattern download) gives exactly the static dialplan's answers.
 */

export interface DialplanSettings {
  /** families indexed as dialplans (lower case) */
  families: string[];
  /** of those, families whose Asterisk lookups are answered plainly (no server-side resolution) */
  plain: string[];
  /** full reload interval, seconds, for rows changed directly in the database; 0 = never */
  refreshSeconds: number;
}

export const DEFAULT_DIALPLAN_SETTINGS: DialplanSettings = { families: ['extensions'], plain: [], refreshSeconds: 5 };

export type { MatchMode };
export const MATCH_MODES: readonly MatchMode[] = ['match', 'canmatch', 'matchmore'];

export interface DialplanQuery {
  context: string;
  exten: string;
  priority: number;
  mode: MatchMode;
}

export interface DialplanCandidateInfo {
  /** the extension as stored in the row (a `_` pattern or a literal) */
  pattern: string;
  priority: number;
  /** 1 = matches, 2 = early match (the pattern reached a `!`) */
  result: 1 | 2;
  literal: boolean;
}

export interface DialplanExplanation extends DialplanQuery {
  family: string;
  winner: { pattern: string; row: Row } | null;
  /** every extension `exten` hits in `mode`, any priority, in precedence order */
  candidates: DialplanCandidateInfo[];
}

/** pbx_realtime's query shapes (reference §3.2), or null for anything else. */
export type PbxQuery = (DialplanQuery & { kind: 'lookup' }) | { kind: 'patterns'; context: string; priority: number };

export class DialplanSwitch {
  private readonly states = new Map<string, FamilyDialplan>();
  private readonly resolved = new Set<string>();
  /** family name as received -> served with resolution; one Map lookup on the hot path */
  private readonly decided = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private readonly listener = (e: ChangeEvent) => this.onChange(e);
  private readonly staleListener = (e: StaleEvent) => this.onStale(e);
  private started = false;
  readonly settings: DialplanSettings;

  constructor(
    private readonly realtime: Realtime,
    settings: DialplanSettings | undefined,
    log: Logger,
  ) {
    this.settings = settings ?? DEFAULT_DIALPLAN_SETTINGS;
    const plain = new Set(this.settings.plain.map((f) => f.toLowerCase()));
    for (const raw of this.settings.families) {
      const family = raw.toLowerCase();
      if (this.states.has(family)) continue;
      if (!realtime.registry.has(family)) {
        log.debug({ family }, 'dialplan family is not mapped in extconfig; not served as a dialplan');
        continue;
      }
      this.states.set(family, new FamilyDialplan({ family, realtime, log }));
      if (!plain.has(family)) this.resolved.add(family);
    }
  }

  /** Families indexed as dialplans, in configuration order. */
  families(): string[] {
    return [...this.states.keys()];
  }

  has(family: string): boolean {
    return this.states.has(family.toLowerCase());
  }

  /**
   * The hot-path test of the Asterisk surface: true when pbx_realtime's lookups on `family` are
   * resolved here. Families that are not dialplans pay one Map lookup.
   */
  resolves(family: string): boolean {
    const known = this.decided.get(family);
    if (known !== undefined) return known;
    const yes = this.resolved.has(family.toLowerCase());
    // Bounded: family names come from URLs.
    if (this.decided.size < 1024) this.decided.set(family, yes);
    return yes;
  }

  /**
   * Subscribes to writes, loads every family (waiting for the first load, which never throws:
   * a store that is down is logged and retried), and starts the periodic refresh.
   */
  async start(options: { periodic?: boolean } = {}): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.realtime.changes.on('change', this.listener);
    this.realtime.changes.on('stale', this.staleListener);
    await Promise.all([...this.states.values()].map((s) => s.refresh().catch(() => undefined)));
    const ms = this.settings.refreshSeconds * 1000;
    if ((options.periodic ?? true) && ms > 0) {
      this.timer = setInterval(() => {
        for (const s of this.states.values()) s.refresh().catch(() => undefined);
      }, ms);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.realtime.changes.off('change', this.listener);
    this.realtime.changes.off('stale', this.staleListener);
    for (const s of this.states.values()) s.stop();
    this.started = false;
  }

  /** A full reload of every family now (tests, tools). */
  async refresh(): Promise<void> {
    await Promise.all([...this.states.values()].map((s) => s.refresh()));
  }

  /**
   * A `single` on a resolved family: the row to answer (or null for none) when the query is one
   * of pbx_realtime's lookups, undefined when it is not and must pass through.
   */
  async single(family: string, filters: readonly Filter[]): Promise<Row | null | undefined> {
    const q = parsePbxQuery(filters);
    if (!q || q.kind !== 'lookup') return undefined;
    return this.resolve(this.state(family), q, filters);
  }

  /** A `multi` on a resolved family: pattern rows in precedence order for pbx_realtime's download. */
  async multi(family: string, filters: readonly Filter[]): Promise<Row[] | undefined> {
    const q = parsePbxQuery(filters);
    if (!q || q.kind !== 'patterns') return undefined;
    const st = this.state(family);
    await st.settle(q.context);
    return st.index.patternsInOrder(q.context, q.priority);
  }

  /** The row the static dialplan would run, as the Asterisk surface answers it. */
  async lookup(family: string, q: DialplanQuery): Promise<Row | null> {
    return this.resolve(this.state(family), q);
  }

  /** The winner and every candidate in precedence order: `/switch` and `ara dialplan explain`. */
  async explain(family: string, q: DialplanQuery): Promise<DialplanExplanation> {
    const st = this.state(family);
    const row = await this.resolve(st, q);
    await st.settle(q.context);
    const candidates = st.index.candidates(q.context, q.exten, undefined, q.mode).map((c) => ({
      pattern: c.exten,
      priority: c.priority,
      result: c.result,
      literal: !c.isPattern,
    }));
    const winner = row ? { pattern: typeof row['exten'] === 'string' ? row['exten'] : q.exten, row } : null;
    return { family: st.family, context: q.context, exten: q.exten, priority: q.priority, mode: q.mode, winner, candidates };
  }

  private async resolve(st: FamilyDialplan, q: DialplanQuery, filters?: readonly Filter[]): Promise<Row | null> {
    if (q.mode === 'match') {
      // A literal row straight from the store: always fresh, even for rows written behind
      // ara's back since the last refresh.
      const literal = await this.realtime.single(st.family, filters ?? [
        { column: 'exten', op: '=', value: q.exten },
        { column: 'priority', op: '=', value: String(q.priority) },
        { column: 'context', op: '=', value: q.context },
      ]);
      if (literal) return literal;
    }
    await st.settle(q.context);
    return st.index.best(q.context, q.exten, q.priority, q.mode);
  }

  /** How often a family's index re-read every row, and how often the change probe spared that. */
  passCounts(family: string): Readonly<{ reloads: number; probeSkips: number }> {
    return this.state(family).passCounts;
  }

  private state(family: string): FamilyDialplan {
    const st = this.states.get(family) ?? this.states.get(family.toLowerCase());
    if (!st) throw new Error(`'${family}' is not served as a dialplan`);
    return st;
  }

  /** A write through this instance marks what it touched; lookups wait for it. */
  private onChange(e: ChangeEvent): void {
    for (const st of this.states.values()) if (st.covers(e)) st.onChange(e);
  }

  /**
   * A change seen in the database's change log (another instance, SQL behind ara's back): a full
   * pass, without holding lookups up, so an outage then keeps serving the last good index.
   */
  private onStale(e: StaleEvent): void {
    for (const st of this.states.values()) if (st.covers(e)) st.refresh().catch(() => undefined);
  }
}

const PRIORITY = /^\d{1,9}$/;

/**
 * pbx_realtime's queries, and only those: exactly the columns `exten` (`=` or `LIKE`),
 * `priority` and `context` (both `=`), each once, priority a decimal integer. The order on the
 * wire is `exten, priority, context`; other orders mean the same query and are accepted.
 *
 * `E%` is CANMATCH and `E_%` MATCHMORE; a CANMATCH for a dialled string ending in `_` cannot be
 * told from a MATCHMORE and is read as one (`_` is not a digit a phone sends).
 */
export function parsePbxQuery(filters: readonly Filter[]): PbxQuery | null {
  if (filters.length !== 3) return null;
  let exten: Filter | undefined;
  let priority: Filter | undefined;
  let context: Filter | undefined;
  for (const f of filters) {
    if (f.column === 'exten' && !exten) exten = f;
    else if (f.column === 'priority' && !priority && f.op === '=') priority = f;
    else if (f.column === 'context' && !context && f.op === '=') context = f;
    else return null;
  }
  if (!exten || !priority || !context || !PRIORITY.test(priority.value)) return null;
  const base = { context: context.value, priority: Number(priority.value) };
  if (exten.op === '=') return { kind: 'lookup', ...base, exten: exten.value, mode: 'match' };
  if (exten.op !== 'LIKE') return null;
  const v = exten.value;
  if (v === '\\_%') return { kind: 'patterns', ...base };
  if (v.endsWith('_%')) return { kind: 'lookup', ...base, exten: v.slice(0, -2), mode: 'matchmore' };
  if (v.endsWith('%')) return { kind: 'lookup', ...base, exten: v.slice(0, -1), mode: 'canmatch' };
  return null;
}
