import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Mapping } from '../../src/config/extconfig.js';
import { values } from '../../src/stores/ldap/directory.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ldapUnavailable, scratchDirectory, type ScratchDirectory } from './directory.js';

/**
 * PJSIP on an LDAP directory through the Asterisk surface, with the requests a real Asterisk
 * sends (test/fixtures/captures/pjsip-register-sequence.txt): sorcery creates, reads, updates and
 * deletes endpoints, AORs, auths and contacts; every answer is checked on the wire and every
 * write in the directory itself.
 */
const FAMILIES = ['ps_endpoints', 'ps_aors', 'ps_auths', 'ps_contacts', 'ps_domain_aliases'];

describe('PJSIP realtime on LDAP through the Asterisk surface', { skip: ldapUnavailable() ?? false }, () => {
  let dir: ScratchDirectory;
  let server: TestServer;
  const p = (path: string, body: string) => server.post(`/realtime/${path}`, body);
  const entry = async (dn: string) => (await dir.entries()).find((e) => e.dn.toLowerCase() === dn.toLowerCase());

  before(async () => {
    dir = await scratchDirectory('ara-pjsip');
    const mappings: Mapping[] = FAMILIES.map((name) => ({ name, driver: 'ldap', database: 'dir', table: name, priority: 1, line: 0 }));
    server = await startTestServer({ databases: { dir: dir.url() }, mappings, migrate: 'no' });
  });
  after(async () => {
    await server?.close();
    await dir?.drop();
  });

  test('create: sorcery stores endpoint, AOR and auth (every field, empty ones included)', async () => {
    assert.equal((await p('ps_aors/store', 'id=1001&max_contacts=1&remove_existing=yes&qualify_frequency=0&mailboxes=&contact=&default_expiration=3600&minimum_expiration=60&maximum_expiration=7200&outbound_proxy=&support_path=no&qualify_timeout=3.000000&voicemail_extension=&authenticate_qualify=no')).body, '1\n');
    assert.equal((await p('ps_auths/store', 'id=1001&auth_type=userpass&username=1001&password=s3cret&realm=&md5_cred=&nonce_lifetime=32')).body, '1\n');
    assert.equal((await p('ps_endpoints/store', 'id=1001&transport=transport-udp&aors=1001&auth=1001&context=default&disallow=all&allow=ulaw%2Calaw&direct_media=no&mailboxes=1001%40default&rtp_timeout=&callerid=Alice%20%3C1001%3E&100rel=yes')).body, '1\n');

    const ep = await entry(`AstPjsipEndpointId=1001,ou=ps_endpoints,${dir.base}`);
    assert.ok(ep, 'the endpoint is an entry named by its id, in ou=ps_endpoints');
    assert.deepEqual(values(ep, 'objectClass'), ['AsteriskPjsipEndpoint']);
    assert.deepEqual(values(ep, 'AstPjsipEndpointAllow'), ['ulaw,alaw']);
    assert.deepEqual(values(ep, 'AstPjsipEndpointCallerid'), ['Alice <1001>']);
    assert.deepEqual(values(ep, 'AstPjsipEndpoint100rel'), ['yes']);
    assert.deepEqual(values(ep, 'AstPjsipEndpointRtpTimeout'), [], 'an empty integer is no value, as NULL in SQL');
    const aor = await entry(`AstPjsipAorId=1001,ou=ps_aors,${dir.base}`);
    assert.deepEqual(values(aor, 'AstPjsipAorMailboxes'), [''], 'an empty text value is kept, as in SQL');
    assert.deepEqual(values(aor, 'AstPjsipAorQualifyTimeout'), ['3.000000']);
    assert.deepEqual(values(aor, 'AstPjsipAorMaxContacts'), ['1']);
    const auth = await entry(`AstPjsipAuthId=1001,ou=ps_auths,${dir.base}`);
    assert.deepEqual(values(auth, 'AstPjsipAuthPassword'), ['s3cret']);

    // a second create of the same id is refused, nothing is overwritten
    assert.equal((await p('ps_auths/store', 'id=1001&auth_type=userpass&username=1001&password=other')).body, '-1\n');
    assert.deepEqual(values(await entry(`AstPjsipAuthId=1001,ou=ps_auths,${dir.base}`), 'AstPjsipAuthPassword'), ['s3cret']);
  });

  test('read: a REGISTER\'s lookups, misses on user@host included', async () => {
    assert.equal((await p('ps_endpoints/single', 'id=1001%40127.0.0.1')).body, '');
    assert.equal(
      (await p('ps_endpoints/single', 'id=1001')).body,
      'id=1001&transport=transport-udp&aors=1001&auth=1001&context=default&disallow=all&allow=ulaw%2Calaw&direct_media=no&mailboxes=1001%40default&callerid=Alice%20%3C1001%3E&100rel=yes\n',
    );
    assert.equal((await p('ps_auths/single', 'id=1001')).body, 'id=1001&auth_type=userpass&nonce_lifetime=32&md5_cred=&password=s3cret&realm=&username=1001\n');
    assert.match((await p('ps_aors/single', 'id=1001')).body, /^id=1001&contact=&default_expiration=3600&mailboxes=&max_contacts=1&/);
    assert.equal((await p('ps_contacts/multi', 'id%20LIKE=1001%3B%40%25')).body, '');
    // res_pjsip_mwi: endpoints with mailboxes; res_pjsip location: AORs with a static contact
    assert.match((await p('ps_endpoints/multi', 'mailboxes%20!%3D=')).body, /^id=1001&/);
    assert.equal((await p('ps_aors/multi', 'contact%20!%3D=')).body, '');
    // sorcery "retrieve all" and regex retrievals
    assert.match((await p('ps_endpoints/multi', 'id%20LIKE=%25')).body, /^id=1001&/);
    assert.match((await p('ps_endpoints/multi', 'id%20LIKE=%2500%25')).body, /^id=1001&/);
    assert.equal((await p('ps_endpoints/multi', 'id%20LIKE=9%25')).body, '');
    assert.equal((await p('ps_endpoints/require', 'id=char%3A40&context=char%3A40')).body, '0\n');
  });

  test('contacts: created, refreshed and pruned as the registrar does', async () => {
    const id = '1001%3B%40927256f62f2d57c558b8493d5719fc9c';
    const contact = 'via_addr=127.0.0.1&qualify_timeout=3.000000&qualify_2xx_only=false&call_id=54e02d58%40127.0.0.1&reg_server=&prune_on_boot=no&path=&endpoint=1001&via_port=5099&authenticate_qualify=no&uri=sip%3A1001%40127.0.0.1%3A5099&qualify_frequency=0&user_agent=capture-sip-tool%2F1.0&expiration_time=1795419724&outbound_proxy=';
    assert.equal((await p('ps_contacts/store', `id=${id}&${contact}`)).body, '1\n');
    const stored = (await dir.entries()).find((e) => e.dn.startsWith('AstPjsipContactId='));
    assert.ok(stored);
    assert.deepEqual(values(stored, 'AstPjsipContactId'), ['1001^3B@927256f62f2d57c558b8493d5719fc9c'], "the SQL drivers' ; convention, so the id comes back whole");
    const listed = await p('ps_contacts/multi', 'id%20LIKE=1001%3B%40%25');
    assert.match(listed.body, new RegExp(`^id=${id}&uri=sip%3A1001%40127.0.0.1%3A5099&expiration_time=1795419724&qualify_frequency=0&outbound_proxy=&path=&user_agent=capture-sip-tool%2F1.0&qualify_timeout=3.000000&reg_server=&authenticate_qualify=no&via_addr=127.0.0.1&via_port=5099&call_id=54e02d58%40127.0.0.1&endpoint=1001&prune_on_boot=no&qualify_2xx_only=false\\n$`));
    assert.equal((await p(`ps_contacts/update?id=${id}`, contact.replace('1795419724', '1795419731'))).body, '1\n');
    assert.equal((await p('ps_contacts/multi', 'expiration_time%20%3C%3D=1795419730')).body, '');
    assert.match((await p('ps_contacts/multi', 'expiration_time%20%3C%3D=1795419731')).body, /^id=1001%3B%40/);
    assert.equal((await p('ps_contacts/destroy', `id=${id}&`)).body, '1\n');
    assert.equal((await p('ps_contacts/multi', 'id%20LIKE=1001%3B%40%25')).body, '');
  });

  test('update: sorcery sends the whole object; a miss is 0', async () => {
    assert.equal((await p('ps_endpoints/update?id=1001', 'transport=transport-tcp&aors=1001&auth=1001&context=internal&disallow=all&allow=g722&direct_media=yes&mailboxes=&rtp_timeout=30')).body, '1\n');
    const ep = await entry(`AstPjsipEndpointId=1001,ou=ps_endpoints,${dir.base}`);
    assert.deepEqual(values(ep, 'AstPjsipEndpointContext'), ['internal']);
    assert.deepEqual(values(ep, 'AstPjsipEndpointRtpTimeout'), ['30']);
    assert.deepEqual(values(ep, 'AstPjsipEndpointMailboxes'), ['']);
    assert.equal((await p('ps_endpoints/multi', 'mailboxes%20!%3D=')).body, '', 'an emptied mailboxes no longer subscribes');
    assert.equal((await p('ps_auths/update?id=1001', 'password=n3w&auth_type=userpass&username=1001')).body, '1\n');
    assert.match((await p('ps_auths/single', 'id=1001')).body, /&password=n3w&/);
    assert.equal((await p('ps_aors/update?id=1001', 'max_contacts=5&qualify_frequency=')).body, '1\n');
    const aor = await entry(`AstPjsipAorId=1001,ou=ps_aors,${dir.base}`);
    assert.deepEqual(values(aor, 'AstPjsipAorMaxContacts'), ['5']);
    assert.deepEqual(values(aor, 'AstPjsipAorQualifyFrequency'), [], 'an emptied integer is deleted');
    assert.equal((await p('ps_endpoints/update?id=1002', 'context=x')).body, '0\n');
    // a bad value changes nothing
    assert.equal((await p('ps_endpoints/update?id=1001', 'context=other&direct_media=maybe')).body, '-1\n');
    assert.deepEqual(values(await entry(`AstPjsipEndpointId=1001,ou=ps_endpoints,${dir.base}`), 'AstPjsipEndpointContext'), ['internal']);
  });

  test('an update that renames the entry moves it', async () => {
    assert.equal((await p('ps_domain_aliases/store', 'id=example.com&domain=example.net')).body, '1\n');
    assert.equal((await p('ps_domain_aliases/update?id=example.com', 'id=example.org&domain=example.net')).body, '1\n');
    assert.equal(await entry(`AstPjsipDomainAliasId=example.com,ou=ps_domain_aliases,${dir.base}`), undefined);
    assert.ok(await entry(`AstPjsipDomainAliasId=example.org,ou=ps_domain_aliases,${dir.base}`));
    assert.equal((await p('ps_domain_aliases/single', 'id=example.org')).body, 'id=example.org&domain=example.net\n');
    assert.equal((await p('ps_domain_aliases/destroy', 'id=example.org&')).body, '1\n');
  });

  test('delete: endpoint, AOR and auth are gone, a second delete is 0', async () => {
    for (const family of ['ps_endpoints', 'ps_aors', 'ps_auths']) {
      assert.equal((await p(`${family}/destroy`, 'id=1001&')).body, '1\n', family);
      assert.equal((await p(`${family}/single`, 'id=1001')).body, '', family);
      assert.equal((await p(`${family}/destroy`, 'id=1001&')).body, '0\n', family);
    }
    const left = (await dir.entries()).filter((e) => !/^ou=/i.test(e.dn));
    assert.deepEqual(left.map((e) => e.dn), []);
  });
});
