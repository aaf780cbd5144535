import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  decodeForm, decodeGlued, encodeRow, encodeStatic, encodeValue, percentDecode, toFilter, toRequirements,
} from '../../src/http/asterisk/codec.js';
import { BadRequest } from '../../src/realtime/errors.js';

/** Asterisk's ast_uri_decode (reference §1.3): `%XX` becomes the byte, `+` stays, a stray `%` stays. */
function asteriskDecode(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = /^%([0-9a-fA-F]{2})/.exec(s.slice(i));
    if (m) {
      bytes.push(Number.parseInt(m[1]!, 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i]!, 'latin1'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** What Asterisk's ast_uri_encode(ast_uri_http) sends. */
function asteriskEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

describe('request decoding', () => {
  test('pairs keep order and duplicates, tolerate empty segments', () => {
    assert.deepEqual(decodeForm('&a=1&&b=2&a=3&'), [['a', '1'], ['b', '2'], ['a', '3']]);
    assert.deepEqual(decodeForm('x=&y=1'), [['x', ''], ['y', '1']]);
    assert.deepEqual(decodeForm(''), []);
    // Asterisk always writes `name=`; a bare name is not Asterisk.
    assert.throws(() => decodeForm('novalue&x='), BadRequest);
    assert.throws(() => decodeForm('=1'), BadRequest);
  });

  test('percent-decoding: + stays +, %20 is a space; a stray %, bad UTF-8 or a NUL is refused', () => {
    assert.equal(percentDecode('a+b%20c%2Bd'), 'a+b c+d');
    assert.equal(percentDecode('%C3%A9'), 'é');
    for (const bad of ['100%', '%zz%41', '%4Z', '%FF', '%C3', 'a%00b']) assert.throws(() => percentDecode(bad), BadRequest, bad);
  });

  test('operators live in field names', () => {
    assert.deepEqual(toFilter(['exten LIKE', '\\_%']), { column: 'exten', op: 'LIKE', value: '\\_%' });
    assert.deepEqual(toFilter(['expiration_time <=', '17']), { column: 'expiration_time', op: '<=', value: '17' });
    assert.deepEqual(toFilter(['contact !=', '']), { column: 'contact', op: '!=', value: '' });
    assert.deepEqual(toFilter(['name', 'x']), { column: 'name', op: '=', value: 'x' });
    assert.throws(() => toFilter(['name BETWEEN', '1']), /unknown operator/);
    assert.throws(() => toFilter(['name; DROP', '1']), /unknown operator/);
  });

  test("update2's glued lists split with the table's column names", () => {
    const cols = ['name', 'ipaddr', 'port', 'context', 'mailbox', 'password', '@body', 'session-timers'];
    assert.deepEqual(decodeGlued('&context=defaultmailbox=1234', cols), [['context', 'default'], ['mailbox', '1234']]);
    assert.deepEqual(decodeGlued('&name=1001ipaddr=127.0.0.1', cols), [['name', '1001'], ['ipaddr', '127.0.0.1']]);
    assert.deepEqual(decodeGlued('&name=1001', cols), [['name', '1001']]);
    assert.deepEqual(decodeGlued('&name=ipaddr=1.2.3.4', cols), [['name', ''], ['ipaddr', '1.2.3.4']]);
    assert.deepEqual(decodeGlued('&name=a%20b%40body=x', cols), [['name', 'a b'], ['@body', 'x']]);
    assert.deepEqual(decodeGlued('&port=5060name%20LIKE=10%25', cols), [['port', '5060'], ['name LIKE', '10%']]);
    assert.throws(() => decodeGlued('&name=1001nosuchcol=1', cols), BadRequest);
  });

  test('require specs', () => {
    assert.deepEqual(toRequirements([['paused', 'integer1:1'], ['x', 'weird:3']]), [
      { column: 'paused', type: 'integer1', size: 1 },
      { column: 'x', type: 'unknown', size: 3 },
    ]);
  });
});

describe('answer encoding', () => {
  test('%20 never +, %25 for %, uppercase hex, unreserved left alone', () => {
    assert.equal(encodeValue('a b+c,d;e'), 'a%20b%2Bc%2Cd%3Be');
    assert.equal(encodeValue("100% (ok) it's!*"), '100%25%20%28ok%29%20it%27s%21%2A');
    assert.equal(encodeValue('A-Z_a.z~09'), 'A-Z_a.z~09');
    assert.equal(encodeValue('été'), '%C3%A9t%C3%A9');
  });

  test('a row is one line; several values repeat the name', () => {
    assert.equal(encodeRow({ name: 'a b', allow: ['ulaw', 'alaw'], empty: '' }), 'name=a%20b&allow=ulaw&allow=alaw&empty=');
    assert.equal(
      encodeStatic([{ category: 'general', cat_metric: '0', var_metric: '1', var_name: 'udpbindaddr', var_val: '127.0.0.1:5070' }]),
      'category=general&cat_metric=0&var_metric=1&var_name=udpbindaddr&var_val=127.0.0.1%3A5070\n',
    );
  });

  test('property: what we encode, Asterisk decodes to the same string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const wellFormed = s.isWellFormed();
      fc.pre(wellFormed);
      assert.equal(asteriskDecode(encodeValue(s)), s);
      assert.ok(!/[+& =\r\n]/.test(encodeValue(s)));
    }), { numRuns: 2000 });
  });

  test('property: what Asterisk encodes, we decode to the same string', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary', minLength: 1 }), fc.string({ unit: 'binary' })), { maxLength: 6 }), (pairs) => {
      // C strings: Asterisk can never send a NUL.
      fc.pre(pairs.every(([k, v]) => k.isWellFormed() && v.isWellFormed() && !k.includes('\u0000') && !v.includes('\u0000')));
      const body = pairs.map(([k, v]) => `${asteriskEncode(k)}=${asteriskEncode(v)}`).join('&');
      assert.deepEqual(decodeForm(body), pairs);
    }), { numRuns: 2000 });
  });
});
