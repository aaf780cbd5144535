/**
 * Generates schemas/ldap/asterisk.schema (OpenLDAP .schema format, for slapd.conf), asterisk.ldif
 * (the same for cn=config: `ldapadd -Y EXTERNAL -H ldapi:/// -f asterisk.ldif`, as Debian's slapd
 * is configured) and default-mapping.conf (the built-in mapping written as a mapping file) from the
 * family definitions and the LDAP names in schemas/ldap/names.ts:
 *
 *   node --import tsx schemas/ldap/generate.ts           # rewrite both (+ oids.json)
 *   node --import tsx schemas/ldap/generate.ts --check   # exit 1 when the committed files are stale
 *
 * OIDs of attributes and classes ara-server adds are kept in oids.json: a name keeps its number
 * forever (a retired name stays listed), new names get the next free one, so regenerating after
 * an Asterisk schema update never renumbers what directories already hold.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { astConfig, families } from '../index.js';
import {
  ASTERISK_ATTRIBUTES, ASTERISK_CLASSES, CONFIG_ENTRY_CLASS, STYLES, defaultAttributeSyntaxes, ldapDefaults,
} from './names.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_FILE = join(HERE, 'asterisk.schema');
export const MAPPING_FILE = join(HERE, 'default-mapping.conf');
export const LDIF_FILE = join(HERE, 'asterisk.ldif');
export const OIDS_FILE = join(HERE, 'oids.json');

const ASTERISK_ATTR_ARC = '1.3.6.1.4.1.22736.5.4';
const ASTERISK_CLASS_ARC = '1.3.6.1.4.1.22736.5.2';
/**
 * PLACEHOLDER private enterprise number 99999 (not registered to this project): replace it
 * with a PEN assigned by IANA before publishing entries to a shared directory. The numbers
 * below it are stable (oids.json).
 */
export const ARA_ARC = '1.3.6.1.4.1.99999.1';
const ARA_ATTR_ARC = `${ARA_ARC}.1`;
const ARA_CLASS_ARC = `${ARA_ARC}.2`;

export interface OidRegistry {
  attributes: Record<string, number>;
  objectClasses: Record<string, number>;
}

const SYNTAX_OCTET = '1.3.6.1.4.1.1466.115.121.1.40';
const SYNTAX_INTEGER = '1.3.6.1.4.1.1466.115.121.1.27';

interface ClassDef {
  name: string;
  oid: string;
  sup: string;
  kind: 'STRUCTURAL' | 'AUXILIARY';
  must: string[];
  may: string[];
  desc: string;
}

export function readRegistry(): OidRegistry {
  try {
    return JSON.parse(readFileSync(OIDS_FILE, 'utf8')) as OidRegistry;
  } catch {
    return { attributes: {}, objectClasses: {} };
  }
}

function assign(reg: Record<string, number>, name: string): number {
  const have = reg[name];
  if (have !== undefined) return have;
  const next = Math.max(0, ...Object.values(reg)) + 1;
  reg[name] = next;
  return next;
}

