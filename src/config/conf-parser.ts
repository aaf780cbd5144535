import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * Asterisk's .conf syntax, the one parser for ara.conf, extconfig.conf and imported files
 * (sip.conf, extensions.conf, ...). Behaviour follows main/config.c: `;` comments with `\;`
 * escapes, `;-- --;` block comments, `[cat](!)` templates, `[cat](tpl,...)` inheritance,
 * `[cat](+)` to append, `=` and `=>` alike, `#include`/`#tryinclude`.
 */

export interface ConfVariable {
  name: string;
  value: string;
  /** written with `=>` (Asterisk calls these objects; the dialplan uses them) */
  object: boolean;
  file: string;
  line: number;
}

export interface ConfCategory {
  name: string;
  template: boolean;
  /** the templates it inherited from, in order */
  inherits: string[];
  variables: ConfVariable[];
  file: string;
  line: number;
}

export interface ParsedConf {
  categories: ConfCategory[];
  /** #include lines, kept so an importer can reproduce them in the static table */
  includes: { file: string; from: string; line: number }[];
}

export interface ParseOptions {
  /** name shown in errors */
  file?: string;
  /** follow #include; the default reads files relative to `file` */
  readInclude?: (path: string) => string | null;
  /** keep #include as entries instead of following them */
  keepIncludes?: boolean;
}

const MAX_INCLUDE_DEPTH = 16;

export function parseConf(text: string, options: ParseOptions = {}): ParsedConf {
  const out: ParsedConf = { categories: [], includes: [] };
  const byName = new Map<string, ConfCategory>();
  let current: ConfCategory | null = null;
  const file0 = options.file ?? '<config>';
  const readInclude = options.readInclude ?? ((p: string) => defaultRead(p, file0));

  const parseText = (src: string, file: string, depth: number) => {
    let inBlock = 0;
    const lines = src.split(/\r\n|\n|\r/);
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      const stripped = stripComments(lines[i]!, inBlock);
      inBlock = stripped.inBlock;
      const line = stripped.text.trim();
      if (line === '') continue;

      if (line.startsWith('#')) {
        const m = /^#\s*(include|tryinclude|exec|tryexec)\s+(.+)$/i.exec(line);
        if (!m) throw new ConfigError(`${file}:${lineNo}: unknown directive '${line}'`);
        const kind = m[1]!.toLowerCase();
        const target = m[2]!.trim().replace(/^["<](.*)[">]$/, '$1');
        if (kind === 'exec' || kind === 'tryexec') {
          throw new ConfigError(`${file}:${lineNo}: #${kind} is not supported (ara-server runs no programs)`);
        }
        out.includes.push({ file: target, from: file, line: lineNo });
        if (options.keepIncludes) {
          const cat = current ?? ensureCategory('general', file, lineNo);
          cat.variables.push({ name: '#include', value: target, object: false, file, line: lineNo });
          continue;
        }
        if (depth >= MAX_INCLUDE_DEPTH) throw new ConfigError(`${file}:${lineNo}: #include nested too deeply`);
        const included = readInclude(resolveInclude(target, file));
        if (included === null) {
          if (kind === 'tryinclude') continue;
          throw new ConfigError(`${file}:${lineNo}: cannot read included file '${target}'`);
        }
        parseText(included, target, depth + 1);
        continue;
      }

      if (line.startsWith('[')) {
        const m = /^\[([^\]]*)\]\s*(?:\(([^)]*)\))?\s*$/.exec(line);
        if (!m) throw new ConfigError(`${file}:${lineNo}: malformed category header '${line}'`);
        const name = m[1]!.trim();
        if (name === '') throw new ConfigError(`${file}:${lineNo}: empty category name`);
        const opts = (m[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (opts.includes('+')) {
          const existing = byName.get(name);
          if (!existing) throw new ConfigError(`${file}:${lineNo}: category '${name}' does not exist to append to`);
          current = existing;
          continue;
        }
        current = { name, template: opts.includes('!'), inherits: [], variables: [], file, line: lineNo };
        for (const opt of opts) {
          if (opt === '!') continue;
          const tpl = byName.get(opt);
          if (!tpl) throw new ConfigError(`${file}:${lineNo}: template '${opt}' is not defined before '${name}'`);
          current.inherits.push(opt);
          for (const v of tpl.variables) current.variables.push({ ...v });
        }
        out.categories.push(current);
        byName.set(name, current);
        continue;
      }

      const eq = line.indexOf('=');
      if (eq <= 0) throw new ConfigError(`${file}:${lineNo}: expected 'name = value', got '${line}'`);
      const object = line[eq + 1] === '>';
      const name = line.slice(0, eq).trim();
      const value = line.slice(eq + (object ? 2 : 1)).trim();
      const cat = current ?? ensureCategory('general', file, lineNo);
      cat.variables.push({ name, value, object, file, line: lineNo });
    }
  };

  const ensureCategory = (name: string, file: string, line: number): ConfCategory => {
    // Asterisk refuses variables before the first category; we are kinder and file them
    // under [general], which is where people mean them.
    const cat: ConfCategory = { name, template: false, inherits: [], variables: [], file, line };
    out.categories.push(cat);
    byName.set(name, cat);
    current = cat;
    return cat;
  };

  parseText(text, file0, 0);
  return out;
}

/** Removes comments from one line; `\;` stays as a literal `;`. */
function stripComments(line: string, inBlock: number): { text: string; inBlock: number } {
  let out = '';
  let depth = inBlock;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (depth > 0) {
      if (c === '-' && line.startsWith('--;', i)) {
        depth--;
        i += 2;
      } else if (c === ';' && line.startsWith(';--', i)) {
        depth++;
        i += 2;
      }
      continue;
    }
    if (c === '\\' && line[i + 1] === ';') {
      out += ';';
      i++;
      continue;
    }
    if (c === ';') {
      if (line.startsWith(';--', i)) {
        depth++;
        i += 2;
        continue;
      }
      break;
    }
    out += c;
  }
  return { text: out, inBlock: depth };
}

function resolveInclude(target: string, from: string): string {
  return isAbsolute(target) ? target : join(dirname(from), target);
}

function defaultRead(path: string, _from: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Every value of a variable in a category, in order (Asterisk variables may repeat). */
export function values(cat: ConfCategory | undefined, name: string): string[] {
  if (!cat) return [];
  return cat.variables.filter((v) => v.name.toLowerCase() === name.toLowerCase()).map((v) => v.value);
}

/** The last value of a variable, as ast_variable_retrieve does since Asterisk 21. */
export function lastValue(cat: ConfCategory | undefined, name: string): string | undefined {
  const all = values(cat, name);
  return all[all.length - 1];
}

export function category(conf: ParsedConf, name: string): ConfCategory | undefined {
  return conf.categories.find((c) => c.name.toLowerCase() === name.toLowerCase());
}
