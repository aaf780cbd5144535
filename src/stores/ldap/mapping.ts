import { readFileSync } from 'node:fs';
import { FilterParser } from 'ldapts';
import type { ColumnDef, FamilyDef } from '../../../schemas/define.js';
import { astConfig, familyDef } from '../../../schemas/index.js';
import { ldapDefault } from '../../../schemas/ldap/names.js';
import { category, parseConf, type ConfCategory, type ParsedConf } from '../../config/conf-parser.js';
import { ConfigError } from '../../config/errors.js';
import type { LiveColumn, TableInfo } from '../../realtime/types.js';
import { isPlausibleDn } from './dn.js';

/**
 * How a realtime table lives in the directory, configured the way res_ldap.conf does it. A
 * mapping file (URL option `mapping=`) has one section per table, named as the `<table>` of the
 * extconfig line (the family name by default):
 *
 *   [_general]                               ; applies to every section, as in res_ldap.conf
 *   additionalFilter = (!(pbxDisabled=TRUE)) ; ANDed into every search
 *
 *   [ps_endpoints]
 *   id = uid                                 ; Asterisk column = LDAP attribute
 *   mailboxes =                              ; empty: the column is not kept in LDAP
 *   additionalFilter = (objectClass=AsteriskPjsipEndpoint)
 *   objectClass = inetOrgPerson, AsteriskPjsipEndpoint   ; classes of entries ara-server creates
 *   rdn = id                                 ; column(s) naming new entries; several joined by +
 *   rdnAttribute = uid                       ; RDN attribute when it is not the column's own
 *   container = ou=phones                    ; where new entries go, below the base DN ('' = the base)
 *
 *   [sip]                                    ; a section named otherwise (extconfig: sippeers => ldap,dir,sip)
 *   family = sippeers                        ; takes that family's columns and built-in mapping
 *
 * Every family ara-server knows has a built-in mapping (schemas/ldap/names.ts, the attributes of
 * schemas/ldap/asterisk.schema); a section changes only what it names. A section for a table
 * ara-server does not know defines a family of text columns. The section `config` is the static
 * table (ast_config), as in res_ldap.conf.
 */

export interface TableMapping {
  table: string;
  info: TableInfo;
  /** attribute by column name */
  attrOf: ReadonlyMap<string, string>;
  /** the family's additionalFilter and _general's, as configured (validated) */
  filters: readonly string[];
  objectClasses: readonly string[];
  rdn: readonly string[];
  rdnAttribute?: string;
  container: string;
  def?: FamilyDef;
}

const ATTR = /^[A-Za-z][A-Za-z0-9-]*$/;
const RESERVED = new Set(['additionalfilter', 'objectclass', 'objectclasses', 'rdn', 'rdnattribute', 'container', 'family']);

export class Mappings {
  private readonly sections = new Map<string, ConfCategory>();
  private readonly general: ConfCategory | undefined;
  private readonly cache = new Map<string, TableMapping | null>();

  constructor(private readonly database: string, conf?: ParsedConf, private readonly source = 'mapping') {
    for (const c of conf?.categories ?? []) {
      if (c.name.toLowerCase() === '_general') continue;
      this.sections.set(c.name.toLowerCase(), c);
    }
    this.general = conf ? category(conf, '_general') : undefined;
    // Check every section now: a mistake in the mapping stops the start, not a call.
    for (const name of this.sections.keys()) this.get(name);
  }

