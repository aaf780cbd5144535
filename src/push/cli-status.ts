import type { ChangeLog } from '../realtime/change-log.js';
import type { NodeConfig } from './node-config.js';

/**
 * `ara nodes` from the databases alone: each node's cursors and the status its deliverer last
 * recorded, so it works beside a running server without a token. Never prints a credential.
 */
export interface NodeRow {
  name: string;
  mode: string;
  url: string;
  status: string;
  lag: number | null;
  delivered: string;
  /** the instance delivering to the node and until when, from the first database with leases */
  lease: string;
  lastError: string | null;
}

export async function nodeRows(nodes: readonly NodeConfig[], logs: readonly ChangeLog[]): Promise<NodeRow[]> {
  const ready: { log: ChangeLog; last: number }[] = [];
  for (const log of logs) {
    try {
      if (await log.ready()) ready.push({ log, last: await log.lastSeq() });
    } catch {
      // a database that is down counts as unknown below
    }
  }
  const rows: NodeRow[] = [];
  for (const n of nodes) {
    let lag: number | null = 0;
    let status = 'never connected';
    let lastError: string | null = null;
    let delivered: string | null = null;
    let lease: string | null = null;
    for (const { log, last } of ready) {
      const c = await log.cursor(n.name).catch(() => null);
      if (!c) {
        lag = null;
        continue;
      }
      if (lag !== null) lag += Math.max(0, last - c.deliveredSeq);
      status = c.resyncRequested ? 'resync requested' : c.status;
      lastError = c.lastError ?? lastError;
      if (c.deliveredAt && (!delivered || c.deliveredAt > delivered)) delivered = c.deliveredAt;
      if (lease === null && c.leaseOwner !== undefined) lease = c.leaseOwner ? `${c.leaseOwner} until ${c.leaseUntil}` : 'free';
    }
    if (ready.length === 0) lag = null;
    rows.push({ name: n.name, mode: n.mode === 'push' ? `push/${n.wizard}` : n.mode, url: n.baseUrl, status, lag, delivered: delivered ?? '-', lease: lease ?? '-', lastError });
  }
  return rows;
}

export function formatNodeRows(rows: readonly NodeRow[]): string {
  const head = ['NODE', 'MODE', 'STATUS', 'LAG', 'LAST DELIVERED', 'URL', 'LEASE', 'LAST ERROR'];
  const cells = rows.map((r) => [r.name, r.mode, r.status, r.lag === null ? '?' : String(r.lag), r.delivered, r.url, r.lease, r.lastError ?? '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')).join('\n');
}
