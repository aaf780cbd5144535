import { randomUUID } from 'node:crypto';
import { AUDIT_TABLE, rollbackOf, VERSIONS_TABLE } from '../audit/audit.js';
import type { CommitHook, WriteTx } from '../realtime/write.js';

/** Where a version came from, by the resource its entries name. */
const sourceOf = (resource: string) => (resource === 'import' || resource === 'rollback' ? resource : 'api');

/**
 * The history as a commit hook of the write side: a unit of work that left audit rows (an API
 * request, a bulk request, an import run, a rollback) becomes one version. Its row and the
 * audit rows naming it are own rows of the same unit of work, so they commit with the change
 * or not at all: the audit log and the history are one record.
 */
export const historyHook: CommitHook = {
  ownTables: [VERSIONS_TABLE],
  beforeCommit(tx: WriteTx): void {
    const audit = tx.own.filter((o) => o.table === AUDIT_TABLE).map((o) => o.row);
    if (audit.length === 0) return;
    const first = audit[0]!;
    const unit = randomUUID();
    const at = String(first.at);
    for (const row of audit) {
      row.version_unit = unit;
      // one instant per version, so retention drops a version and its rows together
      row.at = at;
    }
    const resource = String(first.resource);
    const tokenId = first.token_id === null ? null : String(first.token_id);
    tx.append(VERSIONS_TABLE, {
      unit,
      at,
      actor: String(first.actor ?? (tokenId ? `token ${tokenId}` : sourceOf(resource))).slice(0, 128),
      source: sourceOf(resource),
      request_id: first.request_id === null ? null : String(first.request_id).slice(0, 64),
      rollback_of: rollbackOf(tx) ?? null,
    });
  },
};
