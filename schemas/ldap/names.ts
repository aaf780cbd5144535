import type { FamilyDef } from '../define.js';
import { isIntegerKind } from '../define.js';
import { astConfig, families } from '../index.js';

/**
 * The LDAP names of every realtime family: which attribute holds each column, which object
 * classes a new entry gets, how an entry is named. The LDAP store's default mapping and the
 * schema generator (schemas/ldap/generate.ts -> asterisk.schema) both read this file, so the
 * schema defines exactly what the default mapping uses.
 *
 * Where Asterisk's own schema (contrib/scripts/asterisk.ldap-schema, v3.2.2, reference §7.3)
 * has an attribute, its name is used, so a directory already used with res_config_ldap is read
 * unchanged; the shipped res_ldap.conf.sample decides where the schema is ambiguous (md5secret
 * is AstAccountRealmedPassword). Everything else is named `<prefix><Column>` (PJSIP:
 * `AstPjsipEndpointDirectMedia`, `AstPjsipAorMaxContacts`...).
 */

/** Asterisk's attribute types, OID 1.3.6.1.4.1.22736.5.4.<n> (n = the value here). */
export const ASTERISK_ATTRIBUTES: Readonly<Record<string, number>> = {
  AstContext: 1, AstExtension: 2, AstPriority: 3, AstApplication: 4, AstApplicationData: 5,
  AstAccountAMAFlags: 6, AstAccountCallerID: 7, AstAccountContext: 8, AstAccountMailbox: 9,
  AstMD5secret: 10, AstAccountDeny: 11, AstAccountPermit: 12, AstAccountQualify: 13,
  AstAccountType: 14, AstAccountDisallowedCodec: 15, AstAccountExpirationTimestamp: 16,
  AstAccountRegistrationContext: 17, AstAccountRegistrationExten: 18, AstAccountNoTransfer: 19,
  AstAccountCallGroup: 20, AstAccountCanReinvite: 21, AstAccountDTMFMode: 22, AstAccountFromUser: 23,
  AstAccountFromDomain: 24, AstAccountFullContact: 25, AstAccountHost: 26, AstAccountInsecure: 27,
  AstAccountNAT: 28, AstAccountPickupGroup: 29, AstAccountPort: 30, AstAccountRestrictCID: 31,
  AstAccountRTPTimeout: 32, AstAccountRTPHoldTimeout: 33, AstAccountRealmedPassword: 34,
  AstAccountAllowedCodec: 35, AstAccountMusicOnHold: 36, AstAccountCanCallForward: 37,
  AstAccountSecret: 38, AstAccountName: 39, AstConfigFilename: 40, AstConfigCategory: 41,
  AstConfigCategoryMetric: 42, AstConfigVariableName: 43, AstConfigVariableValue: 44,
  AstConfigCommented: 45, AstAccountIPAddress: 46, AstAccountDefaultUser: 47,
  AstAccountRegistrationServer: 48, AstAccountLastQualifyMilliseconds: 49, AstAccountCallLimit: 50,
  AstVoicemailMailbox: 51, AstVoicemailPassword: 52, AstVoicemailFullname: 53, AstVoicemailEmail: 54,
  AstVoicemailPager: 55, AstVoicemailOptions: 56, AstVoicemailTimestamp: 57, AstVoicemailContext: 58,
  AstAccountSubscribeContext: 59, /* 60 AstAccountIpAddr: removed in 3.2.2 */ AstAccountUserAgent: 61,
  AstAccountLanguage: 62, AstAccountTransport: 63, AstAccountPromiscRedir: 64, AstAccountAccountCode: 65,
  AstAccountSetVar: 66, AstAccountAllowOverlap: 67, AstAccountVideoSupport: 68, AstAccountIgnoreSDPVersion: 69,
};

