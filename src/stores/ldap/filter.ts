import { isIntegerKind, isNumericKind } from '../../../schemas/define.js';
import type { Condition } from '../../realtime/columns.js';

/**
 * LDAP search filters (RFC 4515) for realtime conditions.
 *
 * Every value reaches the filter through `escapeValue`, which escapes `*`, `(`, `)`, `\` and NUL
 * as `\2a`, `\28`, `\29`, `\5c`, `\00`: a caller's value can never open a component, close one
 * or become a wildcard (res_config_ldap passed a SIP From user into its filter unescaped).
 * Attribute names come from the mapping only, checked when it is loaded.
 *
 * What a filter cannot say (LIKE's `_`, numeric order on an attribute without an integer
 * ordering rule, text comparison of a number) is said by a post-filter: the LDAP filter then
 * selects a superset and the predicate keeps the entries that really match.
 */

export type Node =
  | { t: 'and' | 'or'; of: Node[] }
  | { t: 'not'; of: Node }
  | { t: 'eq' | 'ge' | 'le'; attr: string; value: string }
  | { t: 'present'; attr: string }
  | { t: 'sub'; attr: string; initial: string; any: string[]; final: string }
  /** a filter from the configuration (additionalFilter), validated when it was loaded */
  | { t: 'raw'; text: string }
  | { t: 'none' }
  | { t: 'all' };

/** RFC 4515 value escaping. UTF-8 passes as is (the standard allows it, and ldapts reads `\XX` as one byte). */
export function escapeValue(value: string): string {
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case '*': out += '\\2a'; break;
      case '(': out += '\\28'; break;
      case ')': out += '\\29'; break;
      case '\\': out += '\\5c'; break;
      case '\0': out += '\\00'; break;
      default: out += ch;
    }
  }
  return out;
}

export const and = (...of: Node[]): Node => simplify({ t: 'and', of });
export const or = (...of: Node[]): Node => ({ t: 'or', of });
export const not = (of: Node): Node => ({ t: 'not', of });
export const eq = (attr: string, value: string): Node => ({ t: 'eq', attr, value });
export const present = (attr: string): Node => ({ t: 'present', attr });

function simplify(n: Node & { t: 'and' }): Node {
  const of: Node[] = [];
  for (const c of n.of) {
    if (c.t === 'all') continue;
    if (c.t === 'none') return { t: 'none' };
    if (c.t === 'and') of.push(...c.of);
    else of.push(c);
  }
  if (of.length === 0) return { t: 'all' };
  if (of.length === 1) return of[0]!;
  return { t: 'and', of };
}

export function render(n: Node): string {
  switch (n.t) {
    case 'and': return `(&${n.of.map(render).join('')})`;
    case 'or': return `(|${n.of.map(render).join('')})`;
    case 'not': return `(!${render(n.of)})`;
    case 'eq': return `(${n.attr}=${escapeValue(n.value)})`;
    case 'ge': return `(${n.attr}>=${escapeValue(n.value)})`;
    case 'le': return `(${n.attr}<=${escapeValue(n.value)})`;
    case 'present': return `(${n.attr}=*)`;
    case 'sub': return `(${n.attr}=${escapeValue(n.initial)}*${n.any.map((a) => `${escapeValue(a)}*`).join('')}${escapeValue(n.final)})`;
    case 'raw': return n.text;
    case 'none': return '(!(objectClass=*))';
    case 'all': return '(objectClass=*)';
  }
}

/** What the directory's schema lets a filter do with one attribute. */
export interface AttrCaps {
  /** the directory defines the attribute */
  known: boolean;
  /** an EQUALITY rule exists (else `(a=v)` is Undefined) */
  equality: boolean;
  /** INTEGER syntax: assertions must be integers, ordering is numeric */
  integer: boolean;
  /** an ORDERING rule exists */
  ordering: boolean;
  /** a SUBSTR rule usable for LIKE exists (integers never count) */
  substr: boolean;
  /** the equality rule ignores case (caseIgnoreMatch, as Asterisk's own schema has it) */
  ignoreCase: boolean;
  /** a value may be empty (octet and IA5 strings; directoryString may not) */
  emptyAllowed: boolean;
}

/** A condition as a filter, plus the predicate on the attribute's stored values when the filter alone is a superset. */
export interface Compiled {
  node: Node;
  attr: string;
  post?: (values: readonly string[]) => boolean;
}

type Cls = 'int' | 'num' | 'time' | 'text';

const INTEGER = /^[+-]?\d+$/;

export function canonicalInteger(v: string): string {
  return BigInt(v).toString();
}

/**
 * One realtime condition against one attribute. `encode` turns a text value into its stored
 * form (the `;`/`^XX` convention), so `id = 'a;b'` finds what `store` wrote for `a;b`.
 */
