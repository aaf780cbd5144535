/**
 * Writes migrations/frozen/<MIGRATION>.ts: the definitions of the named tables (default: every
 * family and ast_config) and the enum types they use, as schemas/ has them now, for a new
 * migration to create them from.
 *
 *   node --import tsx scripts/freeze-tables.ts 20270101000000_some_change [TABLE...]
 *
 * Run it ONCE, when the migration is written. A frozen file is part of its migration: once the
 * migration is released it is never regenerated or edited, or databases migrated before and after
 * would differ. The script refuses to overwrite a file that exists.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { astConfig, enums, families, type FamilyDef } from '../schemas/index.js';

const [migration, ...wanted] = process.argv.slice(2);
if (!migration || !/^\d{14}_[a-z0-9_]+$/.test(migration)) {
  console.error('usage: freeze-tables.ts YYYYMMDDhhmmss_name [TABLE...]');
  process.exit(2);
}
const out = resolve(import.meta.dirname, '../migrations/frozen', `${migration}.ts`);
if (existsSync(out)) {
  console.error(`${out} exists; a frozen definition is never regenerated`);
  process.exit(1);
}
const all = [...families, astConfig];
const tables = wanted.length === 0 ? all : wanted.map((n) => all.find((f) => f.name === n) ?? fail(`no table ${n} in schemas/`));
const enumNames = [...new Set(tables.flatMap((t) => Object.values(t.columns).flatMap((c) => (c.enumName ? [c.enumName] : []))))].sort();

function fail(msg: string): never {
  console.error(msg);
  process.exit(1);
}

const j = (v: unknown) => JSON.stringify(v);
function table(t: FamilyDef): string {
  const cols = Object.entries(t.columns).map(([name, c]) => {
    const { kind, length, precision, scale, enumName, enumValues, notNull, autoIncrement, default: dflt } = c;
    const frozen = { kind, length, precision, scale, enumName, enumValues, notNull, autoIncrement, default: dflt };
    return `      ${j(name)}: ${j(frozen)},`;
  });
  return [
    '  {',
    `    name: ${j(t.name)},`,
    `    primaryKey: ${j(t.primaryKey)},`,
    `    unique: ${j(t.unique)},`,
    `    indexes: ${j(t.indexes)},`,
    '    columns: {',
    ...cols,
    '    },',
    '  },',
  ].join('\n');
}

const text = `// Frozen by scripts/freeze-tables.ts from schemas/ for the migration ${migration}.
// NEVER regenerate or edit once that migration is released: change a table with a new migration
// (and schemas/), see migrations/README.md.
import type { FrozenTable } from './types.js';

export const enums: Readonly<Record<string, readonly string[]>> = {
${enumNames.map((n) => `  ${n}: ${j(enums[n as keyof typeof enums])},`).join('\n')}
};

export const tables: readonly FrozenTable[] = [
${tables.map(table).join('\n')}
];
`;
writeFileSync(out, text);
console.log(`wrote ${out}: ${tables.length} tables, ${enumNames.length} enum types`);
