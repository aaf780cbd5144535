import { familyDef } from '../../schemas/index.js';
import { Lru } from './lru.js';
import type { Filter, Row } from './types.js';

/**
 * Last-known-good answers: what a family's store answered last for the same lookup, served when
 * every store behind the family fails. A phone that registered a minute ago keeps registering
 * through a database restart; a lookup never seen before still fails, so an outage never turns
 * into "not found". Writes never come from here.
 */

/** Families whose lookups keep phones registered and calls routed: on unless turned off. */
export function staleByDefault(family: string, table: string): boolean {
  const names = [familyDef(family)?.name ?? family.toLowerCase(), familyDef(table)?.name ?? table];
  return names.some((n) => n.startsWith('ps_') || DEFAULT_FAMILIES.has(n));
}
const DEFAULT_FAMILIES = new Set(['sippeers', 'iaxfriends', 'voicemail', 'extensions']);

export const DEFAULT_STALE_MS = 24 * 3600 * 1000;

export interface LastGoodLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_LAST_GOOD_LIMITS: LastGoodLimits = { maxEntries: 50_000, maxBytes: 64 * 1024 * 1024 };

type Answer = Row | null | Row[];

/** A lookup whose answer was dropped, to be asked again. */
export interface Lookup {
  family: string;
  op: 'single' | 'multi';
  filters: readonly Filter[];
}

export class LastGood {
  private readonly lru: Lru<string, { at: number; value: Answer; lookup: Lookup }>;

  constructor(limits: LastGoodLimits = DEFAULT_LAST_GOOD_LIMITS) {
    this.lru = new Lru(limits.maxEntries, limits.maxBytes);
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.bytes;
  }

  remember(family: string, op: 'single' | 'multi', filters: readonly Filter[], value: Answer): void {
    const key = keyOf(family, op, filters);
    this.lru.set(key, { at: Date.now(), value, lookup: { family, op, filters } }, key.length * 2 + sizeOf(value));
  }

  /** The last answer, if one is younger than `maxAgeMs`; undefined when there is none. */
  recall(family: string, op: 'single' | 'multi', filters: readonly Filter[], maxAgeMs: number): Answer | undefined {
    const key = keyOf(family, op, filters);
    const e = this.lru.get(key);
    if (e === undefined) return undefined;
    if (Date.now() - e.at > maxAgeMs) {
      this.lru.delete(key);
      return undefined;
    }
    return e.value;
  }

  clear(): void {
    this.lru.clear();
  }

  /**
   * Drops the answers of `family` a change to rows with these `column` values may have made
   * wrong: a lookup that names the column with `=` another value is kept, every other lookup of
   * the family goes (it may have matched the row). `keys` null: every answer of the family.
   * Returns the dropped lookups that named a changed key: those are worth asking again, since
   * the answer may have been read after the change already (this instance's own write, coming
   * back through the change log).
   */
  supersede(family: string, column: string | null, keys: ReadonlySet<string> | null): { dropped: number; pinned: Lookup[] } {
    const prefix = `\u0000${family.toLowerCase()}`;
    const pin = column === null ? null : `\u0001${column}\u0002=\u0002`;
    const doomed: string[] = [];
    const pinned: Lookup[] = [];
    for (const key of this.lru.keys()) {
      const at = key.indexOf('\u0000');
      if (!key.startsWith(prefix, at) || (key.length > at + prefix.length && key[at + prefix.length] !== '\u0001')) continue;
      if (keys !== null && pin !== null) {
        const named = pinnedValue(key, pin);
        if (named !== undefined && !keys.has(named)) continue;
        if (named !== undefined) pinned.push(this.lru.peek(key)!.lookup);
      }
      doomed.push(key);
    }
    for (const k of doomed) this.lru.delete(k);
    return { dropped: doomed.length, pinned };
  }
}

/** The value a cache key's lookup gives the pinned column (`\u0001col\u0002=\u0002`), if any. */
function pinnedValue(key: string, pin: string): string | undefined {
  const i = key.indexOf(pin);
  if (i < 0) return undefined;
  const start = i + pin.length;
  const end = key.indexOf('\u0001', start);
  return key.slice(start, end < 0 ? undefined : end);
}

function keyOf(family: string, op: string, filters: readonly Filter[]): string {
  let k = `${op}\u0000${family.toLowerCase()}`;
  for (const f of filters) k += `\u0001${f.column}\u0002${f.op}\u0002${f.value}`;
  return k;
}

/** Approximate heap bytes of an answer: UTF-16 text plus a fixed cost per object and string. */
export function sizeOf(value: Answer): number {
  if (value === null) return 16;
  if (Array.isArray(value)) {
    let n = 32;
    for (const r of value) n += sizeOf(r);
    return n;
  }
  let n = 64;
  for (const k in value) {
    const v = value[k]!;
    n += 32 + k.length * 2;
    if (typeof v === 'string') n += 32 + v.length * 2;
    else for (const s of v) n += 32 + s.length * 2;
  }
  return n;
}
