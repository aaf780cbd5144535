/**
 * One stored row plus what the index needs to order it. Rows are ordered like the static
 * dialplan orders extensions (`compareExtensions`, via the precedence key); rows whose
 * extensions compare equal (`_NXX` and `_[2-9]XX`, or `555-1234` and `5551234`) keep the order
 * they were added in, as a stable sort of the rows would.
 */
export interface RowRecord<R> {
  row: R;
  readonly exten: string;
  readonly priority: number;
  /** Order of first addition; replacing a row keeps it. */
  readonly seq: number;
  /** `precedenceKey(exten)`. */
  readonly key: string;
}

/** True when `a` comes before `b` in precedence order. */
export function before<R>(a: RowRecord<R>, b: RowRecord<R>): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}

export function earlier<R>(a: RowRecord<R> | null, b: RowRecord<R> | null): RowRecord<R> | null {
  if (a === null) return b;
  if (b === null) return a;
  return before(b, a) ? b : a;
}

/** `rows` are kept in `seq` order, so the first hit is the earliest. */
export function firstWithPriority<R>(rows: readonly RowRecord<R>[], priority: number): RowRecord<R> | null {
  for (let i = 0; i < rows.length; i++) if (rows[i]!.priority === priority) return rows[i]!;
  return null;
}

export function hasPriority<R>(rows: readonly RowRecord<R>[], priority: number): boolean {
  return firstWithPriority(rows, priority) !== null;
}

/**
 * `rows` plus `rec`, in `seq` order, as a new exact-size array (`concat` allocates exactly;
 * push and spread reserve room for 16): most extensions hold one or a few rows.
 */
export function withRecord<R>(rows: readonly RowRecord<R>[], rec: RowRecord<R>): RowRecord<R>[] {
  let i = rows.length;
  while (i > 0 && rows[i - 1]!.seq > rec.seq) i--;
  return i === rows.length ? rows.concat([rec]) : rows.slice(0, i).concat([rec], rows.slice(i));
}

export function withoutRecord<R>(rows: readonly RowRecord<R>[], rec: RowRecord<R>): RowRecord<R>[] {
  return rows.filter((r) => r !== rec);
}
