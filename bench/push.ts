/**
 * `npm run bench:push`: REGISTERs/s on real Asterisk nodes kept in step by push, against
 * Asterisk's own in-process res_config_sqlite3 realtime, with the same users and load in one run;
 * then the resync of 10,000 lines (30,000 objects) into a restarted node, and how long a change
 * takes to be visible on a node (p50/p99).
 *
 *   ARA_BENCH_USERS (100) ARA_BENCH_REGISTERS (2000) ARA_BENCH_CONCURRENCY (10) ARA_BENCH_LINES (10000)
 *
 * Needs Asterisk and SIPp (see test/e2e/harness/asterisk.ts for where they come from).
 * On a shared or busy machine the numbers move; the ratios are what to read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { embeddedDefault } from '../src/config/settings.js';
import { parseNode } from '../src/push/node-config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { sqlStoreOf } from '../src/stores/index.js';
import { allocatePorts, AsteriskNode, findAsterisk } from '../test/e2e/harness/asterisk.js';
import { sippRegister } from '../test/e2e/harness/sipp.js';
import { amiOption, nodeUrl, onNode, shippedFiles } from '../test/e2e/push-support.js';

const USERS = Number(process.env.ARA_BENCH_USERS ?? 100);
const REGISTERS = Number(process.env.ARA_BENCH_REGISTERS ?? 2000);
const CONCURRENCY = Number(process.env.ARA_BENCH_CONCURRENCY ?? 10);
const LINES = Number(process.env.ARA_BENCH_LINES ?? 10_000);
const LATENCY_SAMPLES = 200;

const found = findAsterisk();
if ('skip' in found) {
  console.log(`push benchmark skipped: ${found.skip}`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'ara-bench-push-'));
const nodes: AsteriskNode[] = [];
let server: RunningServer | undefined;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
/** One result line, printed at once (a later phase may take long on a busy machine). */
const row = (what: string, result: string, against: string) => console.log(`${what.padEnd(62)}  ${result.padEnd(26)}  ${against}`);

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function registerRate(node: AsteriskNode, users: { user: string; password: string }[]): Promise<number> {
  // one warm-up pass: every user registered once (contacts exist, caches warm)
  await sippRegister({ node, users, concurrency: CONCURRENCY, timeoutMs: 120_000 });
  const r = await sippRegister({ node, users, calls: REGISTERS, concurrency: CONCURRENCY, timeoutMs: 300_000 });
  if (r.failed > 0) console.log(`  (${r.failed} of ${REGISTERS} REGISTERs failed)`);
  return r.rate;
}

