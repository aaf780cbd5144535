import knexFactory from 'knex';
import { scratchDatabase, unavailable } from '../support/databases.js';
import { pjsipSuite } from './pjsip-suite.js';

const skip = unavailable('pg');
pjsipSuite('PostgreSQL', {
  ...(skip ? { skip } : {}),
  open: async () => {
    const db = await scratchDatabase('pg', 'ara_e2e');
    return { url: db.url, knex: () => knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } }), drop: db.drop };
  },
});