/** Asterisk's object classes, OID 1.3.6.1.4.1.22736.5.2.<n>, as v3.2.2 defines them. */
export const ASTERISK_CLASSES: Readonly<Record<string, { n: number; sup: string; kind: 'STRUCTURAL' | 'AUXILIARY'; must: readonly string[]; may: readonly string[] }>> = {
  AsteriskExtension: { n: 1, sup: 'top', kind: 'AUXILIARY', must: ['cn'], may: ['AstContext', 'AstExtension', 'AstPriority', 'AstApplication', 'AstApplicationData'] },
  AsteriskIAXUser: {
    n: 2, sup: 'AsteriskExtension', kind: 'AUXILIARY', must: ['cn'],
    may: ['AstAccountAMAFlags', 'AstAccountCallerID', 'AstAccountContext', 'AstAccountFullContact', 'AstAccountHost', 'AstAccountMailbox', 'AstMD5secret', 'AstAccountDeny', 'AstAccountPermit', 'AstAccountPort', 'AstAccountQualify', 'AstAccountType', 'AstAccountLanguage', 'AstAccountDisallowedCodec', 'AstAccountExpirationTimestamp', 'AstAccountRegistrationContext', 'AstAccountRegistrationExten', 'AstAccountNoTransfer', 'AstAccountName', 'AstAccountLastQualifyMilliseconds', 'AstAccountCallLimit', 'AstAccountSubscribeContext', 'AstAccountIPAddress', 'AstAccountUserAgent'],
  },
  AsteriskSIPUser: {
    n: 3, sup: 'AsteriskExtension', kind: 'AUXILIARY', must: ['cn'],
    may: ['AstAccountAccountCode', 'AstAccountAllowOverlap', 'AstAccountAllowedCodec', 'AstAccountAMAFlags', 'AstAccountCallGroup', 'AstAccountCallLimit', 'AstAccountCallerID', 'AstAccountCanCallForward', 'AstAccountCanReinvite', 'AstAccountContext', 'AstAccountDTMFMode', 'AstAccountDefaultUser', 'AstAccountDeny', 'AstAccountDisallowedCodec', 'AstAccountExpirationTimestamp', 'AstAccountFromDomain', 'AstAccountFromUser', 'AstAccountFullContact', 'AstAccountHost', 'AstAccountIgnoreSDPVersion', 'AstAccountInsecure', 'AstAccountIPAddress', 'AstAccountLanguage', 'AstAccountLastQualifyMilliseconds', 'AstAccountMailbox', 'AstAccountMusicOnHold', 'AstAccountNAT', 'AstAccountName', 'AstAccountPermit', 'AstAccountPickupGroup', 'AstAccountPort', 'AstAccountPromiscRedir', 'AstAccountQualify', 'AstAccountRTPHoldTimeout', 'AstAccountRTPTimeout', 'AstAccountRealmedPassword', 'AstAccountRegistrationContext', 'AstAccountRegistrationExten', 'AstAccountRegistrationServer', 'AstAccountRestrictCID', 'AstAccountSecret', 'AstAccountSetVar', 'AstAccountSubscribeContext', 'AstAccountTransport', 'AstAccountType', 'AstAccountUserAgent', 'AstAccountVideoSupport'],
  },
  AsteriskConfig: { n: 4, sup: 'top', kind: 'AUXILIARY', must: ['cn'], may: ['AstConfigFilename', 'AstConfigCategory', 'AstConfigCategoryMetric', 'AstConfigVariableName', 'AstConfigVariableValue', 'AstConfigCommented'] },
  AsteriskVoiceMail: { n: 5, sup: 'top', kind: 'AUXILIARY', must: ['cn', 'AstContext', 'AstVoicemailMailbox', 'AstVoicemailPassword'], may: ['AstVoicemailFullname', 'AstVoicemailEmail', 'AstVoicemailPager', 'AstVoicemailOptions', 'AstVoicemailTimestamp', 'AstVoicemailContext'] },
  AsteriskDialplan: { n: 6, sup: 'top', kind: 'STRUCTURAL', must: ['AstExtension'], may: [] },
  AsteriskAccount: { n: 7, sup: 'top', kind: 'STRUCTURAL', must: ['AstAccountName'], may: [] },
  AsteriskMailbox: { n: 8, sup: 'top', kind: 'STRUCTURAL', must: ['AstVoicemailMailbox'], may: [] },
};

