import { defaultMappings, type Settings } from '../../src/config/settings.js';
import { tokenStoreFor, type Scope } from '../../src/auth/tokens.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { scratchDatabase, type ScratchDatabase } from '../support/databases.js';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** the body parsed as JSON, when it is */
  json: any;
}

export interface ApiServer {
  server: TestServer;
  url: string;
  /** a token with these scopes, created through the token store as `ara token create` does */
  token(scopes: Scope[], name?: string): Promise<string>;
  call(method: string, path: string, opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<ApiAnswer>;
  /** POST to the Asterisk surface exactly as res_config_curl does */
  asterisk(path: string, body: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

/** A real server on a free port: SQLite by default, or a scratch PostgreSQL or MariaDB database. */
export async function startApiServer(kind: 'sqlite' | 'pg' | 'mysql' = 'sqlite', overrides: Partial<Settings> = {}): Promise<ApiServer> {
  let db: ScratchDatabase | undefined;
  let settings: Partial<Settings> = { logLevel: 'warn', ...overrides };
  if (kind !== 'sqlite') {
    db = await scratchDatabase(kind, 'ara_api');
    settings = { ...settings, databases: { main: db.url }, mappings: defaultMappings('main', kind === 'pg' ? 'pgsql' : 'mysql'), migrate: 'yes' };
  }
  let server: TestServer;
  try {
    server = await startTestServer(settings);
  } catch (err) {
    await db?.drop();
    throw err;
  }
  const tokens = tokenStoreFor(server.runtime.stores)!;
  const call: ApiServer['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    server,
    url: server.url,
    token: async (scopes, name) => (await tokens.create({ scopes, ...(name ? { name } : {}) })).token,
    call,
    asterisk: (path, body) => server.post(path, body),
    close: async () => {
      await server.close();
      await db?.drop();
    },
  };
}
