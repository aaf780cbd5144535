import type { MatchMode } from './match.js';
import { earlier, firstWithPriority, type RowRecord } from './records.js';
import { BANG, CLASS, DEAD, DOT, EMPTY, END, LIT, classHas, type PatternSteps } from './tokens.js';

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
  readonly rows: RowRecord<R>[];
  /** END, DOT, BANG or DEAD. */
  readonly terminal: number;
  readonly node: TrieNode<R>;
}

interface ClassEdge<R> {
  readonly key: string;
  readonly set: Uint32Array;
  readonly node: TrieNode<R>;
}

const NO_BYTE = -1;

export class TrieNode<R> {
  /** Literal children: a single one inline (the common chain case), more in a Map. */
  litByte = NO_BYTE;
  litNode: TrieNode<R> | null = null;
  litMap: Map<number, TrieNode<R>> | null = null;
  classes: ClassEdge<R>[] | null = null;
  empty: TrieNode<R> | null = null;

  end: PatternEntry<R>[] | null = null;
  dot: PatternEntry<R>[] | null = null;
  bang: PatternEntry<R>[] | null = null;
  dead: PatternEntry<R>[] | null = null;

  /** Subtree best per priority: one inline slot, more in a Map. */
  cached = false;
  cachedPriority = 0;
  cachedBest: RowRecord<R> | null = null;
  cachedMore: Map<number, RowRecord<R> | null> | null = null;

  constructor(
    readonly parent: TrieNode<R> | null,
    /** How the parent reaches this node: LIT (with `edgeByte`), CLASS (with `edgeClass`) or EMPTY. */
    readonly edge: number,
    readonly edgeByte: number,
    readonly edgeClass: string,
  ) {}

  lit(byte: number): TrieNode<R> | null {
    if (this.litByte === byte) return this.litNode;
    return this.litMap?.get(byte) ?? null;
  }
}

function terminalList<R>(node: TrieNode<R>, kind: number): PatternEntry<R>[] {
  switch (kind) {
    case END: return (node.end ??= []);
    case DOT: return (node.dot ??= []);
    case BANG: return (node.bang ??= []);
    default: return (node.dead ??= []);
  }
}

function isBare<R>(node: TrieNode<R>): boolean {
  return node.litNode === null && node.litMap === null && node.classes === null && node.empty === null &&
    !node.end?.length && !node.dot?.length && !node.bang?.length && !node.dead?.length;
}

function forEachChild<R>(node: TrieNode<R>, fn: (child: TrieNode<R>) => void): void {
  if (node.litNode) fn(node.litNode);
  if (node.litMap) for (const child of node.litMap.values()) fn(child);
  if (node.classes) for (const edge of node.classes) fn(edge.node);
  if (node.empty) fn(node.empty);
}

export class PatternTrie<R> {
  readonly root = new TrieNode<R>(null, EMPTY, NO_BYTE, '');

  /** Hang a new pattern into the trie. */
  insert(exten: string, key: string, steps: PatternSteps): PatternEntry<R> {
    let node = this.root;
    const { kinds, args, classes, classKeys } = steps;
    let i = 0;
    for (; ; i++) {
      const kind = kinds[i]!;
      if (kind === LIT) node = litChild(node, args[i]!);
      else if (kind === CLASS) node = classChild(node, classKeys[args[i]!]!, classes[args[i]!]!);
      else if (kind === EMPTY) node = (node.empty ??= new TrieNode<R>(node, EMPTY, NO_BYTE, ''));
      else break;
    }
    const entry: PatternEntry<R> = { exten, key, rows: [], terminal: kinds[i]!, node };
    terminalList(node, entry.terminal).push(entry);
    this.changed(node);
    return entry;
  }

  /** Take a pattern out and drop the nodes only it used. */
  remove(entry: PatternEntry<R>): void {
    const list = terminalList(entry.node, entry.terminal);
    const i = list.indexOf(entry);
    if (i !== -1) list.splice(i, 1);
    this.changed(entry.node);
    let node = entry.node;
    while (node.parent && isBare(node)) {
      detach(node);
      node = node.parent;
    }
  }

  /** Rows below `node` changed: every cached subtree answer on its path is stale. */
  changed(node: TrieNode<R>): void {
    for (let n: TrieNode<R> | null = node; n; n = n.parent) {
      n.cached = false;
      n.cachedBest = null;
      n.cachedMore = null;
    }
  }

  clear(): void {
    const root = this.root;
    root.litByte = NO_BYTE;
    root.litNode = null;
    root.litMap = null;
    root.classes = null;
    root.empty = null;
    root.end = root.dot = root.bang = root.dead = null;
    this.changed(root);
  }
}

