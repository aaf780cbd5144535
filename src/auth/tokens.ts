import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { MissingTable } from '../realtime/errors.js';
import type { RealtimeStore } from '../realtime/types.js';
import { sqlStoreOf } from '../stores/index.js';
import type { SqlStore } from '../stores/sql/store.js';

/**
 * Bearer tokens of the management API. A token is 32 random bytes shown once at creation; only
 * its SHA-256 is stored, so a copy of the database grants nothing. Tokens live in the first SQL
 * database of ara.conf (`main` when there is one).
 */

export const SCOPES = ['read', 'write', 'secrets'] as const;
export type Scope = (typeof SCOPES)[number];

export const TOKEN_TABLE = 'ara_api_tokens';
const PREFIX = 'ara_';

export interface TokenInfo {
  id: string;
  name: string | null;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export function parseScopes(text: string): Scope[] {
  const out: Scope[] = [];
  for (const s of text.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new Error(`unknown scope '${s}' (scopes: ${SCOPES.join(', ')})`);
    if (!out.includes(s as Scope)) out.push(s as Scope);
  }
  if (out.length === 0) throw new Error(`name at least one scope (${SCOPES.join(', ')})`);
  return out;
}

const hash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** How often a token's last use is written; a write per API call would be needless load. */
const LAST_USED_EVERY_MS = 60_000;

export class TokenStore {
  private readonly lastUsedWritten = new Map<string, number>();
  private tableSeen = false;

  constructor(readonly database: string, private readonly knex: Knex) {}

  async create(opts: { scopes: readonly Scope[]; name?: string }): Promise<{ token: string; info: TokenInfo }> {
    await this.requireTable();
    const token = PREFIX + randomBytes(32).toString('base64url');
    const info: TokenInfo = {
      id: randomBytes(6).toString('hex'),
      name: opts.name ?? null,
      scopes: [...opts.scopes],
      created_at: new Date().toISOString(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.knex(TOKEN_TABLE).insert({ ...info, scopes: info.scopes.join(','), token_hash: hash(token) });
    return { token, info };
  }

  async list(): Promise<TokenInfo[]> {
    await this.requireTable();
    const rows = (await this.knex(TOKEN_TABLE).select('id', 'name', 'scopes', 'created_at', 'last_used_at', 'revoked_at').orderBy('created_at')) as Record<string, unknown>[];
    return rows.map(toInfo);
  }

  /** false when there is no such token or it was revoked already */
  async revoke(id: string): Promise<boolean> {
    await this.requireTable();
    const n = await this.knex(TOKEN_TABLE).where({ id }).whereNull('revoked_at').update({ revoked_at: new Date().toISOString() });
    return Number(n) > 0;
  }

  /** The live token a bearer string stands for, or null. */
  async verify(presented: string): Promise<TokenInfo | null> {
    if (!presented.startsWith(PREFIX) || presented.length > 100) return null;
    if (!this.tableSeen) {
      await this.requireTable();
      this.tableSeen = true;
    }
    const row = (await this.knex(TOKEN_TABLE).where({ token_hash: hash(presented) }).first()) as Record<string, unknown> | undefined;
    if (!row || row.revoked_at) return null;
    const info = toInfo(row);
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(info.id) ?? 0) > LAST_USED_EVERY_MS) {
      this.lastUsedWritten.set(info.id, now);
      await this.knex(TOKEN_TABLE).where({ id: info.id }).update({ last_used_at: new Date(now).toISOString() });
    }
    return info;
  }

  async ready(): Promise<boolean> {
    return this.knex.schema.hasTable(TOKEN_TABLE);
  }

  private async requireTable(): Promise<void> {
    if (!(await this.ready())) throw new MissingTable(this.database, TOKEN_TABLE);
  }
}

function toInfo(r: Record<string, unknown>): TokenInfo {
  const opt = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id),
    name: opt(r.name),
    scopes: String(r.scopes).split(',').filter(Boolean) as Scope[],
    created_at: String(r.created_at),
    last_used_at: opt(r.last_used_at),
    revoked_at: opt(r.revoked_at),
  };
}

/** The database tokens live in: `main` when it is SQL, else the first SQL database. */
export function tokenDatabase(stores: ReadonlyMap<string, RealtimeStore>): SqlStore | undefined {
  const main = stores.get('main');
  if (main && sqlStoreOf(main)) return sqlStoreOf(main);
  for (const s of stores.values()) if (sqlStoreOf(s)) return sqlStoreOf(s);
  return undefined;
}

export function tokenStoreFor(stores: ReadonlyMap<string, RealtimeStore>): TokenStore | undefined {
  const db = tokenDatabase(stores);
  return db ? new TokenStore(db.name, db.knex) : undefined;
}
