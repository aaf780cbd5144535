import { z } from 'zod';
import { familyDef } from '../../../../schemas/index.js';
import { familySchemas, keySchema } from '../schemas.js';

/**
 * The PJSIP line's JSON: read (PjsipLine), create, replace and patch, from the four families'
 * definitions.
 */

export const defs = {
  endpoint: familyDef('ps_endpoints')!,
  aor: familyDef('ps_aors')!,
  auth: familyDef('ps_auths')!,
  identify: familyDef('ps_endpoint_id_ips')!,
};

export const partSchemas = {
  endpoint: familySchemas(defs.endpoint, ['id']),
  aor: familySchemas(defs.aor, ['id']),
  auth: familySchemas(defs.auth, ['id']),
  identify: familySchemas(defs.identify, ['id', 'endpoint']),
};
export const md5 = { compute_md5_cred: z.boolean().optional().describe('store md5(username:realm:password) as md5_cred with auth_type md5, instead of the password') };
export const lineOut = z.object({
  id: z.string(),
  endpoint: partSchemas.endpoint.row,
  aor: partSchemas.aor.row.nullable(),
  auth: partSchemas.auth.row.nullable(),
  identify: partSchemas.identify.row.optional(),
});
export const example = {
  endpoint: { transport: 'transport-udp', context: 'from-internal', disallow: 'all', allow: 'ulaw,alaw', callerid: '"Alice" <1001>' },
  aor: { max_contacts: 1, remove_existing: 'yes' },
  auth: { password: 'wonderland', realm: 'asterisk', compute_md5_cred: true },
  identify: { match: '192.0.2.10' },
};
export const lineIn = z.strictObject({
  endpoint: partSchemas.endpoint.replace.optional().default({}).describe('ps_endpoints columns; aors and auth are filled in'),
  aor: partSchemas.aor.replace.optional().default({}).describe('ps_aors columns'),
  auth: partSchemas.auth.replace.extend(md5).optional().default({}).describe('ps_auths columns; username defaults to the line id'),
  identify: partSchemas.identify.replace.nullable().optional().describe('ps_endpoint_id_ips columns; left out, the identify is removed'),
}).meta({ examples: [example] });
export const lineCreate = lineIn.extend({ id: keySchema(defs.endpoint) }).meta({ examples: [{ id: '1001', ...example }] });
export const linePatch = z.strictObject({
  endpoint: partSchemas.endpoint.patch.optional(),
  aor: partSchemas.aor.patch.optional(),
  auth: partSchemas.auth.patch.extend(md5).optional(),
  identify: partSchemas.identify.patch.nullable().optional(),
});
