/**
 * A real haproxy (Debian's package) in front of several ara-server instances: a generated
 * configuration on a free loopback port, round robin over the ready instances (/readyz), every
 * running one (/healthz) when none is ready, refused connections retried on another instance,
 * haproxy's own failures in the Asterisk surface's form. Killed afterwards.
 *
 *   const lb = await startHaproxy({ servers: [a.url, b.url] });
 *   await lb.waitFor({ a1: 'UP', a2: 'UP' });
 *   ... fetch(`${lb.url}/realtime/...`) ...
 *   await lb.stop();
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servicesRequired } from '../../support/services.js';
import { killOnExit, removeOnExit } from '../../e2e/harness/cleanup.js';

export interface HaproxyOptions {
  /** the instances, as http://127.0.0.1:PORT; named a1, a2, ... in that order */
  servers: string[];
  /** health check interval, ms (default 200) */
  checkIntervalMs?: number;
  /** consecutive failed checks before an instance is taken out (default 2) */
  fall?: number;
  /** consecutive good checks before it is taken back (default 2) */
  rise?: number;
  /**
   * false: no health check, no retry, no redispatch, so a dead instance keeps its share of the
   * traffic. Only for showing that a test notices; never what a deployment wants.
   */
  failover?: boolean;
}

export interface RunningHaproxy {
  /** http://127.0.0.1:PORT, the frontend */
  url: string;
  pid: number;
  /** the generated haproxy.cfg text */
  config: string;
  /** every line haproxy wrote */
  output: string[];
  /** each server's state as the stats socket shows it (UP, DOWN, "UP 1/2", "no check", ...):
   *  a1, a2... in the ready backend, live/a1, live/a2... in the running one */
  states(): Promise<Record<string, string>>;
  /** resolves once every named server is in the given state; throws after the deadline */
  waitFor(want: Record<string, 'UP' | 'DOWN'>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'];

/** The haproxy binary, or undefined when it is not installed. */
export function haproxyBinary(): string | undefined {
  if (process.env.ARA_TEST_HAPROXY) return process.env.ARA_TEST_HAPROXY;
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  const which = spawnSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

/** Why the haproxy tests cannot run here (a skip reason), or false; throws when services are required. */
export function withoutHaproxy(): string | false {
  if (haproxyBinary()) return false;
  const msg = 'haproxy not installed (scripts/services.sh install pg installs it)';
  if (servicesRequired()) throw new Error(`${msg}; ARA_TEST_REQUIRE_SERVICES=1`);
  return msg;
}

/**
 * The haproxy.cfg for these instances, listening on 127.0.0.1:PORT: two backends over the same
 * instances. `ara` holds the ready ones (/readyz: their databases answer) and takes the traffic
 * while it has any; when it has none, as in an outage of the database they all share, `ara_live`
 * (/healthz: the process answers) still sends every request to a running instance, which answers
 * from its last-known-good answers and refuses a write with its own -1. What haproxy answers
 * itself (no instance at all, an instance gone mid-request, a timeout) is a 503 in the Asterisk
 * surface's form: -1 to a write, an empty read, never an HTML page Asterisk would parse as a row.
 */
export function haproxyConfig(opts: HaproxyOptions & { port: number; statsSocket: string }): string {
  const inter = opts.checkIntervalMs ?? 200;
  const servers = (check: string) =>
    opts.servers.map((u, i) => {
      const { hostname, port } = new URL(u);
      return `  server a${i + 1} ${hostname}:${port}${check}`;
    });
  const head = [
    'global',
    `  stats socket ${opts.statsSocket} mode 600 level admin`,
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
  ];
  if (opts.failover === false) {
    return [...head, '  retries 0', 'frontend ara', `  bind 127.0.0.1:${opts.port}`, '  default_backend ara', 'backend ara', '  balance roundrobin', ...servers(''), ''].join('\n');
  }
  const checked = (uri: string) => [
    '  balance roundrobin',
    '  option httpchk',
    `  http-check send meth GET uri ${uri}`,
    '  http-check expect status 200',
    `  default-server inter ${inter}ms fastinter ${inter}ms downinter ${inter}ms fall ${opts.fall ?? 2} rise ${opts.rise ?? 2}`,
    ...servers(' check'),
  ];
  return [
    ...head,
    // A refused connection never reached an instance: try again, on another instance. Nothing
    // that may have reached one is sent twice (retry-on stays conn-failure).
    '  retries 3',
    '  option redispatch 1',
    ...[502, 503, 504].map((code) => `  http-error status ${code} content-type text/plain lf-string "%[var(txn.failbody)]"`),
    'frontend ara',
    `  bind 127.0.0.1:${opts.port}`,
    '  acl realtime_write path_reg ^/realtime/[^/]+/(store|update|update2|destroy)$',
    '  http-request set-var(txn.failbody) str(-1) if realtime_write',
    // res_curl.conf's failurecodes honours one code: 503, ara's own.
    '  http-after-response set-status 503 if { status 502 } || { status 504 }',
    '  use_backend ara if { nbsrv(ara) gt 0 }',
    '  default_backend ara_live',
    'backend ara',
    ...checked('/readyz'),
    'backend ara_live',
    ...checked('/healthz'),
    '',
  ].join('\n');
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

export async function startHaproxy(opts: HaproxyOptions): Promise<RunningHaproxy> {
  const bin = haproxyBinary();
  if (!bin) throw new Error('haproxy not installed');
  // The port is probed free, then bound by haproxy: another process may take it in between,
  // so a failed bind is tried again on a new port.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin, opts, await freePort());
    } catch (err) {
      lastError = err as Error;
      if (!/cannot bind|Address already in use/i.test(lastError.message)) throw lastError;
    }
  }
  throw lastError!;
}

async function startOnce(bin: string, opts: HaproxyOptions, port: number): Promise<RunningHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'ara-lb-'));
  const forgetDir = removeOnExit(dir);
  const statsSocket = join(dir, 'admin.sock');
  const config = haproxyConfig({ ...opts, port, statsSocket });
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  // -db: stay in the foreground, one process, no daemon to chase afterwards.
  const child = spawn(bin, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const output: string[] = [];
  const collect = (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    forgetDir();
  };

  const states = async (): Promise<Record<string, string>> => {
    const csv = await statsCommand(statsSocket, 'show stat\n');
    const lines = csv.split('\n');
    const header = (lines.shift() ?? '').replace(/^# /, '').split(',');
    const col = (name: string) => header.indexOf(name);
    const out: Record<string, string> = {};
    for (const l of lines) {
      const f = l.split(',');
      const px = f[col('pxname')];
      const sv = f[col('svname')] ?? '';
      if (px?.startsWith('ara') && /^a\d+$/.test(sv)) out[px === 'ara' ? sv : `${px.slice(4)}/${sv}`] = f[col('status')]!;
    }
    return out;
  };

  // Ready when the stats socket answers (haproxy has bound everything by then).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`haproxy exited while starting:\n${output.join('\n')}`);
    }
    try {
      await states();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`haproxy did not start within 10 s:\n${output.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    config,
    output,
    states,
    waitFor: async (want, timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      let seen: Record<string, string> = {};
      for (;;) {
        seen = await states();
        // Without checks haproxy shows no state ("no check"): a server then counts as UP.
        if (Object.entries(want).every(([k, v]) => (seen[k] ?? '').startsWith(v) || (v === 'UP' && seen[k] === 'no check'))) return;
        if (Date.now() > until) throw new Error(`haproxy servers not ${JSON.stringify(want)} within ${timeoutMs} ms: ${JSON.stringify(seen)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop,
  };
}

function statsCommand(socket: string, command: string): Promise<string> {
  return new Promise((ok, fail) => {
    const c = createConnection(socket);
    let out = '';
    c.setTimeout(2000, () => c.destroy(new Error('stats socket timed out')));
    c.on('connect', () => c.end(command));
    c.on('data', (d) => (out += d.toString()));
    c.on('error', fail);
    c.on('close', () => ok(out));
  });
}
