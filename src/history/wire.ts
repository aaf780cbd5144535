import { z } from 'zod';

/**
 * What `/api/v1/history` answers, as zod schemas: the routes declare them (validation of the
 * document, OpenAPI) and the web console reads its types from them. This module imports
 * nothing of the server, so the console's bundle can take its types (type-only imports).
 */

export const versionWire = z.object({
  id: z.int(),
  at: z.string().describe('ISO 8601, UTC'),
  actor: z.string().describe('the token name, "import", "rollback"'),
  source: z.enum(['api', 'import', 'rollback']),
  rollback_of: z.int().nullable(),
  changes: z.int(),
  families: z.array(z.string()),
});

export const changeWire = z.object({
  family: z.string(),
  key: z.string(),
  operation: z.string(),
  before: z.unknown().describe('secrets masked; null when created'),
  after: z.unknown().describe('secrets masked; null when deleted'),
});

export const versionListWire = z.object({ items: z.array(versionWire) });
export const versionDetailWire = z.object({ version: versionWire, changes: z.array(changeWire) });
export const versionDiffWire = z.object({ changes: z.array(changeWire.omit({ operation: true })) });
export const rollbackWire = z.object({ version: z.int().nullable(), rollback_of: z.int(), restored: z.int() });

export type Version = z.infer<typeof versionWire>;
export type Change = z.infer<typeof changeWire>;
export type VersionDetail = z.infer<typeof versionDetailWire>;
export type VersionList = z.infer<typeof versionListWire>;
export type RollbackResult = z.infer<typeof rollbackWire>;
