import { ConfigError } from './errors.js';
import { category, parseConf, type ParsedConf } from './conf-parser.js';

/** Drivers ara-server speaks, in extconfig.conf's words. */
export const DRIVERS = ['sqlite3', 'pgsql', 'mysql', 'ldap'] as const;
export type Driver = (typeof DRIVERS)[number];

export interface Mapping {
  /** the family or static file name as written (families are matched case-insensitively) */
  name: string;
  driver: Driver;
  /** a connection named in ara.conf [databases] */
  database: string;
  table: string;
  priority: number;
  line: number;
}

/** Names that stand for several families, as Asterisk's config.c expands them. */
const ALIASES: Record<string, string[]> = {
  iaxfriends: ['iaxusers', 'iaxpeers'],
  sipfriends: ['sippeers'],
};

/** Asterisk never reads these from realtime; mapping them is a mistake worth stopping for. */
const FORBIDDEN = new Set(['asterisk.conf', 'extconfig.conf', 'logger.conf']);

export const isStaticName = (name: string) => name.toLowerCase().endsWith('.conf') || name.toLowerCase() === 'global';

/** Parses the `[settings]` category of an extconfig.conf, with Asterisk's rules (reference §2.1). */
export function parseExtconfig(text: string, file = 'extconfig.conf'): Mapping[] {
  return mappingsFrom(parseConf(text, { file }), file);
}

export function mappingsFrom(conf: ParsedConf, file: string): Mapping[] {
  const settings = category(conf, 'settings');
  if (!settings) throw new ConfigError(`${file}: no [settings] category`);
  const out: Mapping[] = [];
  for (const v of settings.variables) {
    const name = v.name.trim();
    if (FORBIDDEN.has(name.toLowerCase())) {
      throw new ConfigError(`${file}:${v.line}: '${name}' can never be loaded from realtime`);
    }
    const parts = splitMapping(v.value);
    const driver = (parts.driver ?? '').toLowerCase();
    if (!(DRIVERS as readonly string[]).includes(driver)) {
      throw new ConfigError(
        `${file}:${v.line}: unknown driver '${parts.driver ?? ''}' for '${name}' (ara-server drivers: ${DRIVERS.join(', ')})`,
      );
    }
    if (!parts.database) throw new ConfigError(`${file}:${v.line}: '${name}' names no database`);
    // Asterisk reads a missing, zero or non-numeric priority as 1.
    const prio = Number.parseInt(parts.priority ?? '', 10);
    const priority = Number.isFinite(prio) && prio > 0 ? prio : 1;
    const defaultTable = isStaticName(name) ? 'ast_config' : name;
    const table = parts.table || defaultTable;
    const names = ALIASES[name.toLowerCase()] ?? [name];
    for (const n of names) {
      out.push({ name: n, driver: driver as Driver, database: parts.database, table, priority, line: v.line });
    }
  }
  return out;
}

/**
 * `driver,database[,table][,priority]`; when a `"` follows the driver, the database is the quoted
 * text, so it may hold commas (LDAP base DNs).
 */
function splitMapping(value: string): { driver?: string; database?: string; table?: string; priority?: string } {
  const comma = value.indexOf(',');
  if (comma < 0) return { driver: value.trim() };
  const driver = value.slice(0, comma).trim();
  let rest = value.slice(comma + 1);
  let database: string;
  const quote = rest.indexOf('"');
  if (quote >= 0) {
    const end = rest.indexOf('"', quote + 1);
    database = end < 0 ? rest.slice(quote + 1) : rest.slice(quote + 1, end);
    rest = end < 0 ? '' : rest.slice(end + 1).replace(/^\s*,/, '');
    const [table, priority] = rest.split(',').map((s) => s.trim());
    return { driver, database, table, priority };
  }
  const [db, table, priority] = rest.split(',').map((s) => s.trim());
  return { driver, database: db, table, priority };
}