/** The schema text and the registry it needs (the given one plus any new names). */
export function renderSchema(registry: OidRegistry = readRegistry()): { text: string; registry: OidRegistry } {
  const reg: OidRegistry = { attributes: { ...registry.attributes }, objectClasses: { ...registry.objectClasses } };
  const syntaxes = defaultAttributeSyntaxes();
  const defaults = ldapDefaults();

  // One attribute name may hold one column name only (sippeers.context and iaxfriends.context
  // share AstAccountContext, nothing else shares); names differing in case are one LDAP name.
  const byLower = new Map<string, { name: string; column: string }>();
  for (const d of defaults) {
    for (const [column, attr] of d.attributes) {
      const seen = byLower.get(attr.toLowerCase());
      if (seen && (seen.name !== attr || seen.column !== column)) {
        throw new Error(`attribute ${attr} (${d.table}.${column}) collides with ${seen.name} (column ${seen.column})`);
      }
      byLower.set(attr.toLowerCase(), { name: attr, column });
    }
  }

  const attrLines: string[] = [];
  const asteriskNames = Object.keys(ASTERISK_ATTRIBUTES);
  const ours = [...syntaxes.keys()].filter((a) => !(a in ASTERISK_ATTRIBUTES)).sort(); // code-unit order: the same file on every machine
  for (const name of [...asteriskNames, ...ours]) {
    const used = syntaxes.get(name);
    const asterisk = ASTERISK_ATTRIBUTES[name];
    const oid = asterisk !== undefined ? `${ASTERISK_ATTR_ARC}.${asterisk}` : `${ARA_ATTR_ARC}.${assign(reg.attributes, name)}`;
    const desc = used ? `realtime ${used.columns.join(', ')}` : 'Asterisk schema 3.2.2; not used by the default mapping';
    attrLines.push(attributeType(oid, name, desc, used?.syntax ?? 'text'));
  }

  // Object classes: Asterisk's keep their OIDs and MUST, their MAY grows by the attributes the
  // default mapping writes into entries of that class; ara-server's own classes are structural.
  const classes = new Map<string, ClassDef>();
  for (const [name, c] of Object.entries(ASTERISK_CLASSES)) {
    classes.set(name, { name, oid: `${ASTERISK_CLASS_ARC}.${c.n}`, sup: c.sup, kind: c.kind, must: [...c.must], may: [...c.may], desc: `Asterisk schema 3.2.2 ${c.kind.toLowerCase()} class` });
  }
  const ownClass = (name: string, desc: string): ClassDef => {
    let c = classes.get(name);
    if (!c) {
      c = { name, oid: `${ARA_CLASS_ARC}.${assign(reg.objectClasses, name)}`, sup: 'top', kind: 'STRUCTURAL', must: [], may: [], desc };
      classes.set(name, c);
    }
    return c;
  };
  ownClass(CONFIG_ENTRY_CLASS, 'static configuration entry (structural companion of AsteriskConfig)').must.push('cn');
  for (const d of defaults) {
    const cls = classes.get(d.filterClass) ?? ownClass(d.filterClass, `realtime family ${d.table}`);
    const rdnAttrs = d.rdnAttribute ? [d.rdnAttribute] : d.rdn.map((c) => d.attributes.get(c)!);
    const inherited = new Set<string>();
    for (let k: ClassDef | undefined = cls; k; k = classes.get(k.sup)) for (const a of [...k.must, ...k.may]) inherited.add(a.toLowerCase());
    if (!(d.filterClass in ASTERISK_CLASSES)) {
      for (const a of rdnAttrs) if (!inherited.has(a.toLowerCase())) { cls.must.push(a); inherited.add(a.toLowerCase()); }
    }
    for (const a of [...d.attributes.values(), ...rdnAttrs]) {
      if (!inherited.has(a.toLowerCase())) { cls.may.push(a); inherited.add(a.toLowerCase()); }
    }
  }
  const classLines = [...classes.values()].map(objectClass);

  const text = [
    HEADER.trim(),
    '',
    '#############################################################################',
    `# Attribute types: Asterisk's (${ASTERISK_ATTR_ARC}.n), then ara-server's (${ARA_ATTR_ARC}.n)`,
    '#############################################################################',
    '',
    attrLines.join('\n\n'),
    '',
    '#############################################################################',
    `# Object classes: Asterisk's (${ASTERISK_CLASS_ARC}.n), then ara-server's (${ARA_CLASS_ARC}.n)`,
    '#############################################################################',
    '',
    classLines.join('\n\n'),
    '',
  ].join('\n');
  return { text, registry: reg };
}

function attributeType(oid: string, name: string, desc: string, syntax: 'integer' | 'text'): string {
  const rules = syntax === 'integer'
    ? ['EQUALITY integerMatch', 'ORDERING integerOrderingMatch', 'SUBSTR caseExactIA5SubstringsMatch', `SYNTAX ${SYNTAX_INTEGER}`]
    : ['EQUALITY octetStringMatch', 'ORDERING octetStringOrderingMatch', 'SUBSTR octetStringSubstringsMatch', `SYNTAX ${SYNTAX_OCTET}`];
  return [`attributetype ( ${oid} NAME '${name}'`, `    DESC '${desc.replace(/'/g, '')}'`, ...rules.map((r) => `    ${r}`)].join('\n') + ' )';
}

