/**
 * The realtime requests a real Asterisk 20.20.1 makes for one PJSIP REGISTER refresh with digest
 * auth, in order (test/fixtures/captures/pjsip-register-sequence.txt): 11 requests, several of
 * them repeated lookups and misses on `user@host` ids. Used by every benchmark that speaks in
 * REGISTERs.
 */
export type Req = { method: 'POST'; path: string; body: string };

export const REQUESTS_PER_REGISTER = 11;

const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** The realtime requests of one PJSIP REGISTER refresh with digest auth, for user number i. */
export function register(i: number): Req[] {
  const id = String(40000 + i);
  const post = (path: string, body: string): Req => ({ method: 'POST', path: `/realtime/${path}`, body });
  return [
    post('ps_endpoints/single', `id=${id}%40127.0.0.1`),
    post('ps_endpoints/single', `id=${id}`),
    post('ps_auths/single', `id=${id}`),
    post('ps_endpoints/single', `id=${id}%40127.0.0.1`),
    post('ps_endpoints/single', `id=${id}`),
    post('ps_auths/single', `id=${id}`),
    post('ps_aors/single', `id=${id}`),
    post('ps_contacts/multi', `id%20LIKE=${id}%3B%40%25`),
    post(`ps_contacts/update?id=${id}%3B%40c0ffee`, `via_addr=127.0.0.1&qualify_timeout=3.000000&qualify_2xx_only=false&call_id=${i}-9428%40127.0.0.1&reg_server=&prune_on_boot=no&path=&endpoint=${id}&via_port=5099&authenticate_qualify=no&uri=sip%3A${id}%40127.0.0.1%3A5099&qualify_frequency=0&user_agent=bench&expiration_time=${1795419724 + i}&outbound_proxy=`),
    post('ps_aors/single', `id=${id}`),
    post('ps_endpoints/single', `id=${id}`),
  ];
}

/** Endpoint, auth, aor and one contact for users 0..users-1, through ara's Asterisk surface at url. */
export async function seedRegisterUsers(url: string, users: number): Promise<void> {
  const post = async (path: string, body: string) => {
    const r = await fetch(`${url}/realtime/${path}`, { method: 'POST', body, headers: form });
    const t = await r.text();
    if (t !== '1\n') throw new Error(`seeding ${path} ${body}: ${r.status} ${t}`);
  };
  for (let i = 0; i < users; i++) {
    const id = String(40000 + i);
    await post('ps_endpoints/store', `id=${id}&transport=transport-udp&aors=${id}&auth=${id}&context=default&disallow=all&allow=ulaw`);
    await post('ps_auths/store', `id=${id}&auth_type=userpass&username=${id}&password=s3cret`);
    await post('ps_aors/store', `id=${id}&max_contacts=1&remove_existing=yes`);
    await post('ps_contacts/store', `id=${id}%3B%40c0ffee&uri=sip%3A${id}%40127.0.0.1%3A5099&expiration_time=1795419724&endpoint=${id}`);
  }
}
