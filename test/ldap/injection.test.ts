import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Entry } from 'ldapts';
import type { Mapping } from '../../src/config/extconfig.js';
import { BadRequest, BadValue, RealtimeError } from '../../src/realtime/errors.js';
import type { Realtime } from '../../src/realtime/realtime.js';
import type { Field, Filter } from '../../src/realtime/types.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ldapUnavailable, scratchDirectory, type ScratchDirectory } from './directory.js';

/**
 * Hostile values through every operation: res_config_ldap put a SIP From user into its filter
 * unescaped, so `*` matched every peer and `)(uid=*` rewrote the search. Here each value must
 * reach LDAP as data: lookups find nothing (or exactly the row holding that very value), writes
 * touch nothing else, and an entry stored under a hostile name keeps it byte for byte.
 */
const CORPUS = [
  '*',
  '**',
  ')(',
  '*)(uid=*',
  ')(uid=*))(|(uid=*',
  '*)(|(objectClass=*',
  '*)(|(AstAccountName=*))',
  '(&)',
  '(|)',
  '!',
  '\\2a',
  '\\',
  '\\\\',
  '\\5c2a',
  'alice)(AstAccountSecret=*',
  'al*ce',
  'cn=x,dc=example,dc=com',
  'a,b=c+d;e<f>g"h#i',
  ' leading and trailing ',
  '#hash',
  'é日本🎉',
  '%',
  '_',
  'ali%',
  'a\u0000lice',
  '\u0000',
  'x'.repeat(30),
  'y'.repeat(5000),
];

const PEERS = ['alice', 'bob', 'carol'];

