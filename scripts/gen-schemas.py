#!/usr/bin/env python3
"""Generate schemas/families/*.ts and schemas/enums.ts from the PostgreSQL dump of a database
created by Asterisk's own alembic migrations (../shared/reference/alembic).

Run once per Asterisk schema update, review the diff, commit the output. The dump is the
authority for column names, order, types, nullability, keys and indexes; what the dump lacks
(aliases, natural keys, secrets, the static table ast_config) is added below by hand."""
import re, sys, os, json

DUMP = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), '..', '..', 'shared', 'reference', 'alembic', 'asterisk-schema-postgresql.sql')
OUT = os.path.join(os.path.dirname(__file__), '..', 'schemas')

sql = open(DUMP).read()
FAMILIES = ['sippeers', 'iaxfriends', 'voicemail', 'extensions', 'meetme', 'musiconhold', 'musiconhold_entry',
            'queues', 'queue_members', 'queue_rules', 'queue_log', 'ps_endpoints', 'ps_aors', 'ps_auths',
            'ps_contacts', 'ps_domain_aliases', 'ps_endpoint_id_ips', 'ps_registrations', 'ps_transports',
            'ps_globals', 'ps_systems', 'ps_outbound_publishes', 'ps_inbound_publications',
            'ps_asterisk_publications', 'ps_resource_list', 'ps_subscription_persistence', 'stir_tn']

# What alembic does not say: which families answer for other names, the key Asterisk looks rows
# up by, and which columns are secrets (write-only in the management API).
EXTRA = {
    'sippeers': dict(aliases=['sipusers', 'sipregs', 'sipfriends'], key='name', secrets=['secret', 'md5secret', 'remotesecret']),
    'iaxfriends': dict(aliases=['iaxusers', 'iaxpeers'], key='name', secrets=['secret', 'dbsecret']),
    'voicemail': dict(key='uniqueid', secrets=['password', 'imappassword']),
    'extensions': dict(key='id'),
    'meetme': dict(key='bookid', secrets=['pin', 'adminpin']),
    'musiconhold': dict(key='name'),
    'musiconhold_entry': dict(key=None),
    'queues': dict(key='name'),
    'queue_members': dict(key='uniqueid'),
    'queue_rules': dict(key=None),
    'queue_log': dict(key='id'),
    'ps_auths': dict(key='id', secrets=['password', 'md5_cred', 'oauth_secret', 'refresh_token', 'password_digest']),
    'ps_transports': dict(key='id', secrets=['password']),
}

enums = {}
for m in re.finditer(r"CREATE TYPE public\.(\w+) AS ENUM \((.*?)\);", sql, re.S):
    enums[m.group(1)] = re.findall(r"'((?:[^']|'')*)'", m.group(2))

def parse_type(t):
    t = t.strip()
    m = re.match(r'character varying\((\d+)\)', t)
    if m: return f"varchar({m.group(1)})"
    m = re.match(r'numeric\((\d+),(\d+)\)', t)
    if m: return f"numeric({m.group(1)}, {m.group(2)})"
    m = re.match(r'public\.(\w+)', t)
    if m: return f"enumOf('{m.group(1)}')"
    return {'integer': 'integer()', 'bigint': 'bigint()', 'smallint': 'smallint()', 'text': 'text()',
            'double precision': 'float8()', 'real': 'float8()', 'boolean': 'boolean()', 'bytea': 'binary()',
            'timestamp without time zone': 'timestamp()', 'date': 'date()'}[t]

tables = {}
for m in re.finditer(r"CREATE TABLE public\.(\w+) \((.*?)\n\);", sql, re.S):
    cols = []
    for line in m.group(2).strip().split('\n'):
        line = line.strip().rstrip(',')
        cm = re.match(r'("[^"]+"|\S+)\s+(.*?)(\s+NOT NULL)?$', line)
        name = cm.group(1).strip('"')
        cols.append(dict(name=name, type=parse_type(cm.group(2)), notnull=bool(cm.group(3))))
    tables[m.group(1)] = dict(columns=cols, pk=None, unique=[], indexes=[], autoinc=None)

