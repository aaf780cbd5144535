import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { embeddedDefault, type Settings } from '../../src/config/settings.js';
import type { Mapping } from '../../src/config/extconfig.js';
import { startServer, type RunningServer } from '../../src/server.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** POST a raw body to a path under the server, exactly as given */
  post(path: string, body: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  /** log lines the server wrote, parsed */
  logs: Record<string, unknown>[];
}

/**
 * A real ara-server on a free loopback port with a throwaway SQLite database (embedded default
 * settings unless overridden). Log lines are kept in memory so tests can assert on them.
 */
export async function startTestServer(overrides: Partial<Settings> & { extraMappings?: Mapping[] } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ara-test-'));
  const base = embeddedDefault(dataDir);
  const { extraMappings, ...rest } = overrides;
  const settings: Settings = {
    ...base,
    listen: '127.0.0.1:0',
    logLevel: 'debug',
    ...rest,
    mappings: [...(rest.mappings ?? base.mappings), ...(extraMappings ?? [])],
  };
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: settings.logLevel }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const server = await startServer(settings, logger);
  const request = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(server.url + path, {
      method,
      ...(body !== undefined ? { body } : {}),
      headers: body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', ...headers } : headers,
    });
    return { status: res.status, body: await res.text() };
  };
  return {
    ...server,
    dataDir,
    logs,
    post: (path, body, headers) => request('POST', path, body, headers),
    get: (path, headers) => request('GET', path, undefined, headers),
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
