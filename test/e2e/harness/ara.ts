/**
 * ara-server as Asterisk meets it: a real `ara serve` process on a free loopback port, with an
 * ara.conf (and optionally an extconfig.conf) written into a throwaway directory.
 *
 *   const ara = await startAra({ databases: { main: 'sqlite:ara.sqlite' } });
 *   await ara.store('ps_aors', { id: '1001', max_contacts: '1' });
 *   ... `${ara.url}/realtime/ps_aors` in Asterisk's extconfig.conf ...
 *   await ara.stop();
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ara as araCli, CLI } from '../../support/cli.js';
import { killOnExit, removeOnExit } from './cleanup.js';

export interface AraOptions {
  /** name => URL for [databases]; default one SQLite file in the throwaway directory */
  databases?: Record<string, string>;
  /** ara's extconfig.conf; left out, every family maps to the first database */
  extconfig?: string;
  /** extra ara.conf text appended after [databases] (e.g. a [dialplan] section) */
  conf?: string;
  /** log_level (default info; the start is seen in an info line) */
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
  /** the ara process */
  pid: number;
  /** the throwaway directory holding ara.conf, extconfig.conf and SQLite files */
  dir: string;
  /** every line ara wrote to stdout/stderr */
  output: string[];
  /** POSTs fields to /realtime/FAMILY/store and checks the answer is `1` */
  store(family: string, fields: Record<string, string>): Promise<void>;
  /** POSTs a raw body to a path under /realtime */
  realtime(path: string, body: string): Promise<{ status: number; body: string }>;
  /** a management API bearer token (`ara token create`, as an operator makes one) */
  token(scopes?: string): Promise<string>;
  /** replaces a static configuration file through the management API (`.conf` text) */
  putConfigFile(name: string, text: string): Promise<void>;
  /** SIGTERM, SIGKILL after a deadline; deletes the directory */
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '../../..');

export async function startAra(opts: AraOptions = {}): Promise<RunningAra> {
  const dir = mkdtempSync(join(tmpdir(), 'ara-e2e-'));
  const forgetDir = removeOnExit(dir);
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
  killOnExit(child);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
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
    forgetDir();
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
  const token = async (scopes = 'read,write,secrets') => {
    const r = await araCli(['-c', join(dir, 'ara.conf'), 'token', 'create', '--scope', scopes]);
    if (r.code !== 0) throw new Error(`ara token create: ${r.code} ${r.err}`);
    return r.out.trim();
  };
  let adminToken: string | undefined;
  return {
    url,
    pid: child.pid!,
    dir,
    output,
    realtime,
    token,
    putConfigFile: async (name, text) => {
      adminToken ??= await token();
      const r = await fetch(`${url}/api/v1/config-files/${encodeURIComponent(name)}?secrets=true`, {
        method: 'PUT',
        body: text,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/plain' },
      });
      if (r.status !== 200 && r.status !== 201) throw new Error(`PUT config file ${name}: ${r.status} ${await r.text()}`);
    },
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