def collist(s):
    return [c.strip().strip('"') for c in s.split(',')]

for m in re.finditer(r"ALTER TABLE ONLY public\.(\w+)\s+ADD CONSTRAINT (\w+) (PRIMARY KEY|UNIQUE) \(([^)]*)\);", sql):
    t = tables[m.group(1)]
    if m.group(3) == 'PRIMARY KEY': t['pk'] = collist(m.group(4))
    else: t['unique'].append(collist(m.group(4)))
for m in re.finditer(r"CREATE (UNIQUE )?INDEX (\w+) ON public\.(\w+) USING btree \(([^)]*)\);", sql):
    t = tables[m.group(3)]
    cols = collist(m.group(4))
    (t['unique'] if m.group(1) else t['indexes']).append(cols)
for m in re.finditer(r"ALTER TABLE ONLY public\.(\w+) ALTER COLUMN (\w+) SET DEFAULT nextval", sql):
    tables[m.group(1)]['autoinc'] = m.group(2)

def q(s): return json.dumps(s)
def key_literal(name):
    return name if re.match(r'^[A-Za-z_$][\w$]*$', name) else q(name)

os.makedirs(os.path.join(OUT, 'families'), exist_ok=True)
used_enums = set()
for fam in FAMILIES:
    t = tables[fam]
    extra = EXTRA.get(fam, {})
    key = extra.get('key', 'id')
    lines = []
    for c in t['columns']:
        opts = []
        if c['notnull']: opts.append('notNull: true')
        if t['autoinc'] == c['name']: opts.append('autoIncrement: true')
        ty = c['type']
        if ty.startswith('enumOf'): used_enums.add(re.search(r"'(\w+)'", ty).group(1))
        if opts:
            ty = ty[:-1] + (', ' if not ty.endswith('()') else '') + '{ ' + ', '.join(opts) + ' })'
        lines.append(f"    {key_literal(c['name'])}: {ty},")
    parts = [f"  name: {q(fam)},"]
    if extra.get('aliases'): parts.append(f"  aliases: {q(extra['aliases'])},")
    if key: parts.append(f"  key: {q(key)},")
    if t['pk']: parts.append(f"  primaryKey: {q(t['pk'])},")
    uniq = [u for u in t['unique'] if u != t['pk']]
    # alembic often creates both a UNIQUE constraint and a unique index on the same columns
    dedup = []
    for u in uniq:
        if u not in dedup: dedup.append(u)
    if dedup: parts.append(f"  unique: {q(dedup)},")
    idx = [i for i in t['indexes'] if i not in dedup and i != t['pk']]
    if idx: parts.append(f"  indexes: {q(idx)},")
    if extra.get('secrets'): parts.append(f"  secrets: {q(extra['secrets'])},")
    body = '\n'.join(parts) + '\n  columns: {\n' + '\n'.join(lines) + '\n  },'
    imports = sorted(set(re.findall(r"\b(varchar|numeric|enumOf|integer|bigint|smallint|text|float8|boolean|binary|timestamp|date)\(", '\n'.join(lines))))
    src = ("// Generated by scripts/gen-schemas.py from Asterisk's alembic schema; edit the generator, not this file.\n"
           f"import {{ defineFamily, {', '.join(imports)} }} from '../define.js';\n\n"
           f"export default defineFamily({{\n{body}\n}});\n")
    open(os.path.join(OUT, 'families', f'{fam}.ts'), 'w').write(src)

with open(os.path.join(OUT, 'enums.ts'), 'w') as f:
    f.write("// Generated by scripts/gen-schemas.py from Asterisk's alembic schema (PostgreSQL enum types;\n"
            "// MySQL gets the same labels as inline ENUMs, SQLite a CHECK constraint).\n")
    f.write("export const enums = {\n")
    for name in sorted(used_enums):
        f.write(f"  {name}: {q(enums[name])},\n")
    f.write("} as const satisfies Record<string, readonly string[]>;\n\nexport type EnumName = keyof typeof enums;\n")
print('families:', len(FAMILIES), 'enums:', len(used_enums))