function litChild<R>(node: TrieNode<R>, byte: number): TrieNode<R> {
  const found = node.lit(byte);
  if (found) return found;
  const child = new TrieNode<R>(node, LIT, byte, '');
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

function classChild<R>(node: TrieNode<R>, key: string, set: Uint32Array): TrieNode<R> {
  const edges = (node.classes ??= []);
  for (const edge of edges) if (edge.key === key) return edge.node;
  const child = new TrieNode<R>(node, CLASS, NO_BYTE, key);
  edges.push({ key, set, node: child });
  return child;
}

function detach<R>(node: TrieNode<R>): void {
  const parent = node.parent!;
  if (node.edge === LIT) {
    if (parent.litNode === node) {
      parent.litByte = NO_BYTE;
      parent.litNode = null;
    } else if (parent.litMap) {
      parent.litMap.delete(node.edgeByte);
      if (parent.litMap.size === 0) parent.litMap = null;
    }
  } else if (node.edge === CLASS) {
    const edges = parent.classes!;
    edges.splice(edges.findIndex((e) => e.node === node), 1);
    if (edges.length === 0) parent.classes = null;
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
  // Bytes remain: `.` and `!` accept whatever is left; an end or dead step refuses it.
  if (node.dot) for (const e of node.dot) v.hit(e, 1);
  if (node.bang) for (const e of node.bang) v.hit(e, 2);
  const b = data.charCodeAt(d);
  const next = node.litByte === b ? node.litNode : node.litMap ? node.litMap.get(b) : undefined;
  if (next) visit(next, data, d + 1, mode, v);
  if (node.classes) for (const edge of node.classes) if (classHas(edge.set, b)) visit(edge.node, data, d + 1, mode, v);
  if (node.empty) visit(node.empty, data, d, mode, v);
}

function ranOut<R>(node: TrieNode<R>, mode: MatchMode, v: TrieVisitor<R>): void {
  if (node.bang) for (const e of node.bang) v.hit(e, 2);
  if (mode !== 'matchmore' && node.end) for (const e of node.end) v.hit(e, 1);
  if (mode === 'match') return;
  if (node.dot) for (const e of node.dot) v.hit(e, 1);
  if (node.dead) for (const e of node.dead) v.hit(e, 1);
  forEachChildDirect(node, v);
}

function forEachChildDirect<R>(node: TrieNode<R>, v: TrieVisitor<R>): void {
  if (node.litNode) v.subtree(node.litNode);
  if (node.litMap) for (const child of node.litMap.values()) v.subtree(child);
  if (node.classes) for (const edge of node.classes) v.subtree(edge.node);
  if (node.empty) v.subtree(node.empty);
}

/** The earliest row with `priority` anywhere below (and at) `node`; cached on the node. */
export function subtreeBest<R>(node: TrieNode<R>, priority: number): RowRecord<R> | null {
  if (node.cached) {
    if (node.cachedPriority === priority) return node.cachedBest;
    const more = node.cachedMore?.get(priority);
    if (more !== undefined) return more;
  }
  let best: RowRecord<R> | null = null;
  best = bestOfList(node.end, priority, best);
  best = bestOfList(node.dot, priority, best);
  best = bestOfList(node.bang, priority, best);
  best = bestOfList(node.dead, priority, best);
  if (node.litNode) best = earlier(best, subtreeBest(node.litNode, priority));
  if (node.litMap) for (const child of node.litMap.values()) best = earlier(best, subtreeBest(child, priority));
  if (node.classes) for (const edge of node.classes) best = earlier(best, subtreeBest(edge.node, priority));
  if (node.empty) best = earlier(best, subtreeBest(node.empty, priority));
  if (!node.cached) {
    node.cached = true;
    node.cachedPriority = priority;
    node.cachedBest = best;
  } else {
    (node.cachedMore ??= new Map()).set(priority, best);
  }
  return best;
}

function bestOfList<R>(list: PatternEntry<R>[] | null, priority: number, best: RowRecord<R> | null): RowRecord<R> | null {
  if (list) for (const e of list) best = earlier(best, firstWithPriority(e.rows, priority));
  return best;
}

/** Every pattern below (and at) `node`. */
export function collectSubtree<R>(node: TrieNode<R>, out: PatternEntry<R>[]): void {
  if (node.end) out.push(...node.end);
  if (node.dot) out.push(...node.dot);
  if (node.bang) out.push(...node.bang);
  if (node.dead) out.push(...node.dead);
  forEachChild(node, (child) => collectSubtree(child, out));
}
