/**
 * A real Asterisk for end-to-end tests: found (or installed) once, started per test file in a
 * throwaway configuration directory on free loopback ports, driven with `asterisk -rx`, stopped.
 *
 *   const found = findAsterisk();
 *   describe('...', { skip: 'skip' in found ? found.skip : false }, () => {
 *     let node: AsteriskNode;
 *     before(async () => { node = await AsteriskNode.start({ files: { 'extconfig.conf': '...' } }); });
 *     after(async () => { await node?.stop(); });
 *     test('...', async () => { assert.match(await node.rx('core show version'), /Asterisk 20/); });
 *   });
 *
 * Where Asterisk comes from, first match wins:
 *   ARA_TEST_ASTERISK=/path/to/asterisk (and ARA_TEST_SIPP=/path/to/sipp, else `sipp` beside it)
 *   ../shared/asterisk/install.sh beside the repository, installed once into ARA_TEST_ASTERISK_DIR
 *     (default /opt/ara-test when writable, else $TMPDIR/ara-test-asterisk)
 * With neither the suite is skipped with one line saying how to run it, unless
 * ARA_TEST_REQUIRE_ASTERISK=1 (CI), where a missing Asterisk is an error.
 *
 * Configuration files given to start() may use these placeholders, replaced before Asterisk reads
 * them (any other `${...}` is left alone for Asterisk):
 *   ${SIP_PORT}       UDP port of the PJSIP transport `transport-udp` (default pjsip.conf)
 *   ${CHAN_SIP_PORT}  UDP port for chan_sip's bindport (default sip.conf, when chan_sip is loaded)
 *   ${IAX_PORT}       UDP port for chan_iax2's bindport
 *   ${HTTP_PORT}      TCP port of Asterisk's HTTP server (ARI), default http.conf
 *   ${AMI_PORT}       TCP port of the manager interface, default manager.conf
 *   ${DIR}            the instance's throwaway directory
 *   plus every key of `vars` (e.g. ${ARA_URL})
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { killOnExit, removeOnExit } from './cleanup.js';

export interface AsteriskBinaries {
  asterisk: string;
  sipp: string;
}

/** How to run the end-to-end suite, for the skip notice. */
export const HOW_TO_RUN =
  'no Asterisk: set ARA_TEST_ASTERISK=/path/to/asterisk and ARA_TEST_SIPP=/path/to/sipp, or put the Asterisk bundle at ../shared/asterisk beside the repository';

/** ARI (http.conf/ari.conf) and AMI (manager.conf) credentials of the default configuration. */
export const ARI_CREDENTIALS = { user: 'ara', password: 'ara-e2e-secret' } as const;
export const AMI_CREDENTIALS = { user: 'ara', password: 'ara-e2e-secret' } as const;

const ROOT = resolve(import.meta.dirname, '../../..');
const INSTALLER = resolve(ROOT, '../shared/asterisk/install.sh');

let found: AsteriskBinaries | { skip: string } | undefined;

/** The Asterisk and SIPp binaries to use, installing them once when the shared bundle is there. */
export function findAsterisk(): AsteriskBinaries | { skip: string } {
  found ??= locate();
  if ('skip' in found && process.env.ARA_TEST_REQUIRE_ASTERISK === '1') {
    throw new Error(`ARA_TEST_REQUIRE_ASTERISK=1 but ${found.skip}`);
  }
  return found;
}

/** `{ skip }` for describe() when there is no Asterisk here (throws when one is required). */
export function skipWithoutAsterisk(): { skip: string | false } {
  const f = findAsterisk();
  return { skip: 'skip' in f ? `end-to-end tests skipped: ${f.skip}` : false };
}

