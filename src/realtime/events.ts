import { EventEmitter } from 'node:events';
import type { Field, Filter } from './types.js';

/**
 * One stream of every write, whatever surface it came through, so caches, the switch index and
 * push to Asterisk nodes subscribe in one place.
 */
export interface ChangeEvent {
  family: string;
  table: string;
  store: string;
  operation: 'store' | 'update' | 'destroy';
  filters: readonly Filter[];
  fields: readonly Field[];
  count: number;
}

/**
 * Rows of a table changed somewhere else (another instance, SQL behind ara's back), seen in the
 * database's change log: what this process holds about the table is stale. Not a write: push,
 * history and metrics do not listen to it.
 */
export interface StaleEvent {
  store: string;
  table: string;
}

export class ChangeStream extends EventEmitter<{ change: [ChangeEvent]; stale: [StaleEvent] }> {
  publish(e: ChangeEvent): void {
    this.emit('change', e);
  }

  announceStale(e: StaleEvent): void {
    this.emit('stale', e);
  }
}
