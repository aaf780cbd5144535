import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planFile } from '../../src/import/dispatch.js';
import type { ImportPlan, PlannedRow } from '../../src/import/model.js';

/** What each Asterisk file kind turns into, before anything is written. */

const rows = (plan: ImportPlan, family: string): Record<string, PlannedRow['cells']> =>
  Object.fromEntries(plan.rows.filter((r) => r.family === family).map((r) => [Object.values(r.match).join('/'), r.cells]));

describe('pjsip.conf', () => {
  test('type= decides the family; wizards expand as res_pjsip_config_wizard does', () => {
    const plan = planFile('/etc/asterisk/pjsip.conf', [
      '[t-udp]', 'type=transport', 'protocol=udp', 'bind=0.0.0.0',
      '[acl1]', 'type=acl', 'deny=0.0.0.0/0',
      '[trunk]', 'type = wizard', 'sends_auth = yes', 'sends_registrations = yes',
      'remote_hosts = sip1.example.com:5060, sip2.example.com', 'outbound_auth/username = user1', 'outbound_auth/password = pw',
      'endpoint/context = from-trunk', 'endpoint/allow = ulaw', 'endpoint/allow = alaw', 'transport = t-udp',
      '[phone](!)', 'type = wizard', 'accepts_auth = yes', 'accepts_registrations = yes', 'endpoint/context = phones',
      '[1001](phone)', 'inbound_auth/username = 1001', 'inbound_auth/password = s3cret', 'aor/max_contacts = 2', 'endpoint/bogus = x', 'has_hint = yes', 'hint_exten = 1001',
    ].join('\n'), { into: 'realtime' });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(rows(plan, 'ps_transports'), { 't-udp': { protocol: 'udp', bind: '0.0.0.0', id: 't-udp' } });
    assert.deepEqual(rows(plan, 'ps_auths'), {
      'trunk-oauth': { username: 'user1', password: 'pw', auth_type: 'userpass', id: 'trunk-oauth' },
      '1001-iauth': { username: '1001', password: 's3cret', auth_type: 'userpass', id: '1001-iauth' },
    });
    assert.deepEqual(rows(plan, 'ps_aors'), {
      trunk: { contact: ['sip:sip1.example.com:5060', 'sip:sip2.example.com'], id: 'trunk' },
      1001: { max_contacts: '2', id: '1001' },
    });
    assert.deepEqual(rows(plan, 'ps_endpoints'), {
      trunk: { context: 'from-trunk', allow: ['ulaw', 'alaw'], aors: 'trunk', transport: 't-udp', outbound_auth: 'trunk-oauth', id: 'trunk' },
      1001: { context: 'phones', aors: '1001', auth: '1001-iauth', id: '1001' },
    });
    // A phone that accepts registrations gets no identify; the trunk matches its hosts as written.
    assert.deepEqual(rows(plan, 'ps_endpoint_id_ips'), { 'trunk-identify': { endpoint: 'trunk', match: ['sip1.example.com:5060', 'sip2.example.com'], id: 'trunk-identify' } });
    assert.deepEqual(rows(plan, 'ps_registrations'), {
      'trunk-reg-0': { server_uri: 'sip:sip1.example.com:5060', client_uri: 'sip:user1@sip1.example.com:5060', outbound_auth: 'trunk-oauth', transport: 't-udp', id: 'trunk-reg-0' },
      'trunk-reg-1': { server_uri: 'sip:sip2.example.com', client_uri: 'sip:user1@sip2.example.com', outbound_auth: 'trunk-oauth', transport: 't-udp', id: 'trunk-reg-1' },
    });
    assert.deepEqual(plan.statics.find((f) => f.file === 'pjsip.conf')?.categories, [{ name: 'acl1', variables: [{ name: 'type', value: 'acl' }, { name: 'deny', value: '0.0.0.0/0' }] }]);
    assert.deepEqual(plan.keptStatic.map((p) => p.line), [5]);
    const skipped = plan.skipped.map((p) => `${p.line}: ${p.reason}`);
    assert.ok(skipped.some((s) => s.startsWith("28: 'bogus' is not an option ps_endpoints can hold")), skipped.join('\n'));
    assert.ok(skipped.some((s) => /^24: wizard \[1001\] hint 1001@phones/.test(s)), skipped.join('\n'));
  });

  test('a wizard that breaks Asterisk\'s rules is an error naming its line', () => {
    const plan = planFile('pjsip.conf', '[x]\ntype=wizard\naccepts_auth=yes\n', { into: 'realtime' });
    assert.deepEqual(plan.errors.map((e) => `${e.file}:${e.line}`), ['pjsip.conf:1', 'pjsip.conf:1']);
    assert.match(plan.errors[0]!.reason, /inbound_auth\/username/);
    assert.match(plan.errors[1]!.reason, /remote_hosts/);
  });
});