function objectClass(c: ClassDef): string {
  const list = (xs: string[]) => (xs.length === 1 ? xs[0]! : `( ${xs.join(' $\n        ')} )`);
  const lines = [`objectclass ( ${c.oid} NAME '${c.name}'`, `    DESC '${c.desc}'`, `    SUP ${c.sup} ${c.kind}`];
  if (c.must.length) lines.push(`    MUST ${list(c.must)}`);
  if (c.may.length) lines.push(`    MAY ${list(c.may)}`);
  return lines.join('\n') + ' )';
}

const HEADER = `
# Asterisk realtime schema for ara-server's LDAP store (OpenLDAP .schema format).
#
# GENERATED by schemas/ldap/generate.ts from schemas/families and schemas/ldap/names.ts;
# edit those and regenerate, do not edit this file. Loads into a stock slapd (Debian 12,
# OpenLDAP 2.5) after core, cosine, nis and inetorgperson:
#     include /etc/ldap/schema/core.schema ... include /path/to/asterisk.schema
# (for cn=config, convert it with slaptest or scripts/services.sh's converter).
#
# It REPLACES contrib/scripts/asterisk.ldap-schema (v3.2.2): every attribute and class that
# file defines is defined here with the same name and OID, so entries written for
# res_config_ldap stay valid; only the matching rules differ (see below), and the classes
# allow more attributes. Load one or the other, never both.
#
# Matching rules, chosen so the directory compares values the way Asterisk's SQL drivers do:
#  * text (every column that is not an integer): octet string syntax, octetStringMatch,
#    octetStringOrderingMatch, octetStringSubstringsMatch. Values are compared byte for byte,
#    as PostgreSQL compares text: case matters (PJSIP ids and secrets are case-sensitive), spaces
#    are not folded (caseExactMatch would make 'a  b' equal 'a b'), UTF-8 passes untouched,
#    and a value may be empty (directoryString forbids that, yet Asterisk stores '' on text
#    columns and res_pjsip_mwi asks for mailboxes != ''). Ordering is byte order, which
#    orders 'YYYY-MM-DD HH:MM:SS' timestamps chronologically.
#  * integers (port, priority, expiration_time, cat_metric, var_metric...): INTEGER syntax,
#    integerMatch and integerOrderingMatch, so expiration_time<=N prunes contacts
#    numerically (9 < 10). LDAP has no substring rule for integers;
#    caseExactIA5SubstringsMatch matches the decimal text of non-negative values for people
#    searching by hand. ara-server evaluates LIKE on numbers itself.
#  * AstConfigCommented stays text: res_config_ldap writes TRUE/FALSE there.
#
# OIDs: Asterisk's attributes keep 1.3.6.1.4.1.22736.5.4.n and classes 1.3.6.1.4.1.22736.5.2.n.
# Attributes and classes ara-server adds (PJSIP, AstConfigVariableMetric, ...) live under
# ${ARA_ARC} -- 99999 is a PLACEHOLDER private enterprise number, not registered to
# this project: replace it with an IANA-assigned PEN before using the schema in a directory
# shared with other software. schemas/ldap/oids.json keeps the numbers stable.
`;

/**
 * The schema as a cn=config entry (olcSchemaConfig), for servers configured with slapd.d
 * (Debian's default): each definition on one logical line, folded at 76 columns as LDIF wants.
 */
