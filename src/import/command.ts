import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import pino from 'pino';
import { familyDef } from '../../schemas/index.js';
import type { Settings } from '../config/settings.js';
import { ConfigError } from '../config/errors.js';
import { openRuntime } from '../runtime.js';
import { applyPlan, ImportFailed, type Outcome } from './apply.js';
import { planFile } from './dispatch.js';
import { exportConf } from './export.js';
import { mergePlans, type ImportPlan, type Problem } from './model.js';

/** `ara import` and `ara export` as the CLI runs them. */

export interface ImportArgs {
  files: string[];
  into: string;
  dryRun: boolean;
  database?: string;
}

export async function runImport(settings: Settings, a: ImportArgs): Promise<number> {
  if (a.into !== 'realtime' && a.into !== 'static') throw new ConfigError(`--into must be realtime or static, not '${a.into}'`);
  const runtime = await openRuntime(settings, pino({ level: 'silent' }));
  try {
    const ext = familyDef('extensions')!;
    const extensionsFamily = [ext.name, ...ext.aliases].find((n) => runtime.registry.has(n)) ?? 'extensions';
    const plans: ImportPlan[] = [];
    for (const f of a.files) {
      let textOf: string;
      try {
        textOf = readFileSync(f, 'utf8');
      } catch (err) {
        throw new ConfigError(`cannot read '${f}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      plans.push(planFile(f, textOf, { into: a.into, extensionsFamily }));
    }
    const plan = mergePlans(plans);
    const bar = progressBar(plan.rows.length);
    let outcome: Outcome;
    try {
      outcome = await applyPlan({ realtime: runtime.realtime, stores: runtime.stores }, plan, {
        dryRun: a.dryRun,
        ...(a.database ? { database: a.database } : {}),
        actor: { tokenId: null, name: 'import', requestId: `import-${randomUUID()}`, resource: 'import' },
        ...(bar ? { onProgress: bar } : {}),
      });
    } catch (err) {
      if (bar) process.stderr.write('\n');
      if (err instanceof ImportFailed) {
        console.error('ara import: nothing was written; these lines cannot be imported:');
        for (const p of err.problems) console.error(`  ${line(p)}`);
        return 1;
      }
      throw err;
    }
    if (bar) process.stderr.write('\n');
    if (a.dryRun) {
      for (const d of outcome.diff) console.log(d);
      if (outcome.diff.length === 0) console.log('no change');
    }
    printSummary(plan, outcome);
    return 0;
  } finally {
    await runtime.close();
  }
}

const line = (p: Problem) => `${p.file}:${p.line}: ${p.reason}`;

function printSummary(plan: ImportPlan, o: Outcome): void {
  const rows = [...o.counts.entries()].sort(([a], [b]) => a.localeCompare(b));
  const w = Math.max(6, ...rows.map(([f]) => f.length));
  console.log(`${'family'.padEnd(w)}  ${['added', 'changed', 'unchanged', 'removed'].map((h) => h.padStart(10)).join('')}`);
  for (const [f, c] of rows) console.log(`${f.padEnd(w)}  ${[c.added, c.changed, c.unchanged, c.removed].map((n) => String(n).padStart(10)).join('')}`);
  if (plan.keptStatic.length > 0) {
    console.log(`kept in the static table (${plan.keptStatic.length}):`);
    for (const p of plan.keptStatic) console.log(`  ${line(p)}`);
  }
  if (plan.skipped.length > 0) {
    console.log(`not imported (${plan.skipped.length}):`);
    for (const p of plan.skipped) console.log(`  ${line(p)}`);
  }
  console.log(o.dryRun ? 'dry run: nothing written' : 'imported in one transaction');
}

/** A bar on a terminal for runs long enough to want one. */
function progressBar(total: number): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY || total < 200) return undefined;
  let last = -1;
  return (done, all) => {
    const pct = Math.floor((done / all) * 100);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const fill = Math.round((pct / 100) * width);
    process.stderr.write(`\rimporting [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${done}/${all}`);
  };
}

export async function runExport(settings: Settings, what: string, o: { format: string; output?: string }): Promise<number> {
  if (o.format !== 'conf') throw new ConfigError(`--format must be conf, not '${o.format}'`);
  const runtime = await openRuntime(settings, pino({ level: 'silent' }));
  try {
    const { text } = await exportConf({ realtime: runtime.realtime, stores: runtime.stores }, what);
    if (o.output) writeFileSync(o.output, text);
    else process.stdout.write(text);
    return 0;
  } finally {
    await runtime.close();
  }
}