function locate(): AsteriskBinaries | { skip: string } {
  const given = process.env.ARA_TEST_ASTERISK;
  if (given) {
    const sipp = process.env.ARA_TEST_SIPP || join(dirname(given), 'sipp');
    if (!existsSync(given)) return { skip: `ARA_TEST_ASTERISK=${given} does not exist` };
    if (!existsSync(sipp)) return { skip: `no SIPp at ${sipp}: set ARA_TEST_SIPP=/path/to/sipp` };
    return { asterisk: given, sipp };
  }
  if (!existsSync(INSTALLER)) return { skip: HOW_TO_RUN };
  const dir = installDir();
  const asterisk = join(dir, 'bin/asterisk');
  const sipp = join(dir, 'bin/sipp');
  if (existsSync(asterisk) && existsSync(sipp)) return { asterisk, sipp };
  try {
    const out = execFileSync('bash', [INSTALLER, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
    const a = /^ASTERISK=(.+)$/m.exec(out)?.[1];
    const s = /^SIPP=(.+)$/m.exec(out)?.[1];
    if (!a || !s) return { skip: `${INSTALLER} printed no ASTERISK=/SIPP= lines` };
    return { asterisk: a.trim(), sipp: s.trim() };
  } catch (e) {
    return { skip: `${INSTALLER} ${dir} failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

function installDir(): string {
  if (process.env.ARA_TEST_ASTERISK_DIR) return process.env.ARA_TEST_ASTERISK_DIR;
  const opt = '/opt/ara-test';
  if (existsSync(join(opt, 'bin/asterisk'))) return opt;
  try {
    accessSync(existsSync(opt) ? opt : '/opt', constants.W_OK);
    return opt;
  } catch {
    return join(tmpdir(), 'ara-test-asterisk');
  }
}

// ---------------------------------------------------------------- free ports

/** A loopback port nobody listens on right now (TCP or UDP). */
export async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'tcp') {
    return new Promise((ok, fail) => {
      const s = createServer();
      s.once('error', fail);
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => ok(port));
      });
    });
  }
  return new Promise((ok, fail) => {
    const s = createSocket('udp4');
    s.once('error', fail);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => ok(port));
    });
  });
}

export interface AsteriskPorts {
  /** PJSIP transport-udp */
  sip: number;
  /** chan_sip bindport */
  chanSip: number;
  /** chan_iax2 bindport */
  iax: number;
  /** Asterisk's HTTP server (ARI) */
  http: number;
  /** manager (AMI) */
  ami: number;
}

/** Fresh free ports for one instance (pass them to start() when the config must know them first). */
export async function allocatePorts(): Promise<AsteriskPorts> {
  return { sip: await freePort('udp'), chanSip: await freePort('udp'), iax: await freePort('udp'), http: await freePort('tcp'), ami: await freePort('tcp') };
}

// ---------------------------------------------------------------- the instance

export interface AsteriskOptions {
  /** configuration files by name (extconfig.conf, pjsip.conf, ...), overriding the defaults */
  files?: Record<string, string>;
  /** extra placeholder values for the files, e.g. { ARA_URL: 'http://127.0.0.1:1234' } */
  vars?: Record<string, string>;
  /** modules not to load, added to the defaults' noload lines */
  noload?: string[];
  /** ports to use instead of fresh ones */
  ports?: Partial<AsteriskPorts>;
  /** how long booting may take, ms (default 60 s: the machine may be busy) */
  bootTimeoutMs?: number;
  /** asterisk.conf's verbose level (default 3; 0 for benchmarks) */
  verbose?: number;
}

/** Modules that would listen on fixed ports or reach outside, and that no test needs. */
const NOLOAD = ['pbx_dundi.so', 'chan_unistim.so', 'res_phoneprov.so', 'res_pjsip_phoneprov_provider.so', 'res_prometheus.so', 'res_statsd.so', 'res_hep.so', 'res_hep_pjsip.so', 'res_hep_rtcp.so', 'res_stun_monitor.so', 'cdr_pgsql.so', 'cel_pgsql.so', 'res_calendar.so', 'chan_audiosocket.so', 'res_audiosocket.so', 'res_smdi.so', 'app_festival.so'];

function defaults(ports: AsteriskPorts, noload: string[]): Record<string, string> {
  return {
    'modules.conf': `[modules]\nautoload = yes\n${[...NOLOAD, ...noload].map((m) => `noload => ${m}`).join('\n')}\n`,
    'logger.conf': '[general]\n[logfiles]\nmessages.log => notice,warning,error,verbose\n',
    'http.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${ports.http}\n`,
    'ari.conf': `[general]\nenabled = yes\n[${ARI_CREDENTIALS.user}]\ntype = user\nread_only = no\npassword = ${ARI_CREDENTIALS.password}\n`,
    'manager.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nport = ${ports.ami}\n[${AMI_CREDENTIALS.user}]\nsecret = ${AMI_CREDENTIALS.password}\nread = all\nwrite = all\n`,
    'pjsip.conf': `[transport-udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${ports.sip}\n`,
    'extensions.conf': '[general]\n[default]\n',
    'rtp.conf': '[general]\nrtpstart = 30000\nrtpend = 39999\n',
  };
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AsteriskNode {
  /** the instance's throwaway directory: etc/ (configuration), lib/ (astdb), log/, run/ */
  readonly dir: string;
  readonly conf: string;
  readonly ports: AsteriskPorts;
  readonly bin: AsteriskBinaries;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly bootTimeoutMs: number;
  private forgetDir: () => void = () => undefined;

  private constructor(bin: AsteriskBinaries, dir: string, ports: AsteriskPorts, bootTimeoutMs: number) {
    this.bin = bin;
    this.dir = dir;
    this.conf = join(dir, 'etc/asterisk.conf');
    this.ports = ports;
    this.bootTimeoutMs = bootTimeoutMs;
  }

  static async start(opts: AsteriskOptions = {}): Promise<AsteriskNode> {
    const bin = findAsterisk();
    if ('skip' in bin) throw new Error(bin.skip);
    const ports = { ...(await allocatePorts()), ...opts.ports };
    // The control socket's path must stay under ~100 bytes: a short directory in /tmp.
    const dir = mkdtempSync(join(tmpdir().length < 40 ? tmpdir() : '/tmp', 'ast-'));
    const node = new AsteriskNode(bin, dir, ports, opts.bootTimeoutMs ?? 60_000);
    node.forgetDir = removeOnExit(dir);
    try {
      node.writeConfig(opts);
      await node.boot();
    } catch (e) {
      await node.stop();
      throw e;
    }
    return node;
  }

  private writeConfig(opts: AsteriskOptions): void {
    const d = this.dir;
    for (const sub of ['etc', 'lib', 'log', 'run', 'spool']) mkdirSync(join(d, sub), { recursive: true });
    const root = resolve(dirname(this.bin.asterisk), '..', 'asterisk');
    const modules = process.env.ARA_TEST_ASTERISK_MODULES ?? join(root, 'lib/asterisk/modules');
    const data = process.env.ARA_TEST_ASTERISK_DATA ?? join(root, 'var/lib/asterisk');
    const vars: Record<string, string> = {
      SIP_PORT: String(this.ports.sip),
      CHAN_SIP_PORT: String(this.ports.chanSip),
      IAX_PORT: String(this.ports.iax),
      HTTP_PORT: String(this.ports.http),
      AMI_PORT: String(this.ports.ami),
      DIR: d,
      ...opts.vars,
    };
    const files: Record<string, string> = {
      'asterisk.conf': [
        '[directories]',
        `astetcdir => ${d}/etc`,
        ...(existsSync(modules) ? [`astmoddir => ${modules}`] : []),
        ...(existsSync(data) ? [`astdatadir => ${data}`] : []),
        `astvarlibdir => ${d}/lib`,
        `astdbdir => ${d}/lib`,
        `astkeydir => ${d}/lib`,
        `astagidir => ${d}/lib`,
        `astspooldir => ${d}/spool`,
        `astrundir => ${d}/run`,
        `astlogdir => ${d}/log`,
        '[options]',
        `verbose = ${opts.verbose ?? 3}`,
        ...(process.getuid?.() === 0 ? ['runuser = root', 'rungroup = root'] : []),
        '',
      ].join('\n'),
      ...defaults(this.ports, opts.noload ?? []),
      ...opts.files,
    };
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(d, 'etc', name), text.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (m, k: string) => vars[k] ?? m));
    }
  }

  private async boot(): Promise<void> {
    const out = openSync(join(this.dir, 'log/console.log'), 'a');
    const child = spawn(this.bin.asterisk, ['-C', this.conf, '-f', '-g', '-n'], { stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    killOnExit(child);
    let exitCode: number | null | undefined;
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        exitCode = code ?? (signal ? -1 : 0);
        done();
      }),
    );
    const deadline = Date.now() + this.bootTimeoutMs;
    for (;;) {
      if (exitCode !== undefined) throw new Error(`Asterisk exited (${exitCode}) while booting:\n${this.logTail()}`);
      try {
        const r = await this.rx('core waitfullybooted', 10_000);
        if (/fully booted/i.test(r)) return;
      } catch {
        // the control socket is not there yet
      }
      if (Date.now() > deadline) throw new Error(`Asterisk did not boot within ${this.bootTimeoutMs} ms:\n${this.logTail()}`);
      await sleep(200);
    }
  }

  /** The last lines Asterisk logged (for failure messages). */
  logTail(lines = 40): string {
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    const text = read(join(this.dir, 'log/console.log')) + read(join(this.dir, 'log/messages.log'));
    return text.split('\n').slice(-lines).join('\n');
  }

  /** Runs one CLI command (`asterisk -rx`) and resolves with its output. */
  rx(command: string, timeoutMs = 30_000): Promise<string> {
    return new Promise((ok, fail) => {
      execFile(this.bin.asterisk, ['-C', this.conf, '-rx', command], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) fail(new Error(`asterisk -rx '${command}': ${err.message}${stderr ? `\n${stderr}` : ''}`));
        else ok(stdout);
      });
    });
  }

  /** Overwrites or adds a configuration file (placeholders are not replaced here). */
  writeFile(name: string, text: string): void {
    writeFileSync(join(this.dir, 'etc', name), text);
  }

  /** `core stop now`, then SIGKILL after the deadline; deletes the directory unless `keep`. */
  async stop(opts: { keep?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await this.rx('core stop now', 5_000).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), opts.timeoutMs ?? 10_000))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        child.kill('SIGKILL');
        await this.exited;
      }
    }
    this.child = undefined;
    if (!opts.keep && process.env.ARA_TEST_KEEP_ASTERISK !== '1') {
      rmSync(this.dir, { recursive: true, force: true });
      this.forgetDir();
    }
  }

  /** Stops and starts again with the same directory and ports; the astdb is kept unless asked. */
  async restart(opts: { clearAstdb?: boolean } = {}): Promise<void> {
    await this.stop({ keep: true });
    if (opts.clearAstdb) rmSync(join(this.dir, 'lib/astdb.sqlite3'), { force: true });
    try {
      await this.boot();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Whether the Asterisk process is still running. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}
