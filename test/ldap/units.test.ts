import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FilterParser, type Filter as LdapFilter } from 'ldapts';
import { familyDef } from '../../schemas/index.js';
import { LDIF_FILE, MAPPING_FILE, OIDS_FILE, SCHEMA_FILE, readRegistry, renderDefaultMapping, renderLdif, renderSchema } from '../../schemas/ldap/generate.js';
import { ldapDefault, ldapDefaults } from '../../schemas/ldap/names.js';
import { toConditions } from '../../src/realtime/columns.js';
import { ConfigError } from '../../src/config/errors.js';
import type { Filter } from '../../src/realtime/types.js';
import { escapeRdnValue, firstRdn, rdnString, splitDn } from '../../src/stores/ldap/dn.js';
import { compileCondition, escapeValue, eq, parseLike, render, type AttrCaps } from '../../src/stores/ldap/filter.js';
import { Mappings } from '../../src/stores/ldap/mapping.js';
import { parseLdapUrl } from '../../src/stores/ldap/options.js';
import { parseConf } from '../../src/config/conf-parser.js';

const TEXT: AttrCaps = { known: true, equality: true, integer: false, ordering: true, substr: true, ignoreCase: false, emptyAllowed: true };
const INT: AttrCaps = { known: true, equality: true, integer: true, ordering: true, substr: false, ignoreCase: false, emptyAllowed: false };
/** Asterisk's own schema: directoryString, caseIgnoreMatch, no ordering rule */
const ASTERISK: AttrCaps = { known: true, equality: true, integer: false, ordering: false, substr: true, ignoreCase: true, emptyAllowed: false };

const valueOf = (f: LdapFilter): unknown => (f as unknown as { value: unknown }).value;