/** chan_sip / chan_iax2 columns that Asterisk's schema (or its sample mapping) names. */
const ACCOUNT_NAMES: Record<string, string> = {
  name: 'AstAccountName', amaflags: 'AstAccountAMAFlags', callgroup: 'AstAccountCallGroup',
  callerid: 'AstAccountCallerID', directmedia: 'AstAccountCanReinvite', context: 'AstAccountContext',
  dtmfmode: 'AstAccountDTMFMode', fromuser: 'AstAccountFromUser', fromdomain: 'AstAccountFromDomain',
  fullcontact: 'AstAccountFullContact', host: 'AstAccountHost', insecure: 'AstAccountInsecure',
  mailbox: 'AstAccountMailbox', md5secret: 'AstAccountRealmedPassword', nat: 'AstAccountNAT',
  deny: 'AstAccountDeny', permit: 'AstAccountPermit', pickupgroup: 'AstAccountPickupGroup',
  port: 'AstAccountPort', qualify: 'AstAccountQualify', rtptimeout: 'AstAccountRTPTimeout',
  rtpholdtimeout: 'AstAccountRTPHoldTimeout', type: 'AstAccountType', disallow: 'AstAccountDisallowedCodec',
  allow: 'AstAccountAllowedCodec', mohinterpret: 'AstAccountMusicOnHold', regseconds: 'AstAccountExpirationTimestamp',
  regcontext: 'AstAccountRegistrationContext', regexten: 'AstAccountRegistrationExten',
  ipaddr: 'AstAccountIPAddress', defaultuser: 'AstAccountDefaultUser', regserver: 'AstAccountRegistrationServer',
  lastms: 'AstAccountLastQualifyMilliseconds', useragent: 'AstAccountUserAgent', 'call-limit': 'AstAccountCallLimit',
  subscribecontext: 'AstAccountSubscribeContext', language: 'AstAccountLanguage', transport: 'AstAccountTransport',
  promiscredir: 'AstAccountPromiscRedir', accountcode: 'AstAccountAccountCode', setvar: 'AstAccountSetVar',
  allowoverlap: 'AstAccountAllowOverlap', videosupport: 'AstAccountVideoSupport',
  ignoresdpversion: 'AstAccountIgnoreSDPVersion', secret: 'AstAccountSecret', notransfer: 'AstAccountNoTransfer',
  restrictcid: 'AstAccountRestrictCID',
  // Not in Asterisk's schema, but the name res_ldap.conf users know (reference §7.3); ours.
  supportpath: 'AstAccountPathSupport',
};

/** How one family is laid out in the directory. */
export interface FamilyStyle {
  /** prefix of generated attribute names */
  prefix: string;
  /** the class every entry of the family has: the default additionalFilter */
  filterClass: string;
  /** object classes written on new entries (structural first) */
  objectClasses: readonly string[];
  /** the attribute naming new entries when it is not the key column's own (Asterisk's classes require cn) */
  rdnAttribute?: string;
  /** Asterisk's own attribute names, by column */
  names?: Readonly<Record<string, string>>;
  /** attributes kept as text even though their column is an integer (old directories hold other words) */
  textAttributes?: readonly string[];
}

const pjsip = (singular: string): FamilyStyle => ({
  prefix: `AstPjsip${singular}`,
  filterClass: `AsteriskPjsip${singular}`,
  objectClasses: [`AsteriskPjsip${singular}`],
});

