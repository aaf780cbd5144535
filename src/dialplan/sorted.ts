/**
 * Items kept in the plain JS order of a unique string `key`, for prefix range queries.
 * Additions are buffered and merged on the next read, so loading a whole context one row at a
 * time costs one sort, not one array shift per row.
 */
export class SortedByKey<T extends { readonly key: string }> {
  private items: T[] = [];
  private pending: T[] = [];

  get length(): number {
    this.flush();
    return this.items.length;
  }

  add(item: T): void {
    this.pending.push(item);
  }

  delete(item: T): boolean {
    this.flush();
    const i = this.lowerBound(item.key);
    if (this.items[i] !== item) return false;
    this.items.splice(i, 1);
    return true;
  }

  clear(): void {
    this.items = [];
    this.pending = [];
  }

  at(i: number): T | undefined {
    this.flush();
    return this.items[i];
  }

  /** Index of the first item whose key is >= `key`. */
  lowerBound(key: string): number {
    this.flush();
    return lowerBoundIn(this.items, key);
  }

  private flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    if (pending.length <= 16) {
      for (const item of pending) this.items.splice(lowerBoundIn(this.items, item.key), 0, item);
      return;
    }
    pending.sort(byKey);
    const old = this.items;
    const merged: T[] = new Array<T>(old.length + pending.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < pending.length) merged[k++] = old[i]!.key <= pending[j]!.key ? old[i++]! : pending[j++]!;
    while (i < old.length) merged[k++] = old[i++]!;
    while (j < pending.length) merged[k++] = pending[j++]!;
    this.items = merged;
  }
}

function lowerBoundIn(items: readonly { readonly key: string }[], key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function byKey(a: { readonly key: string }, b: { readonly key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