export function renderLdif(schemaText: string): string {
  const defs: { key: string; text: string }[] = [];
  let cur: { key: string; text: string } | undefined;
  for (const line of schemaText.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') {
      cur = undefined;
      continue;
    }
    const m = /^(attributetype|objectclass)\s+(.*)$/.exec(line);
    if (m) {
      cur = { key: m[1] === 'attributetype' ? 'olcAttributeTypes' : 'olcObjectClasses', text: m[2]! };
      defs.push(cur);
    } else if (cur) {
      cur.text += ` ${line.trim()}`;
    }
  }
  const fold = (l: string) => {
    const out: string[] = [];
    for (let i = 0; i < l.length; i += i === 0 ? 76 : 75) out.push((i === 0 ? '' : ' ') + l.slice(i, i + (i === 0 ? 76 : 75)));
    return out.join('\n');
  };
  const header = HEADER.trim().split('\n').map((l) => (l.startsWith('#') ? l : `# ${l}`));
  return [
    ...header.map((l) => l.replace('(OpenLDAP .schema format)', '(OpenLDAP cn=config LDIF)')),
    '#',
    '# Load into a running slapd configured with cn=config (Debian 12 default):',
    '#     ldapadd -Y EXTERNAL -H ldapi:/// -f asterisk.ldif',
    '',
    'dn: cn=asterisk,cn=schema,cn=config',
    'objectClass: olcSchemaConfig',
    'cn: asterisk',
    ...defs.map((d) => fold(`${d.key}: ${d.text.replace(/\s+/g, ' ')}`)),
    '',
  ].join('\n');
}

/** The built-in mapping as a res_ldap.conf-style file: what a mapping file may change, and how. */
export function renderDefaultMapping(): string {
  const out = [
    '; The built-in LDAP mapping of ara-server, written as a mapping file.',
    '; GENERATED by schemas/ldap/generate.ts; do not edit. To change the mapping, write your own',
    '; file with only the sections and lines that differ, and name it in the database URL',
    '; (ldap://host/<base DN>?mapping=/etc/ara/ldap-mapping.conf). Per section (the <table> of the',
    "; extconfig line, the family's name by default; [_general] applies to every section):",
    ';   <column> = <attribute>     where the column lives; an empty attribute leaves the column out',
    ';   additionalFilter = (...)   ANDed into every search (the family filter)',
    ';   objectClass = a, b         classes of the entries ara-server creates',
    ';   rdn = col[+col]            the column(s) whose values name a new entry',
    ';   rdnAttribute = attr        the naming attribute when it is not the column\'s own',
    ';   container = ou=x           where new entries go, below the base DN (empty: the base itself)',
    '',
  ];
  for (const d of ldapDefaults()) {
    out.push(`[${d.table}]`);
    out.push(`additionalFilter = (objectClass=${d.filterClass})`);
    out.push(`objectClass = ${d.objectClasses.join(', ')}`);
    if (d.rdn.length > 0) out.push(`rdn = ${d.rdn.join('+')}`);
    if (d.rdnAttribute) out.push(`rdnAttribute = ${d.rdnAttribute}`);
    out.push(`container = ${d.container}`);
    for (const [column, attr] of d.attributes) out.push(`${column} = ${attr}`);
    out.push('');
  }
  return out.join('\n');
}

function main(): void {
  const check = process.argv.includes('--check');
  const before = readRegistry();
  const { text, registry } = renderSchema(before);
  const regText = `${JSON.stringify(registry, null, 2)}\n`;
  let current = '';
  let currentReg = '';
  try {
    current = readFileSync(SCHEMA_FILE, 'utf8');
    currentReg = readFileSync(OIDS_FILE, 'utf8');
  } catch { /* first run */ }
  const mapping = renderDefaultMapping();
  const ldif = renderLdif(text);
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  if (check) {
    const stale = current !== text || currentReg !== regText || read(MAPPING_FILE) !== mapping || read(LDIF_FILE) !== ldif;
    if (stale) {
      console.error('schemas/ldap/ (asterisk.schema, asterisk.ldif, default-mapping.conf, oids.json) is stale: run node --import tsx schemas/ldap/generate.ts');
      process.exit(1);
    }
    return;
  }
  writeFileSync(OIDS_FILE, regText);
  writeFileSync(SCHEMA_FILE, text);
  writeFileSync(MAPPING_FILE, mapping);
  writeFileSync(LDIF_FILE, ldif);
  console.log(`wrote ${SCHEMA_FILE} (${families.length + 1} families incl. ${astConfig.name}, ${Object.keys(STYLES).length} styles)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
