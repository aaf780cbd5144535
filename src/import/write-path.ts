/**
 * The one seam between `ara import` / `ara rollback` and the write side: the realtime
 * interface's units of work (realtime/write.ts), with the management API's row rules (the same
 * ones /api/v1/bulk runs: column checks, value rules, audit rows, change events), called
 * in-process. Everything the importer writes goes through these names.
 */
export { recordAudit } from '../audit/audit.js';
export { familyPlace, inTransaction, reader, staticPlace, type Place, type Reader, type Tx } from '../http/api/tx.js';
export { createRow, deleteRow, keyFilter, readRow, replaceRow } from '../http/api/rows.js';
export { toCells } from '../http/api/schemas.js';
export { auditEntry, type Actor } from '../http/api/route.js';