describe('extensions.conf', () => {
  test('exten, same, n, n+1, app(data) as pbx_config reads them; what pbx_realtime cannot serve stays static', () => {
    const plan = planFile('extensions.conf', [
      '[general]', 'static=yes',
      '[globals]', 'X=1',
      '[in]', 'include => other', 'exten => 100,1,Answer()', 'same => n,Dial(PJSIP/100,20)', 'same => n+1,Hangup',
      'exten => 100,hint,PJSIP/100', 'exten => _2XX,1,NoOp(a,b(c)) ', 'switch => IAX2/foo', 'exten => _2XX,1,NoOp(dup)',
      '[lab]', 'exten => s,1(start),NoOp', 'same => n,Goto(start)',
    ].join('\n'), { into: 'realtime', extensionsFamily: 'extensions' });
    assert.deepEqual(plan.rows.map((r) => r.cells), [
      { context: 'in', exten: '100', priority: '1', app: 'Answer', appdata: '' },
      { context: 'in', exten: '100', priority: '2', app: 'Dial', appdata: 'PJSIP/100,20' },
      { context: 'in', exten: '100', priority: '4', app: 'Hangup', appdata: '' },
      { context: 'in', exten: '_2XX', priority: '1', app: 'NoOp', appdata: 'a,b(c)' },
    ]);
    assert.deepEqual(plan.statics[0]!.categories, [
      { name: 'general', variables: [{ name: 'static', value: 'yes' }] },
      { name: 'globals', variables: [{ name: 'X', value: '1' }] },
      { name: 'in', variables: [{ name: 'include', value: 'other' }, { name: 'exten', value: '100,hint,PJSIP/100' }, { name: 'switch', value: 'IAX2/foo' }, { name: 'switch', value: 'Realtime/@extensions/p' }] },
      { name: 'lab', variables: [{ name: 'exten', value: 's,1(start),NoOp' }, { name: 'same', value: 'n,Goto(start)' }] },
    ]);
    assert.deepEqual(plan.keptStatic.map((p) => `${p.line}: ${p.reason}`), [
      "6: 'include => other' in [in] has no realtime form (pbx_realtime serves extensions only); kept in the static file",
      '10: hint 100@in has no realtime form (pbx_realtime serves no hints); kept in the static file',
      "12: 'switch => IAX2/foo' in [in] has no realtime form (pbx_realtime serves extensions only); kept in the static file",
      "15: context [lab] stays static: label 'start' (the realtime switch cannot look labels up)",
    ]);
    assert.deepEqual(plan.skipped.map((p) => p.line), [13]);
    assert.deepEqual(plan.scopes, [{ family: 'extensions', column: 'context', values: ['in'] }]);
  });
});

describe('sip.conf, voicemail.conf, queues.conf', () => {
  test('peers become rows, values byte for byte; unknown options and runtime state are reported with their line', () => {
    const plan = planFile('sip.conf', '[general]\nbindport=5060\n[1001]\ntype=friend\nfoo=bar\nipaddr=1.2.3.4\nsecret=x\\;y \ncallerid="Bob" <1001>\n', { into: 'realtime' });
    assert.deepEqual(plan.rows.map((r) => r.cells), [{ type: 'friend', secret: 'x;y', callerid: '"Bob" <1001>', name: '1001' }]);
    assert.deepEqual(plan.skipped.map((p) => `${p.file}:${p.line}`), ['sip.conf:5', 'sip.conf:6']);
    assert.deepEqual(plan.statics[0]!.categories, [{ name: 'general', variables: [{ name: 'bindport', value: '5060' }] }]);
  });

  test('mailbox => password,name,email,pager,options', () => {
    const plan = planFile('voicemail.conf', '[general]\nformat=wav\n[default]\n1234 => 4242,Example Mailbox,root@localhost,,attach=yes|tz=central|bogus=1\n', { into: 'realtime' });
    assert.deepEqual(plan.rows.map((r) => r.cells), [{ context: 'default', mailbox: '1234', password: '4242', fullname: 'Example Mailbox', email: 'root@localhost', attach: 'yes', tz: 'central' }]);
    assert.deepEqual(plan.skipped.map((p) => p.line), [4]);
  });

  test('queues and their members; option names with - are the columns with _', () => {
    const plan = planFile('queues.conf', '[general]\npersistentmembers=yes\n[support]\nstrategy=ringall\nannounce-frequency=30\nmember => PJSIP/100,5,Alice\n', { into: 'realtime' });
    assert.deepEqual(plan.rows.map((r) => [r.family, r.cells]), [
      ['queues', { strategy: 'ringall', announce_frequency: '30', name: 'support' }],
      ['queue_members', { queue_name: 'support', interface: 'PJSIP/100', penalty: '5', membername: 'Alice' }],
    ]);
  });

  test('#include and #exec are refused, naming file and line', () => {
    assert.throws(() => planFile('/x/sip.conf', '[general]\n#include other.conf\n', { into: 'realtime' }), /\/x\/sip.conf:2: #include other.conf/);
    assert.throws(() => planFile('/x/sip.conf', '[general]\n\n#exec /bin/peers\n', { into: 'realtime' }), /\/x\/sip.conf:3: #exec is not supported/);
  });

  test('a file of unknown kind needs a name or --into static', () => {
    assert.throws(() => planFile('custom.conf', '[a]\nb=c\n', { into: 'realtime' }), /cannot tell which Asterisk file/);
    assert.deepEqual(planFile('custom.conf', '[a]\nb=c\n', { into: 'static' }).statics, [{ file: 'custom.conf', categories: [{ name: 'a', variables: [{ name: 'b', value: 'c' }] }] }]);
  });
});
