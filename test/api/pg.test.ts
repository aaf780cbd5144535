import { unavailable } from '../support/databases.js';
import { apiSuite } from './suite.js';

apiSuite('postgresql (pg)', 'pg', unavailable('pg'));
