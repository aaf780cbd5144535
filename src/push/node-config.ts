import { z } from 'zod';
import { expandEnv } from '../config/env.js';
import { ConfigError } from '../config/errors.js';

/**
 * One Asterisk node of ara.conf's `[nodes]`:
 *
 *   ast1 => http://USER:PASSWORD@HOST:8088/ari?mode=push
 *   ast2 => https://USER:${ARI_PASSWORD}@ast2:8089/ari?wizard=astdb&tls_ca=/etc/ara/ca.pem
 *   ast3 => http://USER:PASSWORD@ast3:8088/ari?mode=invalidate&ami=tcp://USER:PASSWORD@ast3:5038
 *
 * The URL is the node's ARI base (ari.conf user, http.conf port and prefix); options ride in
 * the query string and unknown ones are refused.
 */

const yesNo = z.enum(['yes', 'no', 'true', 'false', 'on', 'off', '1', '0']).transform((v) => ['yes', 'true', 'on', '1'].includes(v));
const ms = (dflt: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(dflt);

const optionsSchema = z.strictObject({
  /** push: objects are written into the node's memory/astdb wizards; invalidate: the node reads realtime and ara expires its cache */
  mode: z.enum(['push', 'invalidate']).default('push'),
  /** what the node's sorcery.conf maps the pushed types to: memory is empty after a restart (push everything), astdb keeps them (compare, push differences) */
  wizard: z.enum(['memory', 'astdb']).default('memory'),
  /** AMI for invalidate mode and chan_sip/IAX2 pruning: tcp://USER:SECRET@HOST:5038 */
  ami: z.string().regex(/^tcp:\/\//, 'ami must be tcp://USER:SECRET@HOST:PORT').optional(),
  tls_ca: z.string().min(1).optional(),
  tls_verify: yesNo.default(true),
  /** longest one request to the node may take, ms */
  timeout: ms(10_000, 100, 120_000),
  /** how often the node is asked whether it restarted, ms */
  probe: ms(2000, 100, 600_000),
  /** requests in flight to the node at once (resync) */
  concurrency: ms(8, 1, 64),
  /** reload the module of a changed static file on the node (otherwise only on request) */
  reload: yesNo.default(false),
});

export interface NodeConfig {
  name: string;
  /** scheme://host:port/prefix, no credentials: safe to show */
  baseUrl: string;
  user: string;
  password: string;
  mode: 'push' | 'invalidate';
  wizard: 'memory' | 'astdb';
  ami?: { host: string; port: number; user: string; secret: string };
  tls: { ca?: string; verify: boolean };
  timeoutMs: number;
  probeMs: number;
  concurrency: number;
  reload: boolean;
}

export function parseNode(name: string, raw: string, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const fail = (why: string): never => {
    throw new ConfigError(`[nodes] ${name}: ${why}`);
  };
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) fail('a node name is 1-64 letters, digits, _ . or -');
  const expanded = expandEnv(raw, env, `[nodes] ${name}`, true);
  let url: URL;
  try {
    url = new URL(expanded);
  } catch {
    return fail('not a URL (http://USER:PASSWORD@HOST:PORT/ari?mode=push)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`the scheme must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (!url.username || !url.password) fail('the URL needs the ARI user and password (http://USER:PASSWORD@HOST:PORT/ari)');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k in query) fail(`option ${k} is given twice`);
    query[k] = v;
  }
  const parsed = optionsSchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    fail(issue.code === 'unrecognized_keys' ? `unknown option ${key}` : `option ${key}: ${issue.message}`);
  }
  const o = parsed.data!;
  let ami: NodeConfig['ami'];
  if (o.ami !== undefined) {
    const a = new URL(o.ami);
    if (!a.username || !a.password || !a.hostname) fail('ami must be tcp://USER:SECRET@HOST:PORT');
    ami = { host: a.hostname.replace(/^\[|\]$/g, ''), port: a.port ? Number(a.port) : 5038, user: decodeURIComponent(a.username), secret: decodeURIComponent(a.password) };
  }
  if (o.mode === 'invalidate' && !ami) fail('mode=invalidate needs ami=tcp://USER:SECRET@HOST:PORT');
  const path = url.pathname.replace(/\/+$/, '') || '/ari';
  return {
    name,
    baseUrl: `${url.protocol}//${url.host}${path}`,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    mode: o.mode,
    wizard: o.wizard,
    ...(ami ? { ami } : {}),
    tls: { ...(o.tls_ca ? { ca: o.tls_ca } : {}), verify: o.tls_verify },
    timeoutMs: o.timeout,
    probeMs: o.probe,
    concurrency: o.concurrency,
    reload: o.reload,
  };
}