const own = (prefix: string, cls: string, rdnAttribute?: string): FamilyStyle => ({
  prefix,
  filterClass: cls,
  objectClasses: [cls],
  ...(rdnAttribute ? { rdnAttribute } : {}),
});

export const STYLES: Readonly<Record<string, FamilyStyle>> = {
  sippeers: { prefix: 'AstAccount', filterClass: 'AsteriskSIPUser', objectClasses: ['AsteriskAccount', 'AsteriskSIPUser'], rdnAttribute: 'cn', names: ACCOUNT_NAMES },
  iaxfriends: { prefix: 'AstAccount', filterClass: 'AsteriskIAXUser', objectClasses: ['AsteriskAccount', 'AsteriskIAXUser'], rdnAttribute: 'cn', names: ACCOUNT_NAMES },
  extensions: {
    prefix: 'AstExtension', filterClass: 'AsteriskExtension', objectClasses: ['AsteriskDialplan', 'AsteriskExtension'], rdnAttribute: 'cn',
    names: { context: 'AstContext', exten: 'AstExtension', priority: 'AstPriority', app: 'AstApplication', appdata: 'AstApplicationData' },
  },
  voicemail: {
    prefix: 'AstVoicemail', filterClass: 'AsteriskVoiceMail', objectClasses: ['AsteriskMailbox', 'AsteriskVoiceMail'], rdnAttribute: 'cn',
    names: { context: 'AstContext', mailbox: 'AstVoicemailMailbox', password: 'AstVoicemailPassword', fullname: 'AstVoicemailFullname', email: 'AstVoicemailEmail', pager: 'AstVoicemailPager', stamp: 'AstVoicemailTimestamp' },
  },
  ast_config: {
    prefix: 'AstConfig', filterClass: 'AsteriskConfig', objectClasses: ['AsteriskConfigEntry', 'AsteriskConfig'], rdnAttribute: 'cn',
    names: {
      filename: 'AstConfigFilename', category: 'AstConfigCategory', cat_metric: 'AstConfigCategoryMetric',
      var_name: 'AstConfigVariableName', var_val: 'AstConfigVariableValue', commented: 'AstConfigCommented',
      var_metric: 'AstConfigVariableMetric',
    },
    // res_config_ldap looks entries up with commented=FALSE: existing directories hold words.
    textAttributes: ['AstConfigCommented'],
  },
  meetme: own('AstMeetme', 'AsteriskMeetme'),
  musiconhold: own('AstMoh', 'AsteriskMusicOnHold'),
  musiconhold_entry: own('AstMohEntry', 'AsteriskMusicOnHoldEntry'),
  queues: own('AstQueue', 'AsteriskQueue'),
  queue_members: own('AstQueueMember', 'AsteriskQueueMember'),
  queue_rules: own('AstQueueRule', 'AsteriskQueueRule', 'cn'),
  queue_log: own('AstQueueLog', 'AsteriskQueueLog'),
  stir_tn: own('AstStirTn', 'AsteriskStirTn'),
  ps_aors: pjsip('Aor'),
  ps_asterisk_publications: pjsip('AsteriskPublication'),
  ps_auths: pjsip('Auth'),
  ps_contacts: pjsip('Contact'),
  ps_domain_aliases: pjsip('DomainAlias'),
  ps_endpoint_id_ips: pjsip('EndpointIdIp'),
  ps_endpoints: pjsip('Endpoint'),
  ps_globals: pjsip('Global'),
  ps_inbound_publications: pjsip('InboundPublication'),
  ps_outbound_publishes: pjsip('OutboundPublish'),
  ps_registrations: pjsip('Registration'),
  ps_resource_list: pjsip('ResourceList'),
  ps_subscription_persistence: pjsip('SubscriptionPersistence'),
  ps_systems: pjsip('System'),
  ps_transports: pjsip('Transport'),
};

/** Our structural class for static config entries: Asterisk's AsteriskConfig is auxiliary only. */
export const CONFIG_ENTRY_CLASS = 'AsteriskConfigEntry';

