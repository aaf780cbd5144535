import type { MatchMode } from './match.js';
import { earlier, firstWithPriority, type RowRecord } from './records.js';
import { BANG, CLASS, DOT, EMPTY, END, LIT, classHas, type PatternSteps, type TerminalKind } from './tokens.js';

/**
 * A trie over the matcher steps of every pattern in one context (see tokens.ts): literal bytes
 * and byte classes are edges, `[]` is an edge that consumes nothing, and each pattern hangs at
 * the node where its terminal step (end, `.`, `!`, dead set) sits. Walking it with a dialled
 * string follows exactly the paths `_extension_match_core` would accept, so a lookup costs
 * about the length of the dialled string times the few class edges per node, whatever the
 * number of patterns.
 *
 * When the dialled string runs out at a node, Asterisk's answer for a pattern below depends
 * only on the step it stopped at: end of pattern = complete match, `!` = early match,
 * anything else = "could match with more digits". So for CANMATCH/MATCHMORE everything below
 * such a node hits at once; the best row of a subtree per priority is cached on the node
 * (cleared along the path whenever a pattern below changes).
 */
export interface PatternEntry<R> {
  readonly exten: string;
  /** `precedenceKey(exten)`. */
  readonly key: string;
  /** Rows for this exact exten string, in `seq` order. */
  rows: RowRecord<R>[];
  readonly terminal: TerminalKind;
  readonly node: TrieNode<R>;
}

interface ClassEdge<R> {
  readonly set: Uint32Array;
  readonly node: TrieNode<R>;
}

interface SubtreeCache<R> {
  priority: number;
  best: RowRecord<R> | null;
  more: Map<number, RowRecord<R> | null> | null;
}

/** `TrieNode.edge` for nodes reached by a class or by `[]`; literal edges store their byte. */
const EDGE_CLASS = -1;
const EDGE_EMPTY = -2;
const NO_BYTE = -1;

/**
 * Kept small on purpose: a large context has hundreds of thousands of nodes, most of them with
 * one child, so the first literal child and the first class child are held inline and every
 * array is allocated at its exact size.
 */
export class TrieNode<R> {
  litByte = NO_BYTE;
  litNode: TrieNode<R> | null = null;
  /** All literal children once there is more than one. */
  litMap: Map<number, TrieNode<R>> | null = null;
  clsSet: Uint32Array | null = null;
  clsNode: TrieNode<R> | null = null;
  clsMore: ClassEdge<R>[] | null = null;
  empty: TrieNode<R> | null = null;
  /** Patterns whose terminal step sits here. */
  entries: PatternEntry<R>[] | null = null;
  cache: SubtreeCache<R> | null = null;

  constructor(
    readonly parent: TrieNode<R> | null,
    /** The literal byte the parent reaches this node by, or EDGE_CLASS / EDGE_EMPTY. */
    readonly edge: number,
  ) {}
}

