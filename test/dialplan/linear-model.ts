import { compareExtensions } from '../../src/dialplan/compare.js';
import type { DialplanCandidate } from '../../src/dialplan/index.js';
import { compilePattern, matchCompiled, type CompiledPattern, type MatchMode } from '../../src/dialplan/match.js';

export interface Row {
  context: string;
  exten: string;
  priority: number;
  tag: string;
}

/**
 * The obvious way to do what DialplanIndex does: keep rows in the order they were added, sort a
 * context's rows with compareExtensions (stable, so equal extensions keep that order), try each
 * in turn. The index must answer exactly like this.
 */
export class LinearModel {
  private rows: Row[] = [];
  private sorted = new Map<string, { row: Row; compiled: CompiledPattern }[]>();

  add(row: Row): void {
    const i = this.rows.findIndex((r) => r.context === row.context && r.exten === row.exten && r.priority === row.priority);
    if (i === -1) this.rows.push(row);
    else this.rows[i] = row;
    this.sorted.clear();
  }

  remove(context: string, exten: string, priority: number): Row | null {
    const i = this.rows.findIndex((r) => r.context === context && r.exten === exten && r.priority === priority);
    if (i === -1) return null;
    this.sorted.clear();
    return this.rows.splice(i, 1)[0]!;
  }

  private inOrder(context: string) {
    let list = this.sorted.get(context);
    if (!list) {
      list = this.rows
        .filter((r) => r.context === context)
        .sort((a, b) => compareExtensions(a.exten, b.exten))
        .map((row) => ({ row, compiled: compilePattern(row.exten) }));
      this.sorted.set(context, list);
    }
    return list;
  }

  best(context: string, dialled: string, priority: number, mode: MatchMode, earlyMatchEndsMatchmore = true): Row | null {
    for (const { row, compiled } of this.inOrder(context)) {
      const m = matchCompiled(compiled, dialled, mode);
      if (m === 0) continue;
      if (m === 2 && mode === 'matchmore' && earlyMatchEndsMatchmore) return null;
      if (row.priority === priority) return row;
    }
    return null;
  }

  candidates(context: string, dialled: string, priority: number | undefined, mode: MatchMode): DialplanCandidate<Row>[] {
    const out: DialplanCandidate<Row>[] = [];
    for (const { row, compiled } of this.inOrder(context)) {
      const m = matchCompiled(compiled, dialled, mode);
      if (m === 0 || (priority !== undefined && row.priority !== priority)) continue;
      out.push({ row, exten: row.exten, priority: row.priority, isPattern: row.exten.startsWith('_'), result: m });
    }
    return out;
  }

  patternsInOrder(context: string, priority?: number): Row[] {
    return this.inOrder(context)
      .map((x) => x.row)
      .filter((r) => r.exten.startsWith('_') && (priority === undefined || r.priority === priority));
  }
}
