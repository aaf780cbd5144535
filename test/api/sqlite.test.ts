import { apiSuite } from './suite.js';

apiSuite('sqlite', 'sqlite');
