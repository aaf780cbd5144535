import type { Logger } from '../../realtime/realtime.js';
import { Mappings } from './mapping.js';
import type { LdapOptions } from './options.js';
import { LdapStore } from './store.js';

/**
 * Opens an LDAP database from its ara.conf URL (format: options.ts). The mapping file, when
 * one is named, is read and checked now, so a mistake in it stops the start.
 */
export function openLdapStore(name: string, options: LdapOptions, log?: Logger): LdapStore {
  const mappings = options.mappingFile ? Mappings.fromFile(name, options.mappingFile) : new Mappings(name);
  return new LdapStore(name, options, mappings, log);
}

export { LdapStore } from './store.js';
export { Mappings } from './mapping.js';
export { parseLdapUrl, type LdapOptions } from './options.js';
