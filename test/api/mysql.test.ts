import { unavailable } from '../support/databases.js';
import { apiSuite } from './suite.js';

apiSuite('MariaDB (mysql)', 'mysql', unavailable('mysql'));
