import { ldapUnavailable } from '../ldap/directory.js';
import { conformance } from './suite.js';
import { ldapTarget } from './targets.js';

// The store reads the directory's subschema and lets each attribute's matching rules decide
// what a filter can say.
conformance('openldap (ldapts)', () => ldapTarget(), ldapUnavailable());

// Without discovery (a directory that hides its subschema), the rules of the bundled schema
// are assumed: the same answers.
conformance('openldap (ldapts), bundled schema rules assumed', () => ldapTarget({ schema_discovery: 'no' }), ldapUnavailable());
