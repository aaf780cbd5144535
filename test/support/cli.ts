import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/** The `ara` command as an administrator runs it: a real process from the TypeScript sources. */
export const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
const exec = promisify(execFile);

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `ara ARGS`, resolving with its exit code and output whatever the code. */
export async function ara(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const r = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}
