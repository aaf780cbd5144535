import { scratchDatabase, unavailable } from '../support/databases.js';
import { conformance } from './suite.js';
import { sqlTarget } from './targets.js';

conformance('postgresql (pg)', async () => {
  const db = await scratchDatabase('pg', 'ara_conf');
  return sqlTarget(db.url, 'pgsql', db.drop);
}, unavailable('pg'));