function sameSet(a: Uint32Array, b: Uint32Array): boolean {
  if (a === b) return true;
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isBare<R>(node: TrieNode<R>): boolean {
  return node.litNode === null && node.litMap === null && node.clsNode === null && node.empty === null &&
    node.entries === null;
}

function forEachChild<R>(node: TrieNode<R>, fn: (child: TrieNode<R>) => void): void {
  if (node.litNode) fn(node.litNode);
  if (node.litMap) for (const child of node.litMap.values()) fn(child);
  if (node.clsNode) fn(node.clsNode);
  if (node.clsMore) for (const edge of node.clsMore) fn(edge.node);
  if (node.empty) fn(node.empty);
}

export class PatternTrie<R> {
  readonly root = new TrieNode<R>(null, EDGE_EMPTY);

  /** Hang a new pattern into the trie. */
  insert(exten: string, key: string, steps: PatternSteps): PatternEntry<R> {
    let node = this.root;
    const { kinds, args, classes } = steps;
    let i = 0;
    for (; ; i++) {
      const kind = kinds[i]!;
      if (kind === LIT) node = litChild(node, args[i]!);
      else if (kind === CLASS) node = classChild(node, classes[args[i]!]!);
      else if (kind === EMPTY) node = (node.empty ??= new TrieNode<R>(node, EDGE_EMPTY));
      else break;
    }
    const entry: PatternEntry<R> = { exten, key, rows: [], terminal: kinds[i] as TerminalKind, node };
    node.entries = node.entries ? node.entries.concat([entry]) : [entry];
    this.changed(node);
    return entry;
  }

  /** Take a pattern out and drop the nodes only it used. */
  remove(entry: PatternEntry<R>): void {
    const node = entry.node;
    const rest = node.entries ? node.entries.filter((e) => e !== entry) : [];
    node.entries = rest.length ? rest : null;
    this.changed(node);
    for (let n = node; n.parent && isBare(n); n = n.parent) detach(n);
  }

  /** Rows below `node` changed: every cached subtree answer on its path is stale. */
  changed(node: TrieNode<R>): void {
    for (let n: TrieNode<R> | null = node; n; n = n.parent) n.cache = null;
  }

  clear(): void {
    const root = this.root;
    root.litByte = NO_BYTE;
    root.litNode = root.clsNode = root.empty = null;
    root.litMap = null;
    root.clsSet = null;
    root.clsMore = null;
    root.entries = null;
    root.cache = null;
  }
}

function litChild<R>(node: TrieNode<R>, byte: number): TrieNode<R> {
  if (node.litByte === byte) return node.litNode!;
  const found = node.litMap?.get(byte);
  if (found) return found;
  const child = new TrieNode<R>(node, byte);
  if (node.litNode === null && node.litMap === null) {
    node.litByte = byte;
    node.litNode = child;
  } else {
    if (!node.litMap) {
      node.litMap = new Map([[node.litByte, node.litNode!]]);
      node.litByte = NO_BYTE;
      node.litNode = null;
    }
    node.litMap.set(byte, child);
  }
  return child;
}

function classChild<R>(node: TrieNode<R>, set: Uint32Array): TrieNode<R> {
  if (node.clsSet && sameSet(node.clsSet, set)) return node.clsNode!;
  if (node.clsMore) for (const edge of node.clsMore) if (sameSet(edge.set, set)) return edge.node;
  const child = new TrieNode<R>(node, EDGE_CLASS);
  if (node.clsNode === null) {
    node.clsSet = set;
    node.clsNode = child;
  } else {
    const edge = { set, node: child };
    node.clsMore = node.clsMore ? node.clsMore.concat([edge]) : [edge];
  }
  return child;
}

function detach<R>(node: TrieNode<R>): void {
  const parent = node.parent!;
  if (node.edge >= 0) {
    if (parent.litNode === node) {
      parent.litByte = NO_BYTE;
      parent.litNode = null;
    } else if (parent.litMap) {
      parent.litMap.delete(node.edge);
      if (parent.litMap.size === 0) parent.litMap = null;
    }
  } else if (node.edge === EDGE_CLASS) {
    if (parent.clsNode === node) {
      // Promote an extra class edge so the inline slot stays the one that is filled first.
      const next = parent.clsMore?.[0];
      parent.clsSet = next ? next.set : null;
      parent.clsNode = next ? next.node : null;
      parent.clsMore = next && parent.clsMore!.length > 1 ? parent.clsMore!.slice(1) : null;
    } else if (parent.clsMore) {
      const rest = parent.clsMore.filter((e) => e.node !== node);
      parent.clsMore = rest.length ? rest : null;
    }
  } else {
    parent.empty = null;
  }
}

/** Receives what a walk finds. `subtree(node)`: every pattern below `node` hits with result 1. */
export interface TrieVisitor<R> {
  hit(entry: PatternEntry<R>, result: 1 | 2): void;
  subtree(node: TrieNode<R>): void;
}

/**
 * Walk the trie with dialled bytes (already without `-`), reporting every pattern that
 * `_extension_match_core` would not answer 0 for.
 */
export function walk<R>(root: TrieNode<R>, data: string, mode: MatchMode, visitor: TrieVisitor<R>): void {
  visit(root, data, 0, mode, visitor);
}

function visit<R>(node: TrieNode<R>, data: string, d: number, mode: MatchMode, v: TrieVisitor<R>): void {
  if (d >= data.length) {
    ranOut(node, mode, v);
    return;
  }
  const entries = node.entries;
  if (entries !== null) {
    // Bytes remain: `.` and `!` accept whatever is left; an end or dead step refuses it.
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.terminal === DOT) v.hit(e, 1);
      else if (e.terminal === BANG) v.hit(e, 2);
    }
  }
  const b = data.charCodeAt(d);
  const next = node.litByte === b ? node.litNode : node.litMap !== null ? node.litMap.get(b) : undefined;
  if (next) visit(next, data, d + 1, mode, v);
  if (node.clsNode !== null) {
    if (classHas(node.clsSet!, b)) visit(node.clsNode, data, d + 1, mode, v);
    const more = node.clsMore;
    if (more !== null) for (let i = 0; i < more.length; i++) if (classHas(more[i]!.set, b)) visit(more[i]!.node, data, d + 1, mode, v);
  }
  if (node.empty !== null) visit(node.empty, data, d, mode, v);
}

/**
 * The dialled string ran out at `node`. Patterns ending here match completely (not a MATCHMORE
 * hit); a `!` here is an early match; a `.` or dead step here, and everything further down, is
 * "could match with more" (a CANMATCH/MATCHMORE hit).
 */
function ranOut<R>(node: TrieNode<R>, mode: MatchMode, v: TrieVisitor<R>): void {
  const entries = node.entries;
  if (entries !== null) {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.terminal === BANG) v.hit(e, 2);
      else if (e.terminal === END) {
        if (mode !== 'matchmore') v.hit(e, 1);
      } else if (mode !== 'match') v.hit(e, 1);
    }
  }
  if (mode === 'match') return;
  if (node.litNode) v.subtree(node.litNode);
  if (node.litMap) for (const child of node.litMap.values()) v.subtree(child);
  if (node.clsNode) v.subtree(node.clsNode);
  if (node.clsMore) for (const edge of node.clsMore) v.subtree(edge.node);
  if (node.empty) v.subtree(node.empty);
}

/** The earliest row with `priority` anywhere below (and at) `node`; cached on the node. */
export function subtreeBest<R>(node: TrieNode<R>, priority: number): RowRecord<R> | null {
  const cache = node.cache;
  if (cache !== null) {
    if (cache.priority === priority) return cache.best;
    const more = cache.more?.get(priority);
    if (more !== undefined) return more;
  }
  let best: RowRecord<R> | null = null;
  if (node.entries) for (const e of node.entries) best = earlier(best, firstWithPriority(e.rows, priority));
  forEachChild(node, (child) => {
    best = earlier(best, subtreeBest(child, priority));
  });
  if (cache === null) node.cache = { priority, best, more: null };
  else (cache.more ??= new Map()).set(priority, best);
  return best;
}

/** Every pattern below (and at) `node`. */
export function collectSubtree<R>(node: TrieNode<R>, out: PatternEntry<R>[]): void {
  if (node.entries) out.push(...node.entries);
  forEachChild(node, (child) => collectSubtree(child, out));
}