/** `direct_media` -> `DirectMedia`, `session-timers` -> `SessionTimers`, `@body` -> `ExtBody`. */
export function camel(column: string): string {
  const ext = column.startsWith('@');
  const parts = column.replace(/^@/, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return (ext ? 'Ext' : '') + parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}

/** The default LDAP layout of one family. */
export interface LdapFamilyDefault {
  table: string;
  /** attribute by column, in the family's column order */
  attributes: ReadonlyMap<string, string>;
  filterClass: string;
  objectClasses: readonly string[];
  /** columns whose values name a new entry */
  rdn: readonly string[];
  /** set when the RDN attribute is not the (single) rdn column's own attribute */
  rdnAttribute?: string;
  /** where new entries go, relative to the database's base DN */
  container: string;
}

/**
 * The columns that name an entry: the family's key, else its primary key (several columns make
 * a multi-valued RDN, which LDAP keeps unique as SQL keeps the key), else none (a generated cn).
 */
export function rdnColumns(def: FamilyDef): string[] {
  if (def.key) return [def.key];
  return [...def.primaryKey];
}

function build(def: FamilyDef): LdapFamilyDefault {
  const style = STYLES[def.name];
  if (!style) throw new Error(`schemas/ldap/names.ts: no LDAP style for family ${def.name}`);
  const attributes = new Map<string, string>();
  for (const column of Object.keys(def.columns)) {
    attributes.set(column, style.names?.[column] ?? `${style.prefix}${camel(column)}`);
  }
  const rdn = rdnColumns(def);
  const rdnAttribute = style.rdnAttribute ?? (rdn.length === 0 ? 'cn' : undefined);
  return {
    table: def.name,
    attributes,
    filterClass: style.filterClass,
    objectClasses: style.objectClasses,
    rdn,
    ...(rdnAttribute ? { rdnAttribute } : {}),
    container: `ou=${def.name}`,
  };
}

const DEFAULTS = new Map<string, LdapFamilyDefault>();
for (const def of [...families, astConfig]) DEFAULTS.set(def.name, build(def));

/** The default layout of a family by its table name (an alias's table is its family's). */
export function ldapDefault(table: string): LdapFamilyDefault | undefined {
  return DEFAULTS.get(table) ?? DEFAULTS.get(table.toLowerCase());
}

export function ldapDefaults(): LdapFamilyDefault[] {
  return [...DEFAULTS.values()];
}

/** How an attribute of the default schema stores its values. */
export type AttributeSyntax = 'integer' | 'text';

/**
 * Every attribute the default layout uses, with its syntax: INTEGER (integerMatch,
 * integerOrderingMatch) when every column it holds is an integer, else text (octet string).
 */
export function defaultAttributeSyntaxes(): Map<string, { syntax: AttributeSyntax; columns: string[] }> {
  const out = new Map<string, { syntax: AttributeSyntax; columns: string[] }>();
  const textOnly = new Set(Object.values(STYLES).flatMap((s) => s.textAttributes ?? []).map((a) => a.toLowerCase()));
  for (const def of [...families, astConfig]) {
    const d = DEFAULTS.get(def.name)!;
    for (const [column, attr] of d.attributes) {
      const kind = def.columns[column]!.kind;
      const syntax: AttributeSyntax = isIntegerKind(kind) && !textOnly.has(attr.toLowerCase()) ? 'integer' : 'text';
      const seen = out.get(attr);
      if (!seen) {
        out.set(attr, { syntax, columns: [`${def.name}.${column}`] });
        continue;
      }
      seen.columns.push(`${def.name}.${column}`);
      if (seen.syntax !== syntax) {
        throw new Error(`schemas/ldap/names.ts: attribute ${attr} holds ${seen.columns.join(', ')} of different syntaxes`);
      }
    }
  }
  return out;
}
