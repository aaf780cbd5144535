import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Child processes (Asterisk, ara-server) killed when this process ends in any way: a normal exit,
 * or a signal such as the SIGTERM node --test sends a file that ran past its deadline, after
 * which the signal's default action (ending the process) still happens.
 */
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
  if (process.env.ARA_TEST_KEEP_ASTERISK !== '1') for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** A throwaway directory deleted when this process ends, unless stop() already did. */
export function removeOnExit(dir: string): () => void {
  install();
  dirs.add(dir);
  return () => dirs.delete(dir);
}

export function killOnExit(child: ChildProcess): void {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function install(): void {
  if (!installed) {
    installed = true;
    process.once('exit', killAll);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        killAll();
        process.kill(process.pid, sig);
      });
    }
  }
}
