/**
 * The one seam between `ara import` / `ara rollback` and the write side: today the management API's
 * transactional path (the same one /api/v1/bulk runs, with its column checks, value rules,
 * audit rows and change events), called in-process. Everything the importer writes goes
 * through these names, so the seam can be re-pointed at the stores' own transaction
 * interface without touching the importers.
 */
export { familyPlace, inTransaction, reader, staticPlace, type Place, type Tx } from '../http/api/tx.js';
export { createRow, deleteRow, keyFilter, readRow, replaceRow } from '../http/api/rows.js';
export { toCells } from '../http/api/schemas.js';
export { auditEntry, type Actor } from '../http/api/route.js';
