import { readFileSync } from 'node:fs';
import { ConfigError } from '../../realtime/errors.js';
import { isPlausibleDn } from './dn.js';

/**
 * An LDAP database in ara.conf `[databases]`:
 *
 *   dir => ldap://ldap.example.com:389/dc=example,dc=com?bind_dn=cn=asterisk,dc=example,dc=com&password=${LDAP_PASSWORD}
 *
 *   ldap://HOST[:PORT]/BASE-DN  or  ldaps://HOST[:PORT]/BASE-DN  (BASE-DN percent-encoded where needed)
 *   bind_dn=DN            simple bind as DN; without it the store binds anonymously
 *   password=SECRET       its password; ${NAME} is read from the environment (keep secrets out of ara.conf)
 *   password_file=PATH    or read it from a file (first line), e.g. a systemd credential
 *   starttls=yes          upgrade ldap:// with StartTLS before binding (default no)
 *   tls_ca=PATH           PEM CA bundle for ldaps:// and StartTLS (default: Node's CAs)
 *   tls_verify=no         accept any server certificate (default yes; for tests only)
 *   mapping=PATH          res_ldap.conf-style mapping file (see mapping.ts); default: built-in mapping
 *   connect_timeout=MS    TCP/TLS connect timeout (default 2000)
 *   query_timeout=MS      per-operation timeout (default 3000); Asterisk waits on every lookup
 *   page_size=N           paged results page size for large searches (default 500, 0 = no paging)
 *   chunks=no             turn off the `;`/`^XX` multi-value convention (default yes)
 *   static_order=asc|desc order of static categories by cat_metric (default asc, as res_config_ldap)
 *   schema_discovery=no   do not read the directory's subschema (default yes: matching rules decide filters)
 *   cache_ttl=MS, cache_size=N   a read cache in front, as for every store (default off)
 *   stale_if_error=24h    last-known-good answers when the directory fails, as for every store
 */
export interface LdapOptions {
  url: string;
  baseDN: string;
  bindDN?: string;
  password?: string;
  startTLS: boolean;
  tlsCA?: string;
  tlsVerify: boolean;
  mappingFile?: string;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  pageSize: number;
  chunks: boolean;
  staticOrder: 'asc' | 'desc';
  schemaDiscovery: boolean;
}

const KNOWN = new Set([
  'bind_dn', 'password', 'password_file', 'starttls', 'tls_ca', 'tls_verify', 'mapping',
  'connect_timeout', 'query_timeout', 'page_size', 'chunks', 'static_order', 'schema_discovery',
  // the read cache every store can have in front (src/stores/index.ts withCache)
  'cache_ttl', 'cache_size',
  // last-known-good answers (src/stores/index.ts staleIfErrorOf)
  'stale_if_error',
]);

export function parseLdapUrl(name: string, raw: string, env: NodeJS.ProcessEnv = process.env): LdapOptions {
  const fail = (msg: string): never => {
    throw new ConfigError(`database '${name}': ${msg}`);
  };
  const m = /^(ldaps?):\/\/([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/i.exec(raw.trim());
  if (!m) fail('an LDAP URL is ldap://host[:port]/<base DN>[?options]');
  const [, scheme, hostPort, path, query] = m as unknown as [string, string, string, string | undefined, string | undefined];
  if (hostPort.includes('@')) fail('put the bind DN and password in bind_dn= and password= (a DN cannot sit in the URL authority)');
  let baseDN = '';
  try {
    baseDN = decodeURIComponent(path ?? '').trim();
  } catch {
    fail('the base DN is not valid percent-encoding');
  }
  if (!baseDN) fail('the URL names no base DN (ldap://host/dc=example,dc=com)');
  if (!isPlausibleDn(baseDN)) fail(`'${baseDN}' is not a DN`);
  const params = new URLSearchParams(query ?? '');
  for (const k of params.keys()) if (!KNOWN.has(k)) fail(`unknown LDAP option '${k}' (known: ${[...KNOWN].join(', ')})`);

  const get = (k: string) => params.get(k) ?? undefined;
  const yes = (k: string, dflt: boolean) => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (/^(yes|true|on|1)$/i.test(v)) return true;
    if (/^(no|false|off|0)$/i.test(v)) return false;
    return fail(`${k}: '${v}' is not yes or no`);
  };
  const int = (k: string, dflt: number, min: number) => {
    const v = get(k);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`${k} must be an integer >= ${min}, not '${v}'`);
    return n;
  };
  const expand = (k: string, v: string) =>
    v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, n: string) => {
      const x = env[n];
      if (x === undefined) fail(`${k} names the environment variable ${n}, which is not set`);
      return x!;
    });

  const bindDN = get('bind_dn') !== undefined ? expand('bind_dn', get('bind_dn')!) : undefined;
  if (bindDN !== undefined && !isPlausibleDn(bindDN)) fail(`bind_dn '${bindDN}' is not a DN`);
  let password = get('password') !== undefined ? expand('password', get('password')!) : undefined;
  const pwFile = get('password_file');
  if (pwFile !== undefined) {
    if (password !== undefined) fail('give password= or password_file=, not both');
    try {
      password = (readFileSync(expand('password_file', pwFile), 'utf8').split(/\r?\n/)[0] ?? '');
    } catch (err) {
      fail(`password_file: ${(err as Error).message}`);
    }
  }
  if (password !== undefined && bindDN === undefined) fail('a password without bind_dn');
  // An empty password turns a simple bind into an unauthenticated one (RFC 4513 5.1.2), which
  // some servers accept as anonymous: refuse it rather than run with other rights than meant.
  if (bindDN !== undefined && !password) fail('bind_dn needs a non-empty password (password=${VAR} or password_file=)');

  const order = (get('static_order') ?? 'asc') as 'asc' | 'desc';
  if (order !== 'asc' && order !== 'desc') fail(`static_order must be asc or desc, not '${order}'`);
  const startTLS = yes('starttls', false);
  if (startTLS && scheme.toLowerCase() === 'ldaps') fail('starttls is for ldap://; ldaps:// is TLS already');
  let tlsCA: string | undefined;
  if (get('tls_ca') !== undefined) {
    try {
      tlsCA = readFileSync(get('tls_ca')!, 'utf8');
    } catch (err) {
      fail(`tls_ca: ${(err as Error).message}`);
    }
  }
  return {
    url: `${scheme.toLowerCase()}://${hostPort}`,
    baseDN,
    ...(bindDN !== undefined ? { bindDN } : {}),
    ...(password !== undefined ? { password } : {}),
    startTLS,
    ...(tlsCA !== undefined ? { tlsCA } : {}),
    tlsVerify: yes('tls_verify', true),
    ...(get('mapping') !== undefined ? { mappingFile: get('mapping')! } : {}),
    connectTimeoutMs: int('connect_timeout', 2000, 1),
    queryTimeoutMs: int('query_timeout', 3000, 1),
    pageSize: int('page_size', 500, 0),
    chunks: yes('chunks', true),
    staticOrder: order,
    schemaDiscovery: yes('schema_discovery', true),
  };
}