describe('hostile values on LDAP: nothing leaks, nothing else changes', { skip: ldapUnavailable() ?? false }, () => {
  let dir: ScratchDirectory;
  let server: TestServer;
  let rt: Realtime;
  let baseline: string;
  let baselineDns: Set<string>;

  const f = (column: string, value: string, op: Filter['op'] = '='): Filter => ({ column, op, value });
  const v = (column: string, value: string | null): Field => ({ column, value });
  /** the directory as text, to compare before and after */
  const snapshot = async () => JSON.stringify((await dir.entries()).map(canonical).sort());
  /** the answer, or the error a caller's mistake gets (a hostile value may be refused, never obeyed) */
  const attempt = async <T>(fn: () => Promise<T>): Promise<T | 'refused'> => {
    try {
      return await fn();
    } catch (err) {
      assert.ok(err instanceof BadValue || err instanceof BadRequest || (err instanceof RealtimeError && err.status < 500), `not a refusal: ${String(err)}`);
      return 'refused';
    }
  };

  before(async () => {
    dir = await scratchDirectory('ara-inject');
    const mappings: Mapping[] = ['sippeers', 'ps_endpoints', 'ps_contacts'].map((name) => ({ name, driver: 'ldap', database: 'dir', table: name, priority: 1, line: 0 }));
    server = await startTestServer({ databases: { dir: dir.url() }, mappings, migrate: 'no' });
    rt = server.runtime.realtime;
  });
  after(async () => {
    await server?.close();
    await dir?.drop();
  });
  beforeEach(async () => {
    await dir.wipe();
    for (const name of PEERS) {
      await rt.store('sippeers', [v('name', name), v('secret', `${name}-secret`), v('context', 'default'), v('host', 'dynamic')]);
      await rt.store('ps_endpoints', [v('id', name), v('context', 'default'), v('mailboxes', `${name}@default`)]);
    }
    baseline = await snapshot();
    baselineDns = new Set((await dir.entries()).map((e) => e.dn));
  });

  test('lookups: = and LIKE with a hostile value find nothing, on every column', async () => {
    for (const value of CORPUS) {
      for (const [family, column] of [['sippeers', 'name'], ['sippeers', 'secret'], ['sippeers', 'context'], ['ps_endpoints', 'id'], ['ps_endpoints', 'mailboxes']] as const) {
        for (const op of ['=', 'LIKE'] as const) {
          const like = op === 'LIKE' && /[%_]/.test(value) && value !== 'ali%' ? null : value; // % and _ are LIKE's own wildcards
          if (like === null) continue;
          const single = await attempt(() => rt.single(family, [f(column, like, op)]));
          const multi = await attempt(() => rt.multi(family, [f(column, like, op)]));
          // 'ali%' is a real pattern: alice, alice-secret, alice@default
          const expectRows = op === 'LIKE' && value === 'ali%' && column !== 'context' ? 1 : 0;
          if (single !== 'refused') assert.equal(single === null ? 0 : 1, expectRows, `${family}.${column} ${op} ${JSON.stringify(value.slice(0, 40))}`);
          if (multi !== 'refused') assert.equal(multi.length, expectRows, `${family}.${column} ${op} ${JSON.stringify(value.slice(0, 40))}`);
        }
      }
      // != and ordering compare with the value, they do not let it widen the search
      const ne = await attempt(() => rt.multi('sippeers', [f('name', value, '!=')]));
      if (ne !== 'refused') assert.deepEqual(ne.map((r) => r.name).sort(), PEERS.filter((p) => p !== value), `name != ${JSON.stringify(value.slice(0, 40))}`);
      const ge = await attempt(() => rt.multi('sippeers', [f('name', value, '>=')]));
      if (ge !== 'refused') assert.deepEqual(ge.map((r) => r.name).sort(), PEERS.filter((p) => p >= value), `name >= ${JSON.stringify(value.slice(0, 40))}`);
    }
    assert.equal(await snapshot(), baseline);
  });

  test('update and destroy with a hostile lookup value change nothing', async () => {
    for (const value of CORPUS) {
      for (const op of ['=', 'LIKE'] as const) {
        if (op === 'LIKE' && /[%_]/.test(value)) continue;
        const up = await attempt(() => rt.update('sippeers', [f('name', value, op)], [v('secret', 'pwned')]));
        if (up !== 'refused') assert.equal(up, 0, `update name ${op} ${JSON.stringify(value.slice(0, 40))}`);
        const up2 = await attempt(() => rt.update('ps_endpoints', [f('id', value, op), f('context', value, op)], [v('context', 'pwned')]));
        if (up2 !== 'refused') assert.equal(up2, 0);
        const del = await attempt(() => rt.destroy('sippeers', [f('name', value, op)]));
        if (del !== 'refused') assert.equal(del, 0, `destroy name ${op} ${JSON.stringify(value.slice(0, 40))}`);
        const del2 = await attempt(() => rt.destroy('ps_endpoints', [f('mailboxes', value, op)]));
        if (del2 !== 'refused') assert.equal(del2, 0);
      }
      assert.equal(await snapshot(), baseline, `after ${JSON.stringify(value.slice(0, 40))}`);
    }
  });

  test('a hostile value stored, read back byte for byte, updated and deleted alone', async () => {
    const refused: string[] = [];
    for (const value of CORPUS) {
      for (const [family, key, extra] of [['sippeers', 'name', 'secret'], ['ps_endpoints', 'id', 'context']] as const) {
        const stored = await attempt(() => rt.store(family, [v(key, value), v(extra, value), ...(family === 'sippeers' ? [v('context', 'hostile')] : [])]));
        if (stored === 'refused') {
          refused.push(`${family}:${value.slice(0, 10)}`);
          assert.equal(await snapshot(), baseline, `a refused store of ${JSON.stringify(value.slice(0, 40))} left something behind`);
          continue;
        }
        assert.equal(stored, 1);
        const row = await rt.single(family, [f(key, value)]);
        assert.equal(row?.[key], value, `${family}.${key} round trip of ${JSON.stringify(value.slice(0, 40))}`);
        assert.equal(row?.[extra], value);
        // the entry lives where its family's entries live, named by the value, nowhere else
        const added = (await dir.entries()).filter((e) => !baselineDns.has(e.dn));
        assert.equal(added.length, 1, `one entry for ${JSON.stringify(value.slice(0, 40))}: ${added.map((e) => e.dn).join(' | ')}`);
        assert.ok(added[0]!.dn.toLowerCase().endsWith(`,ou=${family},${dir.base}`.toLowerCase()), added[0]!.dn);
        // only that entry matches its own value; the others are untouched by an update through it
        assert.equal((await rt.multi(family, [f(key, value)])).length, 1);
        assert.equal(await rt.update(family, [f(key, value)], [v(extra, 'changed')]), 1);
        assert.equal((await rt.single(family, [f(key, value)]))?.[extra], 'changed');
        assert.equal(await rt.destroy(family, [f(key, value)]), 1);
        assert.equal(await snapshot(), baseline, `after deleting ${JSON.stringify(value.slice(0, 40))}`);
      }
    }
    // only the value wider than both columns is refused (BadValue); everything else is data
    assert.deepEqual(refused, ['sippeers:yyyyyyyyyy', 'ps_endpoints:yyyyyyyyyy']);
  });

  test('through the wire: the same values percent-encoded as Asterisk sends them', async () => {
    const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.!~*'()]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    for (const value of CORPUS.filter((x) => !x.includes('\u0000') && x.length < 200)) {
      const e = enc(value);
      assert.equal((await server.post('/realtime/sippeers/single', `name=${e}`)).body, '', value);
      assert.equal((await server.post('/realtime/sippeers/multi', `secret=${e}`)).body, '', value);
      assert.equal((await server.post('/realtime/sippeers/destroy', `name=${e}&`)).body, '0\n', value);
      assert.equal((await server.post(`/realtime/sippeers/update?name=${e}`, 'secret=pwned')).body, '0\n', value);
      if (!/[%_]/.test(value)) assert.equal((await server.post('/realtime/ps_endpoints/multi', `id%20LIKE=${e}`)).body, '', value);
    }
    assert.equal(await snapshot(), baseline);
  });
});

function canonical(e: Entry): string {
  const attrs = Object.keys(e).filter((k) => k !== 'dn').sort();
  return JSON.stringify([e.dn, ...attrs.map((k) => [k, ([] as unknown[]).concat(e[k]).map(String).sort()])]);
}
