import { Gauge, type Registry } from 'prom-client';
import type { NodeStatus, NodesService } from './status.js';

/**
 * Each node's push state as Prometheus gauges, read from the deliverers when scraped: the
 * changes a node still lacks (the outbox depth), whether it answers, what it refused, and when
 * it last took a change. Labelled by node name, a set ara.conf bounds.
 */
export function registerPushMetrics(registry: Registry, nodes: NodesService): void {
  // prom-client collects every metric of a scrape at once: they share one read of the nodes.
  let scrape: Promise<NodeStatus[]> | undefined;
  const statuses = () => (scrape ??= nodes.list().finally(() => (scrape = undefined)));
  const perNode = (name: string, help: string, value: (n: NodeStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const n of await statuses()) {
          const v = value(n);
          if (v !== undefined) this.set({ node: n.name }, v);
        }
      },
    });
  new Gauge({
    name: 'ara_push_nodes',
    help: 'Asterisk nodes configured in [nodes]',
    registers: [registry],
    async collect() {
      this.set((await statuses()).length);
    },
  });
  perNode('ara_push_pending_changes', 'Changes logged and not yet delivered to the node', (n) => n.lag);
  perNode('ara_push_connected', '1 when the node answers ARI (or AMI in invalidate mode), else 0', (n) => (n.connected ? 1 : 0));
  perNode('ara_push_failed_objects', 'Objects the node refused (a value Asterisk rejects), still failed', (n) => n.failed.length);
  perNode('ara_push_lease_held', '1 when this instance holds the node\'s delivery lease (delivers to it), 0 when another does; absent without leases', (n) => (n.lease ? (n.lease.mine ? 1 : 0) : undefined));
  perNode('ara_push_last_delivered_timestamp_seconds', 'When the node last took a change (Unix time); absent before the first', (n) => (n.last_delivered_at ? Date.parse(n.last_delivered_at) / 1000 : undefined));
}