describe('RFC 4515 filter values', () => {
  test('the five characters are escaped, everything else is itself', () => {
    assert.equal(escapeValue('*'), '\\2a');
    assert.equal(escapeValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
    assert.equal(escapeValue('a\\b'), 'a\\5cb');
    assert.equal(escapeValue('\u0000'), '\\00');
    assert.equal(escapeValue('é日本🎉 =,+;'), 'é日本🎉 =,+;');
    assert.equal(render(eq('AstAccountName', ')(|(objectClass=*')), '(AstAccountName=\\29\\28|\\28objectClass=\\2a)');
  });

  test('any string survives a filter and comes out of ldapts\'s parser as the same single equality', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const parsed = FilterParser.parseString(render(eq('AstAccountName', s)));
        assert.equal(parsed.constructor.name, 'EqualityFilter');
        assert.equal(valueOf(parsed), s);
      }),
      { numRuns: 2000 },
    );
  });

  test('a LIKE pattern becomes one substring filter; its literal parts stay literal', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('%', '_', '\\%', '\\_', '*', '(', ')', '\\\\'), fc.string({ maxLength: 4 })), { maxLength: 8 }), (pieces) => {
        const column = { name: 'name', kind: 'varchar' as const, sqlType: 'x', nullable: false, autoIncrement: false };
        const table = { table: 'sippeers', columns: [column], byName: new Map([['name', column]]) };
        const [cond] = toConditions(table, [{ column: 'name', op: 'LIKE', value: pieces.join('') }]);
        const c = compileCondition(cond!, 'AstAccountName', TEXT, (v) => v);
        const text = render(c.node);
        const parsed = FilterParser.parseString(text);
        assert.ok(['SubstringFilter', 'EqualityFilter', 'PresenceFilter'].includes(parsed.constructor.name), text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('conditions as filters', () => {
  const table = {
    table: 't',
    columns: [
      { name: 'name', kind: 'varchar' as const, sqlType: 'x', length: 80, nullable: true, autoIncrement: false },
      { name: 'port', kind: 'integer' as const, sqlType: 'x', nullable: true, autoIncrement: false },
      { name: 'qualify_timeout', kind: 'float' as const, sqlType: 'x', nullable: true, autoIncrement: false },
      { name: 'starttime', kind: 'timestamp' as const, sqlType: 'x', nullable: true, autoIncrement: false },
    ],
    byName: new Map(),
  };
  for (const c of table.columns) table.byName.set(c.name, c);
  const compile = (f: Filter, caps: AttrCaps) => compileCondition(toConditions(table, [f])[0]!, 'A', caps, (v) => v.replace(/;/g, '^3B'));
  const filterOf = (column: string, op: Filter['op'], value: string, caps: AttrCaps) => {
    const c = compile({ column, op, value }, caps);
    return `${render(c.node)}${c.post ? ' +post' : ''}`;
  };

  test('text on the bundled schema: the directory compares, byte for byte', () => {
    assert.equal(filterOf('name', '=', 'a;b', TEXT), '(A=a^3Bb)');
    assert.equal(filterOf('name', '!=', 'x', TEXT), '(&(A=*)(!(A=x)))');
    assert.equal(filterOf('name', '!=', '', TEXT), '(&(A=*)(!(A=)))');
    assert.equal(filterOf('name', '<', 'm', TEXT), '(&(A<=m)(!(A=m)))');
    assert.equal(filterOf('name', '>=', 'm', TEXT), '(A>=m)');
    assert.equal(filterOf('name', 'LIKE', 'ab%', TEXT), '(A=ab*)');
    assert.equal(filterOf('name', 'LIKE', '%', TEXT), '(A=*)');
    assert.equal(filterOf('name', 'LIKE', 'a_c', TEXT), '(A=a*c) +post');
    assert.equal(filterOf('name', 'LIKE', 'a\\_c\\%', TEXT), '(A=a_c%)');
    assert.equal(filterOf('name', 'LIKE', '%a%%b%', TEXT), '(A=*a*b*)');
    assert.equal(filterOf('name', 'LIKE', '*', TEXT), '(A=\\2a)');
  });

  test('integers: integerMatch and integerOrderingMatch, canonical assertions; text against a number is a predicate', () => {
    assert.equal(filterOf('port', '=', '+0050', INT), '(A=50)');
    assert.equal(filterOf('port', '<=', '10', INT), '(A<=10)');
    assert.equal(filterOf('port', '>', '10', INT), '(&(A>=10)(!(A=10)))');
    assert.equal(filterOf('port', '!=', '10', INT), '(&(A=*)(!(A=10)))');
    assert.equal(filterOf('port', '=', 'abc', INT), '(A=*) +post');
    assert.equal(filterOf('port', 'LIKE', '50%', INT), '(A=*) +post');
    const like = compile({ column: 'port', op: 'LIKE', value: '50_0' }, INT);
    assert.equal(like.post!(['5060']), true);
    assert.equal(like.post!(['506']), false);
    const text = compile({ column: 'port', op: '!=', value: '' }, INT);
    assert.equal(text.post!(['5060']), true);
    assert.equal(text.post!([]), false, 'NULL is never != anything, as in SQL');
  });

  test('floats and timestamps are compared by ara, numerically and as times', () => {
    const f = compile({ column: 'qualify_timeout', op: '<=', value: '3' }, TEXT);
    assert.equal(render(f.node), '(A=*)');
    assert.equal(f.post!(['3.000000']), true);
    assert.equal(f.post!(['10.5']), false, '10.5 > 3 (as text it would sort before)');
    const t = compile({ column: 'starttime', op: '<=', value: '2026-11-23 11:00:00' }, TEXT);
    assert.equal(t.post!(['2026-11-23T10:00']), true);
    assert.equal(t.post!(['2026-11-23 11:00:01']), false);
  });

  test("Asterisk's own schema (caseIgnoreMatch, no ordering, no empty values): what it cannot do is done by ara", () => {
    assert.equal(filterOf('name', '=', 'Alice', ASTERISK), '(A=Alice)');
    assert.equal(filterOf('name', '!=', '', ASTERISK), '(A=*)', 'no stored value is empty there');
    assert.equal(filterOf('name', '=', '', ASTERISK), '(!(objectClass=*))');
    assert.equal(filterOf('name', '<=', 'm', ASTERISK), '(A=*) +post');
    const numeric = compile({ column: 'port', op: '<=', value: '10' }, ASTERISK);
    assert.equal(render(numeric.node), '(A=*)');
    assert.equal(numeric.post!(['9']), true, '9 <= 10 although "9" > "10" as text');
    const like = compile({ column: 'name', op: 'LIKE', value: 'al_ce' }, ASTERISK);
    assert.equal(render(like.node), '(A=al*ce)');
    assert.equal(like.post!(['ALICE']), true, 'the directory ignores case, so does the predicate');
  });

  test('LIKE: % any run, _ one character, \\ escapes', () => {
    assert.deepEqual(parseLike('a\\%b%c_'), [{ t: 'lit', s: 'a%b' }, { t: 'any' }, { t: 'lit', s: 'c' }, { t: 'one' }]);
    assert.deepEqual(parseLike('%%'), [{ t: 'any' }]);
    assert.deepEqual(parseLike('x\\'), [{ t: 'lit', s: 'x\\' }]);
  });
});

describe('distinguished names', () => {
  test('an RDN value is escaped with hex pairs and parses back to itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), (s) => {
        const rdn = rdnString([{ attr: 'cn', value: s }]);
        assert.deepEqual(firstRdn(`${rdn},ou=x,dc=example,dc=com`), [{ attr: 'cn', value: s }]);
        assert.equal(splitDn(`${rdn},ou=x`).length, 2, 'a value never adds a level');
        assert.doesNotMatch(rdn.slice(3), /(?<!\\[0-9a-f])[,+"\\;<>=](?![0-9a-f]{2})/);
      }),
      { numRuns: 2000 },
    );
    assert.equal(escapeRdnValue(' #a,b+c '), '\\20#a\\2cb\\2bc\\20');
    assert.equal(escapeRdnValue('#x'), '\\23x');
    assert.deepEqual(firstRdn('AstMohEntryName=default+AstMohEntryPosition=2,ou=x'), [
      { attr: 'AstMohEntryName', value: 'default' },
      { attr: 'AstMohEntryPosition', value: '2' },
    ]);
  });
});

