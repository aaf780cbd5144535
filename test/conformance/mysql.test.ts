import { scratchDatabase, unavailable } from '../support/databases.js';
import { conformance } from './suite.js';
import { sqlTarget } from './targets.js';

conformance('mariadb (mysql2)', async () => {
  const db = await scratchDatabase('mysql', 'ara_conf');
  return sqlTarget(db.url, 'mysql', db.drop);
}, unavailable('mysql'));
