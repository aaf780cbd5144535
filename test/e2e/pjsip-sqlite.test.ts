import { join } from 'node:path';
import knexFactory from 'knex';
import { pjsipSuite } from './pjsip-suite.js';

pjsipSuite('SQLite', {
  open: async () => ({
    url: 'sqlite:ara.sqlite',
    knex: (dir) => knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'ara.sqlite') }, useNullAsDefault: true }),
    drop: async () => undefined,
  }),
});