describe('the ara.conf URL of an LDAP database', () => {
  test('base DN, bind, password from the environment, TLS and timeouts', () => {
    const o = parseLdapUrl('dir', 'ldap://ldap.example.com:3389/dc=example,dc=com?bind_dn=cn=asterisk,dc=example,dc=com&password=${LDAP_PW}&query_timeout=1500&page_size=0', { LDAP_PW: 's3 cr&t' });
    assert.equal(o.url, 'ldap://ldap.example.com:3389');
    assert.equal(o.baseDN, 'dc=example,dc=com');
    assert.equal(o.bindDN, 'cn=asterisk,dc=example,dc=com');
    assert.equal(o.password, 's3 cr&t');
    assert.equal(o.queryTimeoutMs, 1500);
    assert.equal(o.connectTimeoutMs, 2000);
    assert.equal(o.pageSize, 0);
    assert.equal(o.startTLS, false);
    assert.equal(o.staticOrder, 'asc');
    const enc = parseLdapUrl('dir', `ldaps://[::1]/${encodeURIComponent('ou=pbx, o=Example Inc.')}`);
    assert.equal(enc.baseDN, 'ou=pbx, o=Example Inc.');
    assert.equal(enc.url, 'ldaps://[::1]');
    assert.equal(enc.bindDN, undefined);
  });

  test('mistakes stop the start with the reason', () => {
    const bad = (url: string, re: RegExp, env: NodeJS.ProcessEnv = {}) => assert.throws(() => parseLdapUrl('dir', url, env), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    bad('ldap://h', /names no base DN/);
    bad('ldap://h/notadn', /is not a DN/);
    bad('ldap://h/dc=x?bind_dn=cn=a,dc=x', /non-empty password/);
    bad('ldap://h/dc=x?bind_dn=cn=a,dc=x&password=', /non-empty password/);
    bad('ldap://h/dc=x?bind_dn=cn=a,dc=x&password=${NOPE}', /NOPE, which is not set/);
    bad('ldap://h/dc=x?password=x', /without bind_dn/);
    bad('ldap://h/dc=x?colour=blue', /unknown option 'colour'/);
    bad('ldaps://h/dc=x?starttls=yes', /ldaps/);
    bad('ldap://cn=a:pw@h/dc=x', /bind_dn= and password=/);
    bad('ldap://h/dc=x?query_timeout=soon', /query_timeout/);
  });

  test('password_file reads the first line', () => {
    const d = mkdtempSync(join(tmpdir(), 'ara-ldap-'));
    try {
      writeFileSync(join(d, 'pw'), 'from-file\nignored\n');
      assert.equal(parseLdapUrl('dir', `ldap://h/dc=x?bind_dn=cn=a,dc=x&password_file=${join(d, 'pw')}`).password, 'from-file');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('the mapping', () => {
  const load = (text: string) => new Mappings('dir', parseConf(text, { file: 'map.conf' }), 'map.conf');

  test('built in for every family: Asterisk\'s attribute names where its schema has them', () => {
    const m = new Mappings('dir');
    const sip = m.get('sippeers')!;
    assert.equal(sip.attrOf.get('name'), 'AstAccountName');
    assert.equal(sip.attrOf.get('md5secret'), 'AstAccountRealmedPassword');
    assert.equal(sip.attrOf.get('session-timers'), 'AstAccountSessionTimers');
    assert.deepEqual(sip.filters, ['(objectClass=AsteriskSIPUser)']);
    assert.deepEqual(sip.objectClasses, ['AsteriskAccount', 'AsteriskSIPUser']);
    assert.equal(sip.rdnAttribute, 'cn');
    assert.equal(m.get('sipfriends')?.table, 'sipfriends');
    assert.equal(m.get('extensions')!.attrOf.get('appdata'), 'AstApplicationData');
    assert.equal(m.get('ast_config')!.attrOf.get('var_metric'), 'AstConfigVariableMetric');
    assert.equal(m.get('config')!.attrOf.get('var_val'), 'AstConfigVariableValue', "res_ldap.conf's [config] is the static table");
    assert.equal(m.get('ps_endpoints')!.attrOf.get('100rel'), 'AstPjsipEndpoint100rel');
    assert.equal(m.get('ps_outbound_publishes')!.attrOf.get('@body'), 'AstPjsipOutboundPublishExtBody');
    assert.deepEqual(m.get('musiconhold_entry')!.rdn, ['name', 'position']);
    assert.equal(m.get('nosuchtable'), null);
    for (const d of ldapDefaults()) assert.equal(new Mappings('dir').get(d.table)!.info.columns.length, Object.keys(familyDef(d.table)!.columns).length, d.table);
  });

  test('a res_ldap.conf-style file changes what it names', () => {
    const m = load(`
[_general]
additionalFilter = (!(description=disabled))
host = AstAccountHostOverride

[sippeers]
name = uid
callerid =
objectClass = inetOrgPerson, AsteriskSIPUser
rdn = name
rdnAttribute = uid
container = ou=people

[testfam]
name = cn
value = description
objectClass = device
rdn = name
container =
`);
    const sip = m.get('sippeers')!;
    assert.equal(sip.attrOf.get('name'), 'uid');
    assert.equal(sip.attrOf.get('host'), 'AstAccountHostOverride', '_general maps for every family that has the column');
    assert.equal(sip.info.byName.has('callerid'), false, 'an empty mapping drops the column');
    assert.deepEqual(sip.filters, ['(objectClass=AsteriskSIPUser)', '(!(description=disabled))']);
    assert.deepEqual(sip.objectClasses, ['inetOrgPerson', 'AsteriskSIPUser']);
    assert.equal(sip.rdnAttribute, 'uid');
    assert.equal(sip.container, 'ou=people');
    const named = load('[sip]\nfamily = sippeers\nname = uid\n').get('sip')!;
    assert.equal(named.attrOf.get('name'), 'uid');
    assert.equal(named.attrOf.get('secret'), 'AstAccountSecret', "a section named as res_ldap.conf's [sip] takes the family it names");
    assert.equal(named.info.byName.get('port')?.kind, 'integer');
    const config = load('[config]\nvariable_name = AstConfigVariableName\nvariable_value = myValue\nadditionalFilter = (objectClass=AstConfig)\n').get('config')!;
    assert.equal(config.attrOf.get('var_val'), 'myValue', "res_ldap.conf's [config] names are understood");
    assert.deepEqual(config.filters, ['(objectClass=AstConfig)']);
    const custom = m.get('testfam')!;
    assert.deepEqual(custom.info.columns.map((c) => `${c.name}:${c.kind}`), ['name:text', 'value:text']);
    assert.equal(custom.container, '');
    assert.equal(m.get('ps_aors')!.attrOf.get('host'), undefined);
  });

  test('schemas/ldap/default-mapping.conf, loaded as a mapping file, is the built-in mapping', () => {
    const builtIn = new Mappings('dir');
    const fromFile = Mappings.fromFile('dir', MAPPING_FILE);
    for (const d of ldapDefaults()) {
      const a = builtIn.get(d.table)!;
      const b = fromFile.get(d.table)!;
      const shape = (m: typeof a) => ({ attrOf: [...m.attrOf], filters: m.filters, objectClasses: m.objectClasses, rdn: m.rdn, rdnAttribute: m.rdnAttribute, container: m.container, columns: m.info.columns });
      assert.deepEqual(shape(b), shape(a), d.table);
    }
  });

  test('mistakes in the file stop the start', () => {
    const bad = (text: string, re: RegExp) => assert.throws(() => load(text), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    bad('[sippeers]\nnmae = uid\n', /no column 'nmae'/);
    bad('[sippeers]\nname = "uid"\n', /not an LDAP attribute name/);
    bad('[sippeers]\nadditionalFilter = objectClass=x\n', /parenthesised/);
    bad('[sippeers]\nadditionalFilter = (objectClass=x\n', /additionalFilter/);
    bad('[sippeers]\nname = cn\nhost = CN\n', /both map to attribute/);
    bad('[testfam]\nname = cn\nrdn = id\n', /rdn column 'id' is not mapped/);
    bad('[sippeers]\ncontainer = people\n', /not a relative DN/);
    bad('[sip]\nfamily = sipfreinds\n', /family 'sipfreinds'/);
  });
});

describe('schemas/ldap/asterisk.schema', () => {
  test('is what generate.ts makes of schemas/ today, as are asterisk.ldif and default-mapping.conf (run it after a family changes)', () => {
    const { text, registry } = renderSchema(readRegistry());
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), text, 'stale: node --import tsx schemas/ldap/generate.ts');
    assert.equal(readFileSync(OIDS_FILE, 'utf8'), `${JSON.stringify(registry, null, 2)}\n`, 'new names need OIDs: node --import tsx schemas/ldap/generate.ts');
    assert.equal(readFileSync(MAPPING_FILE, 'utf8'), renderDefaultMapping(), 'stale: node --import tsx schemas/ldap/generate.ts');
    assert.equal(readFileSync(LDIF_FILE, 'utf8'), renderLdif(text), 'stale: node --import tsx schemas/ldap/generate.ts');
  });

  test("defines every attribute and class the default mapping uses, Asterisk's with Asterisk's OIDs", () => {
    const text = readFileSync(SCHEMA_FILE, 'utf8');
    const names = new Set([...text.matchAll(/NAME '([^']+)'/g)].map((m) => m[1]!.toLowerCase()));
    for (const d of ldapDefaults()) {
      for (const a of d.attributes.values()) assert.ok(names.has(a.toLowerCase()), `${d.table}: ${a}`);
      for (const c of d.objectClasses) assert.ok(names.has(c.toLowerCase()), `${d.table}: class ${c}`);
    }
    assert.match(text, /attributetype \( 1\.3\.6\.1\.4\.1\.22736\.5\.4\.39 NAME 'AstAccountName'/);
    assert.match(text, /objectclass \( 1\.3\.6\.1\.4\.1\.22736\.5\.2\.3 NAME 'AsteriskSIPUser'/);
    assert.match(text, /NAME 'AstConfigVariableMetric'\n[^)]*EQUALITY integerMatch\n\s+ORDERING integerOrderingMatch/);
    assert.match(text, /NAME 'AstPjsipContactExpirationTime'\n[^)]*ORDERING integerOrderingMatch/);
    assert.equal(ldapDefault('ps_contacts')!.attributes.get('expiration_time'), 'AstPjsipContactExpirationTime');
  });
});
