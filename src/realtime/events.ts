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

export class ChangeStream extends EventEmitter<{ change: [ChangeEvent] }> {
  publish(e: ChangeEvent): void {
    this.emit('change', e);
  }
}
