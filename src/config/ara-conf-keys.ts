/**
 * The sections of ara.conf and the keys each takes. Anything else is refused with its name, so
 * a misspelling (`[nodez]`, `lisen =`) stops the start instead of being ignored. `names` marks a
 * section whose keys are names the operator picks. A new setting is one line here, plus where it
 * is read.
 */
export const ARA_CONF_SECTIONS: Readonly<Record<string, readonly string[] | 'names'>> = {
  general: [
    'listen', 'extconfig', 'data_dir', 'log_level', 'body_limit', 'migrate',
    'request_timeout', 'max_inflight', 'shutdown_timeout',
  ],
  databases: 'names',
  asterisk: ['user', 'password', 'permit'],
  dialplan: ['families', 'plain', 'refresh'],
  history: ['retention'],
  coherence: ['follow', 'poll'],
  nodes: 'names', // the nodes changes are pushed to; read by the push surface
  push: ['lease'],
};
