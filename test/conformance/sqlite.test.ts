import { conformance } from './suite.js';
import { sqliteTarget } from './targets.js';

conformance('sqlite (better-sqlite3)', sqliteTarget);
