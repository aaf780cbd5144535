/**
 * Access to the throwaway PostgreSQL / MariaDB / OpenLDAP servers that
 * `npm test` (scripts/test.sh -> scripts/services.sh) starts for the suite.
 *
 *   import { requireService, serviceDown, serviceUp } from './support/services.js';
 *
 *   test('pg family', async (t) => {
 *     const pg = requireService('pg', t);
 *     if (!pg) return; // skipped (services not configured and not required)
 *     ...
 *   });
 *
 *   // failover: stop a server mid-test, restart it on the same port with the same data
 *   await serviceDown('pg');
 *   ...
 *   await serviceUp('pg');
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServiceName = 'pg' | 'mysql' | 'ldap';

export interface LdapService {
  url: string;
  base: string;
  bindDN: string;
  password: string;
}

export interface TestServices {
  /** postgres://ara:ara@127.0.0.1:PORT/ara_test (ara has CREATEDB and owns ara_test) */
  pg?: string;
  /** mysql://ara:ara@127.0.0.1:PORT/ara_test (ara has ALL ON *.* WITH GRANT OPTION) */
  mysql?: string;
  ldap?: LdapService;
}

/** Extra connection details that are occasionally handy in tests. */
export interface TestServiceExtras {
  /** Superuser URL: postgres://postgres:ara@127.0.0.1:PORT/postgres */
  pgAdmin?: string;
}

/** Anything with `skip()`, e.g. node:test's TestContext. */
export interface Skippable {
  skip(message?: string): void;
}

const ALL: readonly ServiceName[] = ['pg', 'mysql', 'ldap'];

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** The servers configured through the environment (read on every call). */
export function testServices(): TestServices & TestServiceExtras {
  const out: TestServices & TestServiceExtras = {};
  const pg = env('ARA_TEST_PG_URL');
  if (pg) out.pg = pg;
  const pgAdmin = env('ARA_TEST_PG_ADMIN_URL');
  if (pgAdmin) out.pgAdmin = pgAdmin;
  const mysql = env('ARA_TEST_MYSQL_URL');
  if (mysql) out.mysql = mysql;
  const ldapUrl = env('ARA_TEST_LDAP_URL');
  if (ldapUrl) {
    out.ldap = {
      url: ldapUrl,
      base: env('ARA_TEST_LDAP_BASE') ?? 'dc=example,dc=com',
      bindDN: env('ARA_TEST_LDAP_BIND_DN') ?? 'cn=admin,dc=example,dc=com',
      password: env('ARA_TEST_LDAP_PASSWORD') ?? 'ara',
    };
  }
  return out;
}

/** True when `npm test` started the servers and tests must not silently skip. */
export function servicesRequired(): boolean {
  return env('ARA_TEST_REQUIRE_SERVICES') === '1';
}

/**
 * Returns the service's connection info, or - when it is not configured -
 * throws if ARA_TEST_REQUIRE_SERVICES=1 (CI: fail loudly), else marks the test
 * skipped and returns undefined (the caller must `return` then: t.skip() does
 * not stop the test function).
 */
export function requireService<K extends ServiceName>(
  name: K,
  t: Skippable,
): NonNullable<TestServices[K]> | undefined {
  const value = testServices()[name];
  if (value !== undefined) return value as NonNullable<TestServices[K]>;
  const msg = `${name} not configured: run npm test`;
  if (servicesRequired()) {
    throw new Error(`${msg} (ARA_TEST_REQUIRE_SERVICES=1 but ${envVarFor(name)} is not set)`);
  }
  t.skip(msg);
  return undefined;
}

function envVarFor(name: ServiceName): string {
  switch (name) {
    case 'pg':
      return 'ARA_TEST_PG_URL';
    case 'mysql':
      return 'ARA_TEST_MYSQL_URL';
    case 'ldap':
      return 'ARA_TEST_LDAP_URL';
  }
}

function servicesScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.resolve(here, '../../scripts/services.sh'), // test/support/ (tsx)
    path.resolve(here, '../../../scripts/services.sh'), // dist/test/support/ (compiled)
    path.resolve(process.cwd(), 'scripts/services.sh'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`scripts/services.sh not found (looked in ${candidates.join(', ')})`);
  return found;
}

function runServices(command: 'up' | 'down' | 'restart' | 'status', names: ServiceName[]): Promise<string> {
  for (const n of names) {
    if (!ALL.includes(n)) throw new Error(`unknown service '${String(n)}'`);
  }
  const dir = env('ARA_SVC_DIR');
  if (!dir) {
    return Promise.reject(
      new Error(`cannot ${command} ${names.join(' ')}: ARA_SVC_DIR is not set (servers are started by npm test)`),
    );
  }
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [servicesScript(), command, ...names],
      { env: { ...process.env, ARA_SVC_DIR: dir }, timeout: 120_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(`scripts/services.sh ${command} ${names.join(' ')} failed: ${err.message}\n${stderr}`.trimEnd()),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** Stops a server (fast shutdown, data kept). Resolves once it no longer accepts connections. */
export async function serviceDown(...names: [ServiceName, ...ServiceName[]]): Promise<void> {
  await runServices('down', names);
}

/** Starts a stopped server again on the same port with the same data. Resolves once it accepts connections. */
export async function serviceUp(...names: [ServiceName, ...ServiceName[]]): Promise<void> {
  await runServices('up', names);
}

/** down + up. */
export async function serviceRestart(...names: [ServiceName, ...ServiceName[]]): Promise<void> {
  await runServices('restart', names);
}
