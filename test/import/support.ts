import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { embeddedDefault } from '../../src/config/settings.js';
import { applyPlan, type Outcome, type WriteWorld } from '../../src/import/apply.js';
import { planFile } from '../../src/import/dispatch.js';
import { exportConf } from '../../src/import/export.js';
import { mergePlans } from '../../src/import/model.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';

/** An embedded SQLite world as `ara serve` opens it, in a throwaway directory. */
export async function openWorld(): Promise<{ world: WriteWorld; runtime: Runtime; dir: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ara-import-'));
  const runtime = await openRuntime(embeddedDefault(dir), pino({ level: 'silent' }));
  return {
    world: { realtime: runtime.realtime, stores: runtime.stores },
    runtime,
    dir,
    close: async () => {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Imports files given as name -> text, in one run, as `ara import` does. */
export async function importTexts(world: WriteWorld, files: Record<string, string>, dryRun = false): Promise<Outcome> {
  const plan = mergePlans(Object.entries(files).map(([name, text]) => planFile(name, text, { into: 'realtime' })));
  return applyPlan(world, plan, { dryRun, actor: { tokenId: null, name: 'import', requestId: 'test-import', resource: 'import' } });
}

export async function exportTexts(world: WriteWorld, names: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of names) out[n] = (await exportConf(world, n)).text;
  return out;
}

/** Counts summed over families: what a run that changes nothing must show as 0/0/0. */
export function totals(o: Outcome): { added: number; changed: number; unchanged: number; removed: number } {
  const t = { added: 0, changed: 0, unchanged: 0, removed: 0 };
  for (const c of o.counts.values()) {
    t.added += c.added;
    t.changed += c.changed;
    t.unchanged += c.unchanged;
    t.removed += c.removed;
  }
  return t;
}
