import { galeraCluster, galeraUnavailable, scratchGaleraDatabase } from '../scale/galera-cluster.js';
import { conformance } from './suite.js';
import { sqlTarget } from './targets.js';

// The same realtime behaviour on a MariaDB Galera cluster (through its haproxy) as on one
// MariaDB: migrations, change-log triggers and history tables included.
conformance('mariadb galera (3 nodes, haproxy)', async () => {
  const db = await scratchGaleraDatabase(galeraCluster()!, 'ara_conf');
  return sqlTarget(db.url, 'mysql', db.drop);
}, galeraUnavailable() || undefined);
