import { literalOrderUnits } from './compare.js';
import type { MatchMode } from './match.js';
import { firstWithPriority, hasPriority, withRecord, withoutRecord, type RowRecord } from './records.js';
import { SortedByKey } from './sorted.js';

/**
 * The literal (non-`_`) extensions of one context.
 *
 * Asterisk compares a literal with the dialled string after dropping `-` from both: MATCH is
 * equality, CANMATCH "the dialled string is a prefix", MATCHMORE "a strict prefix". So literals
 * are grouped by their dash-less bytes: an exact lookup is one Map get, and a prefix lookup is
 * a binary search in a list sorted by precedence key, where everything sharing a prefix is one
 * contiguous block and the first entry of the block is the winner.
 */
export interface LiteralGroup<R> {
  /** UTF-8 bytes without `-`. */
  readonly bytes: string;
  /** Precedence key (`precedenceKey` of any member). */
  readonly key: string;
  /** Rows in `seq` order. */
  rows: RowRecord<R>[];
}

export class LiteralStore<R> {
  private readonly groups = new Map<string, LiteralGroup<R>>();
  private readonly all = new SortedByKey<LiteralGroup<R>>();
  /** Per priority, the groups holding at least one row with it. */
  private readonly byPriority = new Map<number, SortedByKey<LiteralGroup<R>>>();

  get isEmpty(): boolean {
    return this.groups.size === 0;
  }

  add(bytes: string, rec: RowRecord<R>): void {
    let group = this.groups.get(bytes);
    if (!group) {
      group = { bytes, key: rec.key, rows: [] };
      this.groups.set(bytes, group);
      this.all.add(group);
    }
    const newPriority = !hasPriority(group.rows, rec.priority);
    group.rows = withRecord(group.rows, rec);
    if (newPriority) this.listFor(rec.priority).add(group);
  }

  /** Find the stored record for exactly this exten and priority. */
  find(bytes: string, exten: string, priority: number): RowRecord<R> | null {
    const group = this.groups.get(bytes);
    return group?.rows.find((r) => r.exten === exten && r.priority === priority) ?? null;
  }

  delete(bytes: string, rec: RowRecord<R>): void {
    const group = this.groups.get(bytes);
    if (!group) return;
    if (!group.rows.includes(rec)) return;
    group.rows = withoutRecord(group.rows, rec);
    if (!hasPriority(group.rows, rec.priority)) {
      const list = this.byPriority.get(rec.priority);
      if (list) {
        list.delete(group);
        if (list.length === 0) this.byPriority.delete(rec.priority);
      }
    }
    if (group.rows.length === 0) {
      this.groups.delete(bytes);
      this.all.delete(group);
    }
  }

  /** The first literal row (precedence order) with `priority` that `data` hits in `mode`. */
  best(data: string, priority: number, mode: MatchMode): RowRecord<R> | null {
    if (mode === 'match') {
      const group = this.groups.get(data);
      return group ? firstWithPriority(group.rows, priority) : null;
    }
    const list = this.byPriority.get(priority);
    if (!list) return null;
    const target = '\u0000' + literalOrderUnits(data);
    for (let i = list.lowerBound(target); ; i++) {
      const group = list.at(i);
      if (!group || !group.key.startsWith(target)) return null;
      // The exact literal sits inside the block (signed-byte order), not necessarily first.
      if (mode === 'matchmore' && group.bytes.length === data.length) continue;
      return firstWithPriority(group.rows, priority);
    }
  }

  /** Every group `data` hits in `mode`, in precedence order. */
  matching(data: string, mode: MatchMode): LiteralGroup<R>[] {
    if (mode === 'match') {
      const group = this.groups.get(data);
      return group ? [group] : [];
    }
    const out: LiteralGroup<R>[] = [];
    const target = '\u0000' + literalOrderUnits(data);
    for (let i = this.all.lowerBound(target); ; i++) {
      const group = this.all.at(i);
      if (!group || !group.key.startsWith(target)) return out;
      if (mode === 'matchmore' && group.bytes.length === data.length) continue;
      out.push(group);
    }
  }

  /** All groups in precedence order. */
  ordered(): LiteralGroup<R>[] {
    const out: LiteralGroup<R>[] = [];
    for (let i = 0, g = this.all.at(0); g; g = this.all.at(++i)) out.push(g);
    return out;
  }

  private listFor(priority: number): SortedByKey<LiteralGroup<R>> {
    let list = this.byPriority.get(priority);
    if (!list) {
      list = new SortedByKey<LiteralGroup<R>>();
      this.byPriority.set(priority, list);
    }
    return list;
  }
}
