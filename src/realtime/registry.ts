import type { Mapping } from '../config/extconfig.js';
import { isStaticName } from '../config/extconfig.js';
import { ConfigError } from '../config/errors.js';
import { UnknownFamily, UnknownStaticFile } from './errors.js';
import type { RealtimeStore, Target } from './types.js';

/**
 * Resolves a family or a static file to where it lives, from extconfig.conf's mappings.
 * Resolution happens once, at construction: requests only do a map lookup.
 */
export class Registry {
  private readonly familyTargets = new Map<string, Target[]>();
  private readonly fileTargets = new Map<string, Target>();

  constructor(mappings: readonly Mapping[], stores: ReadonlyMap<string, RealtimeStore>) {
    const byName = new Map<string, Map<number, Mapping>>();
    for (const m of mappings) {
      const store = stores.get(m.database);
      if (!store) {
        throw new ConfigError(`extconfig line ${m.line}: '${m.name}' uses database '${m.database}', which ara.conf [databases] does not define`);
      }
      const expected = DRIVER_KIND[m.driver];
      if (store.kind !== expected) {
        throw new ConfigError(`extconfig line ${m.line}: '${m.name}' says driver '${m.driver}' but database '${m.database}' is ${store.kind}`);
      }
      const key = m.name.toLowerCase();
      const prios = byName.get(key) ?? new Map<number, Mapping>();
      // Two lines with the same family and priority: the later one wins, as in Asterisk.
      prios.set(m.priority, m);
      byName.set(key, prios);
    }
    for (const [name, prios] of byName) {
      const targets: Target[] = [];
      // Asterisk walks priorities 1, 2, 3... and stops at the first gap.
      for (let p = 1; prios.has(p); p++) {
        const m = prios.get(p)!;
        targets.push({ store: stores.get(m.database)!, table: m.table });
      }
      if (targets.length === 0) continue;
      if (isStaticName(name)) this.fileTargets.set(name, targets[0]!);
      else this.familyTargets.set(name, targets);
    }
  }

  /** The targets of a family in priority order. */
  targets(family: string): Target[] {
    const t = this.familyTargets.get(family) ?? this.familyTargets.get(family.toLowerCase());
    if (!t) throw new UnknownFamily(family);
    return t;
  }

  has(family: string): boolean {
    return this.familyTargets.has(family.toLowerCase());
  }

  /** Static files are read from priority 1 only; `global` serves every file without its own line. */
  staticTarget(file: string): Target {
    const t = this.fileTargets.get(file.toLowerCase()) ?? this.fileTargets.get('global');
    if (!t) throw new UnknownStaticFile(file);
    return t;
  }

  families(): string[] {
    return [...this.familyTargets.keys()];
  }

  staticFiles(): string[] {
    return [...this.fileTargets.keys()];
  }

  /** Every distinct (store, table) pair in use, for `ara check`. */
  allTargets(): { name: string; target: Target; static: boolean }[] {
    const out: { name: string; target: Target; static: boolean }[] = [];
    for (const [name, ts] of this.familyTargets) for (const target of ts) out.push({ name, target, static: false });
    for (const [name, target] of this.fileTargets) out.push({ name, target, static: true });
    return out;
  }
}

const DRIVER_KIND = { sqlite3: 'sqlite', pgsql: 'pg', mysql: 'mysql', ldap: 'ldap' } as const;
