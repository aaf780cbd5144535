import { isNumericKind } from '../../../schemas/define.js';
import type { LiveColumn } from '../../realtime/types.js';

/** Stored values in the order SQL would sort the column: numbers numerically, text by code unit, missing last. */
export function compareStored(c: LiveColumn, a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (isNumericKind(c.kind)) {
    const x = Number(a);
    const y = Number(b);
    if (!Number.isNaN(x) && !Number.isNaN(y) && x !== y) return x < y ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
