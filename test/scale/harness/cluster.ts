/**
 * Several ara-server instances on one database behind a haproxy: what a scaled-out deployment
 * looks like, on loopback. Each instance is a real `ara serve` process (test/e2e/harness/ara.ts);
 * everything is stopped by stop(), and killed when the test process ends in any other way.
 *
 *   const c = await startCluster({ instances: 2, database: db.url });
 *   ... c.instances[0].url, c.lb.url ...
 *   await c.stop();
 */
import { startAra, type AraOptions, type RunningAra } from '../../e2e/harness/ara.js';
import { startHaproxy, type HaproxyOptions, type RunningHaproxy } from './haproxy.js';

export interface ClusterOptions {
  instances: number;
  /** the database URL every instance serves (its query string carries cache_ttl and the like) */
  database: string;
  /** extra ara.conf text for every instance */
  conf?: string;
  logLevel?: string;
  haproxy?: Omit<HaproxyOptions, 'servers'>;
}

export interface RunningCluster {
  instances: RunningAra[];
  lb: RunningHaproxy;
  /** kill -9 one instance; resolves once the process is gone */
  kill(i: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const instances: RunningAra[] = [];
  let lb: RunningHaproxy | undefined;
  const stop = async () => {
    await lb?.stop();
    await Promise.all(instances.map((a) => a.stop()));
  };
  try {
    const araOpts: AraOptions = {
      databases: { main: opts.database },
      compiled: true,
      // info: startAra waits for the "listening" line
      logLevel: opts.logLevel ?? 'info',
      ...(opts.conf !== undefined ? { conf: opts.conf } : {}),
    };
    // The first instance migrates the empty database alone; the others then find it current.
    instances.push(await startAra(araOpts));
    const rest = await Promise.all(Array.from({ length: opts.instances - 1 }, () => startAra(araOpts)));
    instances.push(...rest);
    lb = await startHaproxy({ ...opts.haproxy, servers: instances.map((a) => a.url) });
    await lb.waitFor(Object.fromEntries(instances.map((_, i) => [`a${i + 1}`, 'UP' as const])));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    instances,
    lb,
    kill: async (i) => {
      const a = instances[i]!;
      try {
        process.kill(a.pid, 'SIGKILL');
      } catch {
        return; // already gone
      }
      // Gone when signal 0 can no longer reach it (the child is reaped by startAra's listener).
      const until = Date.now() + 10_000;
      for (;;) {
        try {
          process.kill(a.pid, 0);
        } catch {
          return;
        }
        if (Date.now() > until) throw new Error(`ara instance ${a.pid} still alive 10 s after SIGKILL`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stop,
  };
}