  static fromFile(database: string, file: string): Mappings {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`database '${database}': mapping file: ${(err as Error).message}`);
    }
    return new Mappings(database, parseConf(text, { file }), file);
  }

  /** The mapping of a table, or null when neither a family nor a section defines it. */
  get(table: string): TableMapping | null {
    const key = table.toLowerCase();
    if (this.cache.has(key)) return this.cache.get(key)!;
    const m = this.build(table);
    this.cache.set(key, m);
    return m;
  }

  private fail(msg: string): never {
    throw new ConfigError(`database '${this.database}' (${this.source}): ${msg}`);
  }

  private build(table: string): TableMapping | null {
    const key = table.toLowerCase();
    const section = this.sections.get(key);
    // `family = sippeers` in a section named otherwise (res_ldap.conf's [sip], [accounts]...)
    const familyName = section?.variables.filter((v) => v.name.toLowerCase() === 'family').pop()?.value.trim();
    const named = familyName ? familyDef(familyName) : undefined;
    if (familyName && !named) this.fail(`[${section!.name}]: family '${familyName}' is not a realtime family ara-server knows`);
    const def = named ?? familyDef(table) ?? (key === 'config' ? astConfig : undefined);
    if (!def && !section) return null;
    const dflt = def ? ldapDefault(def.name) : undefined;

    // columns: the family's, in its order; a section may remap or drop them (custom tables: its own)
    const attrOf = new Map<string, string>();
    const columnDefs = new Map<string, ColumnDef>();
    if (def) {
      for (const [name, c] of Object.entries(def.columns)) {
        columnDefs.set(name, c);
        const a = dflt?.attributes.get(name);
        if (a) attrOf.set(name, a);
      }
    }
    const generalVars = (this.general?.variables ?? []).filter((v) => !RESERVED.has(v.name.toLowerCase()));
    const sectionVars = (section?.variables ?? []).filter((v) => !RESERVED.has(v.name.toLowerCase()));
    // _general's column mappings apply to the families that have those columns (res_ldap.conf's
    // rule); a table ara-server does not know takes its columns from its own section only.
    for (const v of [...(def ? generalVars : []), ...sectionVars]) {
      const fromSection = sectionVars.includes(v);
      const name = def === astConfig ? (CONFIG_ALIASES[v.name.toLowerCase()] ?? v.name) : v.name;
      const column = def ? findName(columnDefs, name) : name;
      if (column === undefined) {
        if (fromSection) this.fail(`[${section!.name}] line ${v.line}: table ${def!.name} has no column '${v.name}'`);
        continue; // a _general mapping for a column this family does not have
      }
      const attr = v.value.trim();
      if (attr === '') {
        attrOf.delete(column);
        continue;
      }
      if (!ATTR.test(attr)) this.fail(`line ${v.line}: '${attr}' is not an LDAP attribute name`);
      if (!def && !columnDefs.has(column)) columnDefs.set(column, { kind: 'text', notNull: false, autoIncrement: false });
      attrOf.set(column, attr);
    }
    const seen = new Map<string, string>();
    for (const [column, attr] of attrOf) {
      const other = seen.get(attr.toLowerCase());
      if (other !== undefined) this.fail(`table ${table}: columns '${other}' and '${column}' both map to attribute ${attr}`);
      seen.set(attr.toLowerCase(), column);
    }

    const opt = (name: string): string | undefined => {
      const hit = [...(section?.variables ?? [])].reverse().find((v) => v.name.toLowerCase() === name);
      return hit?.value.trim();
    };
    const filterOf = (cat: ConfCategory | undefined): string[] => {
      const out: string[] = [];
      for (const v of cat?.variables ?? []) {
        if (v.name.toLowerCase() !== 'additionalfilter' || v.value.trim() === '') continue;
        out.push(this.checkFilter(v.value.trim(), v.line));
      }
      return out;
    };
    const sectionFilters = section && section.variables.some((v) => v.name.toLowerCase() === 'additionalfilter')
      ? filterOf(section)
      : dflt ? [`(objectClass=${dflt.filterClass})`] : [];
    const filters = [...sectionFilters, ...filterOf(this.general)];

    const classesText = opt('objectclass') ?? opt('objectclasses');
    const objectClasses = classesText !== undefined
      ? classesText.split(/[,\s]+/).filter(Boolean)
      : [...(dflt?.objectClasses ?? [])];
    for (const c of objectClasses) if (!ATTR.test(c)) this.fail(`table ${table}: '${c}' is not an object class name`);

    const rdnText = opt('rdn');
    const rdn = rdnText !== undefined ? rdnText.split(/[+,\s]+/).filter(Boolean).map((c) => findName(columnDefs, c) ?? c) : [...(dflt?.rdn ?? [])];
    for (const c of rdn) if (!attrOf.has(c)) this.fail(`table ${table}: rdn column '${c}' is not mapped to an attribute`);
    const rdnAttrText = opt('rdnattribute');
    const rdnAttribute = rdnAttrText !== undefined ? rdnAttrText || undefined : rdnText !== undefined ? undefined : dflt?.rdnAttribute;
    if (rdnAttribute !== undefined && !ATTR.test(rdnAttribute)) this.fail(`table ${table}: '${rdnAttribute}' is not an attribute name`);
    if (rdnAttribute !== undefined && rdn.length > 1) this.fail(`table ${table}: rdnAttribute names one attribute, but rdn has ${rdn.length} columns`);
    const container = opt('container') ?? dflt?.container ?? `ou=${table}`;
    if (container !== '' && !isPlausibleDn(container)) this.fail(`table ${table}: container '${container}' is not a relative DN`);

    const columns: LiveColumn[] = [];
    for (const [name, c] of columnDefs) {
      const attr = attrOf.get(name);
      if (!attr) continue;
      columns.push({
        name,
        kind: c.kind,
        sqlType: `LDAP ${attr}`,
        ...(c.length !== undefined ? { length: c.length } : {}),
        ...(c.enumValues ? { enumValues: c.enumValues } : {}),
        nullable: !c.notNull,
        autoIncrement: c.autoIncrement,
      });
    }
    const info: TableInfo = { table, columns, byName: new Map(columns.map((c) => [c.name, c])) };
    return {
      table,
      info,
      attrOf,
      filters,
      objectClasses,
      rdn,
      ...(rdnAttribute !== undefined ? { rdnAttribute } : {}),
      container,
      ...(def ? { def } : {}),
    };
  }

  private checkFilter(text: string, line: number): string {
    if (!text.startsWith('(') || !text.endsWith(')')) this.fail(`line ${line}: additionalFilter '${text}' must be a parenthesised LDAP filter`);
    try {
      FilterParser.parseString(text);
    } catch (err) {
      this.fail(`line ${line}: additionalFilter '${text}': ${(err as Error).message}`);
    }
    return text;
  }
}

/** res_ldap.conf's [config] names two static-table columns otherwise. */
const CONFIG_ALIASES: Record<string, string> = { variable_name: 'var_name', variable_value: 'var_val' };

function findName(columns: ReadonlyMap<string, unknown>, name: string): string | undefined {
  if (columns.has(name)) return name;
  const lower = name.toLowerCase();
  for (const k of columns.keys()) if (k.toLowerCase() === lower) return k;
  return undefined;
}