try {
  const [pm, pa, pi, ps] = await Promise.all([allocatePorts(), allocatePorts(), allocatePorts(), allocatePorts()]);
  const settings = {
    ...embeddedDefault(dir),
    listen: '127.0.0.1:0',
    logLevel: 'warn' as const,
    nodes: [
      parseNode('mem', nodeUrl(pm, 'probe=500')),
      parseNode('adb', nodeUrl(pa, 'wizard=astdb&probe=500')),
      parseNode('inv', nodeUrl(pi, `mode=invalidate&probe=500&${amiOption(pi)}`)),
    ],
  };
  server = await startServer(settings, pino({ level: 'warn' }));
  const knex = sqlStoreOf(server.runtime.stores.get('main')!)!.knex;
  const users = Array.from({ length: USERS }, (_, i) => ({ user: String(10000 + i), password: `pw${i}` }));
  await knex.transaction(async (tx) => {
    for (const u of users) {
      await tx('ps_auths').insert({ id: u.user, auth_type: 'userpass', username: u.user, password: u.password });
      await tx('ps_aors').insert({ id: u.user, max_contacts: 1, remove_existing: 'yes' });
      await tx('ps_endpoints').insert({ id: u.user, auth: u.user, aors: u.user, context: 'default', disallow: 'all', allow: 'ulaw', transport: 'transport-udp' });
    }
  });
  // Asterisk's own SQLite driver reads a copy of the same database (ara keeps it busy otherwise).
  const copy = join(dir, 'asterisk-copy.sqlite');
  await knex.raw('vacuum into ?', [copy]);
  const sqliteFiles = {
    ...shippedFiles('push-memory', ps),
    'sorcery.conf': '[res_pjsip]\nendpoint = realtime,ps_endpoints\nauth = realtime,ps_auths\naor = realtime,ps_aors\ncontact = astdb,registrar\n',
    'extconfig.conf': '[settings]\nps_endpoints => sqlite3,ara,ps_endpoints\nps_auths => sqlite3,ara,ps_auths\nps_aors => sqlite3,ara,ps_aors\n',
    'res_config_sqlite3.conf': `[ara]\ndbfile = ${copy}\n`,
  };
  const started = await Promise.all([
    AsteriskNode.start({ verbose: 0, ports: pm, files: shippedFiles('push-memory', pm) }),
    AsteriskNode.start({ verbose: 0, ports: pa, files: shippedFiles('push-astdb', pa) }),
    AsteriskNode.start({ verbose: 0, ports: pi, files: shippedFiles('invalidate', pi, server.url) }),
    AsteriskNode.start({ verbose: 0, ports: ps, files: sqliteFiles }),
  ]);
  nodes.push(...started);
  const [mem, adb, inv, sq] = started as [AsteriskNode, AsteriskNode, AsteriskNode, AsteriskNode];
  await until('every user on the push nodes', async () => (await server!.push.list()).every((s) => s.lag === 0 && s.connected) && (await onNode(mem, 'endpoint', users[USERS - 1]!.user)) !== null && (await onNode(adb, 'endpoint', users[USERS - 1]!.user)) !== null, 120_000, 100);

  console.log(`push benchmark: ${USERS} users, ${fmt(REGISTERS)} REGISTERs with digest auth, concurrency ${CONCURRENCY}, SIPp against real Asterisk nodes`);
  const base = await registerRate(sq, users);
  row("Asterisk's in-process res_config_sqlite3 realtime", `${fmt(base)} REGISTERs/s`, '1.00x (baseline)');
  for (const [label, node, target] of [['push, memory wizards', mem, 3], ['push, astdb wizards', adb, 0], ['invalidate (realtime over res_config_curl + memory_cache)', inv, 0.7]] as const) {
    const r = await registerRate(node, users);
    row(label, `${fmt(r)} REGISTERs/s`, `${(r / base).toFixed(2)}x${target ? ` (target >= ${target}x)` : ''}`);
  }

  // A change visible on the node: in-process write to the new value seen over the node's ARI.
  const lat: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const u = users[i % USERS]!;
    const value = `lat${i}`;
    const t0 = performance.now();
    await server.runtime.realtime.update('ps_auths', [{ column: 'id', op: '=', value: u.user }], [{ column: 'password', value }]);
    await until('the change on the node', async () => (await onNode(mem, 'auth', u.user))?.password === value, 10_000, 1);
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;
  row('change visible on the node (write -> ARI GET shows it)', `p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms`, 'target p99 < 200 ms');

  // Resync: LINES more lines written while the push nodes are down; each is restarted and
  // caught up by a full resync (memory: everything pushed; astdb: compared, differences pushed).
  // (Delivered one by one instead, each new aor makes Asterisk scan every endpoint: slow.)
  await Promise.all([mem.stop({ keep: true }), adb.stop({ keep: true })]);
  const ids = Array.from({ length: LINES }, (_, i) => String(500000 + i));
  // one short transaction per 500 lines: the SQLite connection is shared with the deliverers
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await knex.transaction(async (tx) => {
      await tx.batchInsert('ps_auths', chunk.map((id) => ({ id, auth_type: 'userpass', username: id, password: `r${id}` })), 500);
      await tx.batchInsert('ps_aors', chunk.map((id) => ({ id, max_contacts: 1 })), 500);
      await tx.batchInsert('ps_endpoints', chunk.map((id) => ({ id, auth: id, aors: id, context: 'default', disallow: 'all', allow: 'ulaw' })), 500);
    });
  }
  for (const [name, node, label] of [['mem', mem, 'memory node: every object pushed'], ['adb', adb, 'astdb node: compared, differences pushed']] as const) {
    const before = (await server.push.get(name))!.last_resync?.at;
    await node.restart();
    await until(`the restarted ${name} node resynced`, async () => (await server!.push.get(name))!.last_resync?.at !== before, 900_000, 100);
    const rs = (await server.push.get(name))!.last_resync!;
    row(`resync after a restart, ${label}`, `${(rs.ms / 1000).toFixed(1)} s`, `${fmt(rs.objects)} objects, ${fmt(rs.pushed)} pushed, ${fmt(rs.objects / (rs.ms / 1000))}/s${name === 'mem' ? ' (target: 30,000 objects in < 10 s)' : ''}`);
  }
  console.log('(numbers from a shared or busy machine must be measured again on a quiet one)');
} finally {
  await server?.close();
  await Promise.allSettled(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
}
