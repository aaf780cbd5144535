import { isIntegerKind, isNumericKind } from '../../schemas/define.js';
import { BadValue } from './errors.js';
import type { LiveColumn } from './types.js';

/**
 * How a string from Asterisk becomes a value a column accepts. Every store applies the same
 * rules, so a value SQLite would take silently and PostgreSQL would refuse gets one precise
 * error everywhere, before anything is written.
 */

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;
const BOOLEAN = /^(?:t|f|true|false|y|n|yes|no|on|off|1|0)$/i;

export const isTextKind = (c: LiveColumn) => c.kind === 'varchar' || c.kind === 'text';

/** A value that can be compared with the column as its own type (not as text). */
/** The range each integer kind holds on every store (PostgreSQL and MySQL refuse the rest). */
const INTEGER_RANGE = {
  smallint: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
} as const;

export function fitsType(c: LiveColumn, value: string): boolean {
  if (isIntegerKind(c.kind)) {
    if (!INTEGER.test(value) || value.length > 20) return false;
    const [min, max] = INTEGER_RANGE[c.kind as keyof typeof INTEGER_RANGE];
    const n = BigInt(value);
    return n >= min && n <= max;
  }
  if (isNumericKind(c.kind)) return FLOAT.test(value) && Number.isFinite(Number(value));
  if (c.kind === 'enum') return c.enumValues ? c.enumValues.includes(value) : true;
  if (c.kind === 'timestamp' || c.kind === 'date') return TIMESTAMP.test(value);
  if (c.kind === 'boolean') return BOOLEAN.test(value);
  return true;
}

/**
 * The value to write. An empty string means "no value" for a column that is not text (Asterisk's
 * sorcery sends `via_port=` for an unset port): it is written as NULL, as res_config_odbc does.
 */
export function valueToWrite(table: string, c: LiveColumn, value: string | null): string | null {
  if (value === null || (value === '' && !isTextKind(c))) {
    if (!c.nullable && !c.autoIncrement) throw new BadValue(table, c.name, 'a value is required');
    return null;
  }
  if (!fitsType(c, value)) {
    const want =
      c.kind === 'enum' ? `one of ${(c.enumValues ?? []).join(', ')}` :
      isIntegerKind(c.kind) ? `an integer that fits ${c.sqlType}` :
      isNumericKind(c.kind) ? 'a number' :
      c.kind === 'boolean' ? 'a boolean' : 'a date and time (YYYY-MM-DD HH:MM:SS)';
    // The value stays out of the message: messages reach logs, and a value may be a secret.
    throw new BadValue(table, c.name, `the value (${[...value].length} characters) is not ${want} (column type ${c.sqlType})`);
  }
  if (c.length !== undefined && isTextKind(c) && [...value].length > c.length) {
    throw new BadValue(table, c.name, `${[...value].length} characters exceed the column width ${c.length}`);
  }
  return value;
}

