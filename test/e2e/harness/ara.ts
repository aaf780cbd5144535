/**
 * ara-server as Asterisk meets it: a real `ara serve` process on a free loopback port, with an
 * ara.conf (and optionally an extconfig.conf) written into a throwaway directory.
 *
 *   const ara = await startAra({ databases: { main: 'sqlite:ara.sqlite' } });
 *   await ara.store('ps_aors', { id: '1001', max_contacts: '1' });
 *   ... `${ara.url}/realtime/ps_aors` in Asterisk's extconfig.conf ...
 *   await ara.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLI } from '../../support/cli.js';

export interface AraOptions {
  /** name => URL for [databases]; default one SQLite file in the throwaway directory */
  databases?: Record<string, string>;
  /** ara's extconfig.conf; left out, every family maps to the first database */
  extconfig?: string;
  /** extra ara.conf text appended after [databases] (e.g. a [dialplan] section) */
  conf?: string;
  /** log_level (default info) */
  logLevel?: string;
  /** node options for the ara process, e.g. ['--import', '/path/preload.js'] */
  nodeArgs?: string[];
  /** the compiled CLI (dist/src/cli.js) instead of the TypeScript sources */
  compiled?: boolean;
  env?: NodeJS.ProcessEnv;
  /** how long starting may take, ms (default 60 s) */
  startTimeoutMs?: number;
}

export interface RunningAra {
  /** http://127.0.0.1:PORT */
  url: string;
  /** the throwaway directory holding ara.conf, extconfig.conf and SQLite files */
  dir: string;
  /** every line ara wrote to stdout/stderr */
  output: string[];
  /** POSTs fields to /realtime/FAMILY/store and checks the answer is `1` */
  store(family: string, fields: Record<string, string>): Promise<void>;
  /** POSTs a raw body to a path under /realtime */
  realtime(path: string, body: string): Promise<{ status: number; body: string }>;
  /** SIGTERM, SIGKILL after a deadline; deletes the directory */
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '../../..');
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startAra(opts: AraOptions = {}): Promise<RunningAra> {
  const dir = mkdtempSync(join(tmpdir(), 'ara-e2e-'));
  const databases = opts.databases ?? { main: `sqlite:${join(dir, 'ara.sqlite')}` };
  const conf = [
    '[general]',
    'listen = 127.0.0.1:0',
    `data_dir = ${join(dir, 'data')}`,
    `log_level = ${opts.logLevel ?? 'info'}`,
    'migrate = yes',
    ...(opts.extconfig !== undefined ? ['extconfig = extconfig.conf'] : []),
    '[databases]',
    ...Object.entries(databases).map(([k, v]) => `${k} => ${v}`),
    opts.conf ?? '',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'ara.conf'), conf);
  if (opts.extconfig !== undefined) writeFileSync(join(dir, 'extconfig.conf'), opts.extconfig);

  const compiled = join(ROOT, 'dist/src/cli.js');
  const entry = opts.compiled && existsSync(compiled) ? [compiled] : ['--import', 'tsx', CLI];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry, '-c', join(dir, 'ara.conf'), 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<void>((done) => child.once('exit', () => (live.delete(child), done())));
  const output: string[] = [];
  let pending = '';
  let onLine: ((line: string) => void) | undefined;
  const collect = (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) {
      output.push(l);
      onLine?.(l);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 10_000)))]);
      clearTimeout(timer);
      if (late) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  let url: string;
  try {
    url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`ara-server did not start within ${opts.startTimeoutMs ?? 60_000} ms:\n${output.join('\n')}`)), opts.startTimeoutMs ?? 60_000);
      onLine = (l) => {
        const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"ara-server listening"/.exec(l);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      };
      void exited.then(() => {
        clearTimeout(timer);
        fail(new Error(`ara-server exited (${child.exitCode}) while starting:\n${[...output, pending].join('\n')}`));
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  onLine = undefined;

  const realtime = async (path: string, body: string) => {
    const r = await fetch(`${url}/realtime/${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    return { status: r.status, body: await r.text() };
  };
  return {
    url,
    dir,
    output,
    realtime,
    store: async (family, fields) => {
      const r = await realtime(`${family}/store`, new URLSearchParams(fields).toString().replace(/\+/g, '%20'));
      if (r.body !== '1\n') throw new Error(`storing into ${family}: ${r.status} ${JSON.stringify(r.body)}`);
    },
    stop,
  };
}

/**
 * Asterisk's extconfig.conf lines sending FAMILIES to ara (res_config_curl), and static FILES
 * (`sip.conf => curl,...`).
 */
export function curlExtconfig(araUrl: string, families: string[], files: string[] = []): string {
  return [
    '[settings]',
    ...families.map((f) => `${f} => curl,${araUrl}/realtime/${f}`),
    ...files.map((f) => `${f} => curl,${araUrl}/realtime`),
    '',
  ].join('\n');
}

/** res_curl.conf as the README recommends it. */
export const RES_CURL_CONF = '[globals]\nhttptimeout = 5\nconntimeout = 2\nfailurecodes = 503\n';