export function compileCondition(c: Condition, attr: string, caps: AttrCaps, encode: (v: string) => string): Compiled {
  const kind = c.column.kind;
  const cls: Cls = isIntegerKind(kind) ? 'int' : isNumericKind(kind) ? 'num' : kind === 'timestamp' || kind === 'date' ? 'time' : 'text';
  const typed = !c.asText;
  const textAttr = !caps.integer;
  // the value as stored: integers canonical, text in the stored (encoded) form
  const sv = cls === 'text' && textAttr ? encode(c.value) : c.value;
  const post = (fn: (values: readonly string[]) => boolean): Compiled => ({ node: present(attr), attr, post: fn });

  if (c.op === 'LIKE') {
    const pattern = textAttr ? encode(c.value) : c.value;
    const tokens = parseLike(pattern);
    const re = likeRegex(tokens, caps.ignoreCase);
    const anyMatch = (vs: readonly string[]) => vs.some((v) => re.test(v));
    if (!textAttr || !caps.substr) return post(anyMatch);
    const literal = tokens.every((t) => t.t === 'lit');
    if (literal) {
      const lit = tokens.map((t) => (t.t === 'lit' ? t.s : '')).join('');
      if (!caps.equality) return post(anyMatch);
      if (lit === '' && !caps.emptyAllowed) return { node: { t: 'none' }, attr };
      return { node: eq(attr, lit), attr };
    }
    // Literal runs between wildcards; `_` widens to `*` here and is checked by the predicate.
    const parts: string[] = [''];
    for (const tk of tokens) {
      if (tk.t === 'lit') parts[parts.length - 1] += tk.s;
      else parts.push('');
    }
    const initial = parts[0]!;
    const final = parts.length > 1 ? parts[parts.length - 1]! : '';
    const any = parts.slice(1, -1).filter((p) => p !== '');
    const node: Node = initial === '' && final === '' && any.length === 0 ? present(attr) : { t: 'sub', attr, initial, any, final };
    const needsPost = tokens.some((t) => t.t === 'one');
    return needsPost ? { node, attr, post: anyMatch } : { node, attr };
  }

  // =, !=, <, <=, >, >=
  const cmp = comparator(cls, typed, caps.ignoreCase);
  const target = cmp.prepare(sv);
  const holds = (v: string) => {
    const x = cmp.prepare(v);
    if (x === null || target === null) return false;
    return holdsFor(c.op, cmp.compare(x, target));
  };
  const predicate = c.op === '!='
    ? (vs: readonly string[]) => vs.length > 0 && vs.every((v) => { const x = cmp.prepare(v); return x !== null && target !== null && cmp.compare(x, target) !== 0; })
    : (vs: readonly string[]) => vs.some(holds);

  // The cases a filter states exactly; everything else goes through the predicate.
  const intExact = cls === 'int' && typed && caps.integer && INTEGER.test(c.value);
  const textExact = cls === 'text' && textAttr;
  const assertion = intExact ? canonicalInteger(c.value) : sv;
  if (!(intExact || textExact) || !caps.equality) return post(predicate);
  const empty = assertion === '' && !caps.emptyAllowed;
  switch (c.op) {
    case '=':
      return { node: empty ? { t: 'none' } : eq(attr, assertion), attr };
    case '!=':
      return { node: empty ? present(attr) : and(present(attr), not(eq(attr, assertion))), attr };
    default: {
      if (!caps.ordering || (textExact && caps.ignoreCase) || empty) return post(predicate);
      const bound: Node = { t: c.op.startsWith('<') ? 'le' : 'ge', attr, value: assertion };
      const strict = c.op === '<' || c.op === '>';
      return { node: strict ? and(bound, not(eq(attr, assertion))) : bound, attr };
    }
  }
}

function holdsFor(op: Condition['op'], r: number): boolean {
  switch (op) {
    case '=': return r === 0;
    case '!=': return r !== 0;
    case '<': return r < 0;
    case '<=': return r <= 0;
    case '>': return r > 0;
    case '>=': return r >= 0;
    default: return false;
  }
}

interface Comparator<T> {
  prepare(v: string): T | null;
  compare(a: T, b: T): number;
}

const byText = (ignoreCase: boolean): Comparator<string> => ({
  prepare: (v) => (ignoreCase ? v.toLowerCase() : v),
  compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
});

const FLOAT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function comparator(cls: Cls, typed: boolean, ignoreCase: boolean): Comparator<unknown> {
  if (!typed) return byText(ignoreCase) as Comparator<unknown>;
  switch (cls) {
    case 'int':
      return {
        prepare: (v) => (INTEGER.test(v.trim()) ? BigInt(v.trim()) : null),
        compare: (a, b) => ((a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0),
      } as Comparator<unknown>;
    case 'num':
      return {
        prepare: (v) => (FLOAT.test(v) ? Number(v) : null),
        compare: (a, b) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0),
      } as Comparator<unknown>;
    case 'time':
      return { prepare: (v) => normalizeTimestamp(v), compare: byText(false).compare } as Comparator<unknown>;
    default:
      return byText(ignoreCase) as Comparator<unknown>;
  }
}

/** `2026-11-23T10:00` and `2026-11-23 10:00:00` compare equal; other text compares as text. */
export function normalizeTimestamp(v: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(.*)$/.exec(v.trim());
  if (!m) return v;
  return `${m[1]} ${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}${m[5] ?? ''}${m[6] ?? ''}`;
}

export type LikeToken = { t: 'lit'; s: string } | { t: 'any' } | { t: 'one' };

/** SQL LIKE: `%` any run, `_` one character, `\` takes the next character literally. */
export function parseLike(pattern: string): LikeToken[] {
  const out: LikeToken[] = [];
  const chars = [...pattern];
  const lit = (s: string) => {
    const last = out[out.length - 1];
    if (last && last.t === 'lit') last.s += s;
    else out.push({ t: 'lit', s });
  };
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\\') {
      // a trailing backslash is itself (PostgreSQL would refuse the pattern; Asterisk never sends one)
      lit(i + 1 < chars.length ? chars[++i]! : '\\');
    } else if (ch === '%') {
      if (out[out.length - 1]?.t !== 'any') out.push({ t: 'any' });
    } else if (ch === '_') {
      out.push({ t: 'one' });
    } else {
      lit(ch);
    }
  }
  return out;
}

export function likeRegex(tokens: readonly LikeToken[], ignoreCase: boolean): RegExp {
  const src = tokens.map((t) => (t.t === 'any' ? '.*' : t.t === 'one' ? '.' : t.s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))).join('');
  return new RegExp(`^${src}$`, `su${ignoreCase ? 'i' : ''}`);
}
