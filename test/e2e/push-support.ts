import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AsteriskNode, AsteriskPorts } from './harness/asterisk.js';
import { sippRegister } from './harness/sipp.js';

/**
 * The shipped Asterisk side (deploy/asterisk/), used verbatim: only the ports of the shipped
 * files are replaced by the throwaway instance's.
 */
const DEPLOY = resolve(import.meta.dirname, '../../deploy/asterisk');
export const ARI = { user: 'ara', password: 'ara-push-secret' };
export const AMI = { user: 'ara', secret: 'ara-ami-secret' };

export type Variant = 'push-memory' | 'push-astdb' | 'invalidate';

export function shippedFiles(variant: Variant, ports: AsteriskPorts, araUrl?: string): Record<string, string> {
  const read = (f: string) => readFileSync(resolve(DEPLOY, f), 'utf8');
  const files: Record<string, string> = {
    'http.conf': read('http.conf').replace(/^bindport = 8088$/m, `bindport = ${ports.http}`),
    'ari.conf': read('ari.conf'),
    'manager.conf': read('manager.conf').replace(/^port = 5038$/m, `port = ${ports.ami}`),
    'pjsip.conf': read('pjsip.conf').replace(/^bind = 127\.0\.0\.1:5060$/m, `bind = 127.0.0.1:${ports.sip}`),
    'sorcery.conf': read(`${variant}/sorcery.conf`),
    'extconfig.conf': read(`${variant}/extconfig.conf`).replace(/http:\/\/127\.0\.0\.1:8090/g, araUrl ?? 'http://127.0.0.1:8090'),
  };
  if (variant === 'invalidate') files['res_curl.conf'] = read('invalidate/res_curl.conf');
  return files;
}

/** Polls until `check` answers a value (not undefined/false), or fails naming what never came. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One REGISTER with these credentials: true when Asterisk answered 200. */
export async function registers(node: AsteriskNode, user: string, password: string): Promise<boolean> {
  const r = await sippRegister({ node, users: [{ user, password }], timeoutMs: 20_000 });
  return r.successful === 1;
}

/** The node's own view of an object over ARI (null when it has none). */
export async function onNode(node: AsteriskNode, type: string, id: string, configClass = 'res_pjsip'): Promise<Record<string, string> | null> {
  const r = await fetch(`http://127.0.0.1:${node.ports.http}/ari/asterisk/config/dynamic/${configClass}/${type}/${encodeURIComponent(id)}`, {
    headers: { authorization: `Basic ${Buffer.from(`${ARI.user}:${ARI.password}`).toString('base64')}` },
  });
  if (r.status === 404) return null;
  if (r.status !== 200) throw new Error(`ARI GET ${type}/${id}: ${r.status}`);
  const fields = (await r.json()) as { attribute: string; value: string }[];
  return Object.fromEntries(fields.map((f) => [f.attribute, f.value]));
}

export function nodeUrl(node: AsteriskNode | AsteriskPorts, query = ''): string {
  const ports = 'ports' in node ? node.ports : node;
  return `http://${ARI.user}:${ARI.password}@127.0.0.1:${ports.http}/ari${query ? `?${query}` : ''}`;
}

/** The AMI option of a node URL in invalidate mode. */
export function amiOption(ports: AsteriskPorts): string {
  return `ami=tcp://${AMI.user}:${AMI.secret}@127.0.0.1:${ports.ami}`;
}
