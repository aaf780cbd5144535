import type { Field, Filter, RealtimeInterface, RequireProblem, Requirement, Row, StaticEntry } from '../realtime/types.js';
import type { DialplanSwitch } from './switch.js';

/**
 * The realtime interface with the realtime switch in front, for the Asterisk surface:
 * pbx_realtime's lookups on a family served as a dialplan are answered by the switch (the
 * static dialplan's rules, switch.ts); every other request, and every lookup the switch leaves
 * alone, goes to the interface underneath unchanged.
 */
export class SwitchedRealtime implements RealtimeInterface {
  constructor(
    private readonly inner: RealtimeInterface,
    private readonly dialplan: DialplanSwitch,
  ) {}

  async single(family: string, filters: readonly Filter[]): Promise<Row | null> {
    if (this.dialplan.resolves(family)) {
      const resolved = await this.dialplan.single(family, filters);
      if (resolved !== undefined) return resolved;
    }
    return this.inner.single(family, filters);
  }

  /** pbx_realtime's pattern download, in precedence order. */
  async multi(family: string, filters: readonly Filter[]): Promise<Row[]> {
    if (this.dialplan.resolves(family)) {
      const rows = await this.dialplan.multi(family, filters);
      if (rows !== undefined) return rows;
    }
    return this.inner.multi(family, filters);
  }

  update(family: string, lookup: readonly Filter[], fields: readonly Field[]): Promise<number> {
    return this.inner.update(family, lookup, fields);
  }

  store(family: string, fields: readonly Field[]): Promise<number> {
    return this.inner.store(family, fields);
  }

  destroy(family: string, filters: readonly Filter[]): Promise<number> {
    return this.inner.destroy(family, filters);
  }

  require(family: string, reqs: readonly Requirement[]): Promise<RequireProblem[]> {
    return this.inner.require(family, reqs);
  }

  staticFile(file: string): Promise<StaticEntry[]> {
    return this.inner.staticFile(file);
  }

  columns(family: string): Promise<string[]> {
    return this.inner.columns(family);
  }
}
