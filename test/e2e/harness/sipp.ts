/**
 * SIPp against a harness Asterisk: REGISTERs with digest auth, and a test call into a context.
 *
 *   const r = await sippRegister({ node, users: [{ user: '1001', password: 's3cret' }], timeoutMs: 30_000 });
 *   assert.equal(r.successful, 1);
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type AsteriskNode } from './asterisk.js';

export interface SippResult {
  successful: number;
  failed: number;
  /** successful calls per second of wall time */
  rate: number;
  elapsedMs: number;
  /** SIPp's exit code (0: every call succeeded, 1: some failed) */
  code: number;
  /** SIPp's messages and its unexpected-message log, for failure reports */
  output: string;
}

/**
 * REGISTER (expects 401 with a challenge), REGISTER again with digest credentials from the
 * injection file (expects 200). No retransmissions: on loopback nothing is lost, and a late
 * answer to a retransmitted first REGISTER (a second 401) would fail the call that already moved
 * on; a message that never comes fails the call after -recv_timeout. The Contact carries the user, so every user has one contact per
 * SIPp run, refreshed by each further REGISTER.
 */
export const REGISTER_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="register with digest auth">
  <send>
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: 3600
      User-Agent: ara-e2e
      Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send>
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      [field1]
      Max-Forwards: 70
      Expires: 3600
      User-Agent: ara-e2e
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
`;

/**
 * An INVITE from \`from\` to \`[field0]\` (the dialled number); the call succeeds when Asterisk
 * answers 200 (e.g. Answer() then Hangup() in the dialplan: SIPp acknowledges and hangs up on BYE).
 */
export const CALL_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="call into a context">
  <send>
    <![CDATA[

      INVITE sip:[field0]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv request="BYE"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
`;

export interface SippRun {
  node: AsteriskNode;
  scenario: string;
  /** injection file lines (fields separated by `;`), played in order */
  inject: string[][];
  /** SIP port to send to (default the PJSIP transport) */
  port?: number;
  calls?: number;
  /** calls started per second (default: as fast as concurrency allows) */
  rate?: number;
  /** most calls in flight at once */
  concurrency?: number;
  /** SIPp's own SIP port (default a free one); the same port keeps a user's contact the same across runs */
  localPort?: number;
  timeoutMs: number;
}

/** Runs one SIPp scenario to its end and reads its final statistics. */
export async function runSipp(run: SippRun): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  try {
    const scenario = join(dir, 'scenario.xml');
    const inject = join(dir, 'inject.csv');
    const stats = join(dir, 'stats.csv');
    const errors = join(dir, 'errors.log');
    writeFileSync(scenario, run.scenario);
    writeFileSync(inject, ['SEQUENTIAL', ...run.inject.map((f) => f.join(';'))].join('\n') + '\n');
    const calls = run.calls ?? run.inject.length;
    const args = [
      `127.0.0.1:${run.port ?? run.node.ports.sip}`,
      '-sf', scenario,
      '-inf', inject,
      '-i', '127.0.0.1',
      // SIPp's own default is 5060 when free: other test runs may want it at the same time.
      '-p', String(run.localPort ?? (await freePort('udp'))),
      '-mp', String(await freePort('udp')),
      '-m', String(calls),
      '-r', String(run.rate ?? 100_000),
      '-l', String(run.concurrency ?? 1),
      '-nostdin',
      '-trace_stat', '-stf', stats, '-fd', '3600',
      '-trace_err', '-error_file', errors,
      '-recv_timeout', '10000',
      '-timeout', `${Math.ceil(run.timeoutMs / 1000)}s`,
      '-timeout_error',
    ];
    const t0 = performance.now();
    const { code, output } = await new Promise<{ code: number; output: string }>((ok) => {
      execFile(run.node.bin.sipp, args, { cwd: dir, timeout: run.timeoutMs + 10_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const c = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        ok({ code: c, output: `${stderr}\n${stdout.slice(-2000)}`.trim() });
      });
    });
    const elapsedMs = performance.now() - t0;
    const { successful, failed } = readStats(stats);
    const errLog = existsSync(errors) ? readFileSync(errors, 'utf8').slice(0, 4000) : '';
    return { successful, failed, elapsedMs, rate: successful / (elapsedMs / 1000), code, output: [output, errLog].filter(Boolean).join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readStats(file: string): { successful: number; failed: number } {
  if (!existsSync(file)) return { successful: 0, failed: 0 };
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const col = (name: string) => Number(last[head.indexOf(name)] ?? 0);
  return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
}

export interface RegisterRun {
  node: AsteriskNode;
  users: { user: string; password: string }[];
  /** REGISTERs in all (default one per user), cycling through the users */
  calls?: number;
  rate?: number;
  concurrency?: number;
  /** when given, a run where not every REGISTER ended that way throws with SIPp's output */
  expect?: 'success' | 'failure';
  timeoutMs: number;
  port?: number;
  /** SIPp's own SIP port: give two runs the same one and the second refreshes the first's contacts */
  localPort?: number;
}

/** REGISTERs with digest auth (401 challenge, then credentials), counted by SIPp. */
export async function sippRegister(run: RegisterRun): Promise<SippResult> {
  const calls = run.calls ?? run.users.length;
  const r = await runSipp({
    node: run.node,
    scenario: REGISTER_SCENARIO,
    inject: run.users.map((u) => [u.user, `[authentication username=${u.user} password=${u.password}]`]),
    calls,
    timeoutMs: run.timeoutMs,
    ...(run.rate !== undefined ? { rate: run.rate } : {}),
    ...(run.concurrency !== undefined ? { concurrency: run.concurrency } : {}),
    ...(run.port !== undefined ? { port: run.port } : {}),
    ...(run.localPort !== undefined ? { localPort: run.localPort } : {}),
  });
  if (run.expect === 'success' && (r.successful !== calls || r.failed !== 0)) {
    throw new Error(`expected ${calls} successful REGISTERs, got ${r.successful} successful and ${r.failed} failed (sipp exit ${r.code}):\n${r.output}\n--- Asterisk:\n${run.node.logTail(20)}`);
  }
  if (run.expect === 'failure' && (r.successful !== 0 || r.failed !== calls)) {
    throw new Error(`expected ${calls} failed REGISTERs, got ${r.successful} successful and ${r.failed} failed (sipp exit ${r.code}):\n${r.output}`);
  }
  return r;
}

/** One INVITE per number to `port` (default the PJSIP transport), answered when the call succeeds. */
export async function sippCall(run: { node: AsteriskNode; numbers: string[]; port?: number; timeoutMs: number }): Promise<SippResult> {
  return runSipp({ node: run.node, scenario: CALL_SCENARIO, inject: run.numbers.map((n) => [n]), timeoutMs: run.timeoutMs, ...(run.port !== undefined ? { port: run.port } : {}) });
}
