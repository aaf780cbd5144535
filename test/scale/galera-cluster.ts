/**
 * The 3-node MariaDB Galera cluster and its haproxy that `scripts/services.sh start galera`
 * runs (npm test starts it when a chosen test file needs it): connection details from the
 * ARA_TEST_GALERA_* variables, node status, killing one node and bringing it back.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import mysql from 'mysql2/promise';

export interface GaleraNode {
  name: string;
  /** mysql://ara:ara@127.0.0.1:PORT/ara_test, straight to the node */
  url: string;
  pidFile: string;
}

export interface GaleraCluster {
  /** through haproxy: one active node, the others backups */
  url: string;
  nodes: GaleraNode[];
}

export interface NodeStatus {
  name: string;
  size: number;
  state: string;
  status: string;
}

const ROOT = resolve(import.meta.dirname, '../..');

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** The cluster npm test started, or undefined. */
export function galeraCluster(): GaleraCluster | undefined {
  const url = env('ARA_TEST_GALERA_URL');
  const urls = env('ARA_TEST_GALERA_NODE_URLS')?.split(',');
  const pids = env('ARA_TEST_GALERA_NODE_PIDFILES')?.split(',');
  if (!url || !urls || !pids || urls.length !== pids.length) return undefined;
  return { url, nodes: urls.map((u, i) => ({ name: `n${i + 1}`, url: u, pidFile: pids[i]! })) };
}

/**
 * Why the Galera tests cannot run here, or false when they can. Under CI, with
 * ARA_TEST_REQUIRE_GALERA=1, or when npm test started every server (ARA_TEST_REQUIRE_SERVICES=1,
 * and then it started the cluster for these files too) a missing cluster is an error, not a skip.
 */
export function galeraUnavailable(): string | false {
  if (galeraCluster()) return false;
  const msg = 'Galera cluster not configured: run npm test with this file (it starts scripts/services.sh galera)';
  if (env('CI') === 'true' || env('ARA_TEST_REQUIRE_GALERA') === '1' || env('ARA_TEST_REQUIRE_SERVICES') === '1') throw new Error(`${msg} (CI: the Galera tests are mandatory)`);
  return msg;
}

export async function connect(url: string): Promise<mysql.Connection> {
  const u = new URL(url);
  return mysql.createConnection({
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1) || undefined,
    connectTimeout: 3000,
  });
}

export async function query<T>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const c = await connect(url);
  try {
    const [rows] = await c.query(sql, values);
    return rows as T[];
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

/** The node's own view of the cluster. */
export async function nodeStatus(url: string): Promise<NodeStatus> {
  const rows = await query<{ Variable_name: string; Value: string }>(
    url,
    "show global status where Variable_name in ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_cluster_status')",
  );
  const v = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
  // SHOW, not SELECT: with wsrep_sync_wait a SELECT fails on a node outside the primary component
  const [row] = await query<{ Value: string }>(url, "show global variables like 'wsrep_node_name'");
  return { name: row!.Value, size: Number(v.wsrep_cluster_size), state: String(v.wsrep_local_state_comment), status: String(v.wsrep_cluster_status) };
}

function pidOf(node: GaleraNode): number | undefined {
  if (!existsSync(node.pidFile)) return undefined;
  const pid = Number(readFileSync(node.pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie counts as dead
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';
  } catch {
    return false;
  }
}

/** kill -9 the node's mariadbd; resolves once the process is gone. */
export async function killNode(node: GaleraNode): Promise<void> {
  const pid = pidOf(node);
  if (pid === undefined) throw new Error(`${node.name}: no pid file ${node.pidFile}`);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`${node.name} (pid ${pid}) survived SIGKILL for 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts every stopped node again (joining the running ones) and haproxy if it is down; resolves
 * once all nodes report a cluster of 3, Synced (scripts/services.sh up galera).
 */
export function clusterUp(): Promise<void> {
  const dir = env('ARA_SVC_DIR');
  if (!dir) return Promise.reject(new Error('ARA_SVC_DIR is not set (the cluster is started by npm test)'));
  return new Promise((done, fail) => {
    execFile('bash', [resolve(ROOT, 'scripts/services.sh'), 'up', 'galera'], { env: { ...process.env, ARA_SVC_DIR: dir }, timeout: 180_000 }, (err, _out, stderr) =>
      err ? fail(new Error(`scripts/services.sh up galera failed: ${err.message}\n${stderr}`)) : done(),
    );
  });
}

/** A fresh database on the cluster (created through haproxy, so on every node). */
export async function scratchGaleraDatabase(cluster: GaleraCluster, prefix: string): Promise<{ name: string; url: string; urlOn(node: GaleraNode): string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await query(cluster.url, `create database \`${name}\``);
  const withDb = (url: string) => {
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  let dropped = false;
  return {
    name,
    url: withDb(cluster.url),
    urlOn: (node) => withDb(node.url),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await query(cluster.url, `drop database if exists \`${name}\``);
    },
  };
}
