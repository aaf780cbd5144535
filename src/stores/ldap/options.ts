import { readFileSync } from 'node:fs';
import { databaseOptions } from '../../config/database-options.js';
import { ConfigError } from '../../config/errors.js';
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
 *
 * The options are parsed by the schema in src/config/database-options.ts, which refuses unknown ones.
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

export function parseLdapUrl(name: string, raw: string, env: NodeJS.ProcessEnv = process.env): LdapOptions & { cache: { cache_ttl: number; cache_size: number }; staleIfError: number | undefined } {
  const fail = (msg: string): never => {
    throw new ConfigError(`database '${name}': ${msg}`);
  };
  const m = /^(ldaps?):\/\/([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/i.exec(raw.trim());
  if (!m) fail('an LDAP URL is ldap://host[:port]/<base DN>[?options]');
  const [, scheme, hostPort, path] = m as unknown as [string, string, string, string | undefined];
  if (hostPort.includes('@')) fail('put the bind DN and password in bind_dn= and password= (a DN cannot sit in the URL authority)');
  let baseDN = '';
  try {
    baseDN = decodeURIComponent(path ?? '').trim();
  } catch {
    fail('the base DN is not valid percent-encoding');
  }
  if (!baseDN) fail('the URL names no base DN (ldap://host/dc=example,dc=com)');
  if (!isPlausibleDn(baseDN)) fail(`'${baseDN}' is not a DN`);
  const o = databaseOptions(name, 'ldap', raw.trim()).options;

  const expand = (k: string, v: string) =>
    v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, n: string) => {
      const x = env[n];
      if (x === undefined) fail(`${k} names the environment variable ${n}, which is not set`);
      return x!;
    });

  const bindDN = o.bind_dn !== undefined ? expand('bind_dn', o.bind_dn) : undefined;
  if (bindDN !== undefined && !isPlausibleDn(bindDN)) fail(`bind_dn '${bindDN}' is not a DN`);
  let password = o.password !== undefined ? expand('password', o.password) : undefined;
  const pwFile = o.password_file;
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

  const startTLS = o.starttls;
  if (startTLS && scheme.toLowerCase() === 'ldaps') fail('starttls is for ldap://; ldaps:// is TLS already');
  let tlsCA: string | undefined;
  if (o.tls_ca !== undefined) {
    try {
      tlsCA = readFileSync(o.tls_ca, 'utf8');
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
    tlsVerify: o.tls_verify,
    ...(o.mapping !== undefined ? { mappingFile: o.mapping } : {}),
    connectTimeoutMs: o.connect_timeout,
    queryTimeoutMs: o.query_timeout,
    pageSize: o.page_size,
    chunks: o.chunks,
    // res_config_ldap's order when none is set
    staticOrder: o.static_order ?? 'asc',
    schemaDiscovery: o.schema_discovery,
    cache: { cache_ttl: o.cache_ttl, cache_size: o.cache_size },
    staleIfError: o.stale_if_error,
  };
}
