import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { exportTexts, importTexts, openWorld, totals } from './support.js';

/**
 * import -> export -> import is a fixed point: for generated pjsip.conf, sip.conf,
 * voicemail.conf, queues.conf and extensions.conf files, importing what `ara export` wrote
 * changes nothing, and exporting again gives the same text.
 */

const FILES = ['pjsip.conf', 'sip.conf', 'voicemail.conf', 'queues.conf', 'extensions.conf'];

const CHARS = 'abcXYZ0189 ,;()$.{}_-/@<>"=|^#*!'.split('');
/** A value as administrators write them: punctuation included (`;` escaped), no leading or trailing blank. */
const value = (chars = CHARS, max = 12) => fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: max }).map((a) => a.join('')).filter((s) => s.trim() === s).map((s) => s.replaceAll(';', '\\;'));
const plain = value('abcdxyz0189_-'.split(''), 10);
const name = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const uniqueNames = (min: number, max: number) => fc.uniqueArray(name, { minLength: min, maxLength: max });
const codecs = fc.subarray(['ulaw', 'alaw', 'gsm', 'g722'], { minLength: 0 });

const optional = (key: string, arb: fc.Arbitrary<string>) => fc.option(arb.map((v) => `${key}=${v}`), { nil: undefined });

const sipConf = fc.tuple(uniqueNames(0, 4), fc.array(fc.tuple(fc.constantFrom('friend', 'peer', 'user'), optional('context', plain), optional('callerid', value()), optional('secret', value()), optional('host', plain), codecs), { minLength: 4, maxLength: 4 }))
  .map(([names, opts]) => '[general]\nbindport=5060\n' + names.map((n, i) => {
    const [type, ...rest] = opts[i]!;
    const c = rest.pop() as string[];
    return `[${n}]\ntype=${type}\n${(rest as (string | undefined)[]).filter(Boolean).join('\n')}\n${c.map((x) => `allow=${x}`).join('\n')}\n`;
  }).join(''));

const pjsipConf = fc.tuple(uniqueNames(0, 4), fc.array(fc.tuple(optional('context', plain), optional('callerid', value()), codecs, fc.integer({ min: 1, max: 9 }), optional('password', value())), { minLength: 4, maxLength: 4 }))
  .map(([names, opts]) => names.map((n, i) => {
    const [ctx, cid, c, max, pw] = opts[i]!;
    return `[${n}]\ntype=endpoint\naors=${n}\nauth=${n}\n${[ctx, cid].filter(Boolean).join('\n')}\n${c.map((x) => `allow=${x}`).join('\n')}\n`
      + `[${n}]\ntype=aor\nmax_contacts=${max}\n[${n}]\ntype=auth\nusername=${n}\n${pw ?? ''}\n`;
  }).join(''));

const noComma = value('abcXYZ0189 .@<>"=^#'.split(''), 10);
const voicemailConf = fc.tuple(uniqueNames(1, 2), fc.uniqueArray(fc.stringMatching(/^[1-9][0-9]{2,3}$/), { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.stringMatching(/^[0-9]{1,6}$/), fc.option(noComma, { nil: undefined }), fc.option(fc.constantFrom('yes', 'no'), { nil: undefined })), { minLength: 4, maxLength: 4 }))
  .map(([ctxs, boxes, data]) => '[general]\nformat=wav\n' + ctxs.map((c) => `[${c}]\n` + boxes.map((b, i) => {
    const [pw, full, attach] = data[i]!;
    return `${b} => ${pw},${full ?? ''},,,${attach ? `attach=${attach}` : ''}\n`;
  }).join('')).join(''));

const queuesConf = fc.tuple(uniqueNames(0, 3), fc.uniqueArray(fc.stringMatching(/^PJSIP\/[1-9][0-9]{2}$/), { maxLength: 3 }), fc.constantFrom('ringall', 'leastrecent', 'rrmemory'))
  .map(([names, members, strategy]) => '[general]\npersistentmembers=yes\n' + names.map((n) => `[${n}]\nstrategy=${strategy}\nannounce-frequency=30\n${members.map((m, i) => `member => ${m},${i}`).join('\n')}\n`).join(''));

const app = fc.constantFrom('NoOp', 'Dial', 'Set', 'Answer', 'Hangup', 'Gosub');
const extensionsConf = fc.tuple(
  uniqueNames(1, 3),
  fc.array(fc.tuple(fc.uniqueArray(fc.constantFrom('100', '101', 's', '_X.', '_2XX', '_NXXNXXXXXX', 'i'), { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(app, value()), { minLength: 1, maxLength: 4 }), fc.boolean()), { minLength: 3, maxLength: 3 }),
).map(([ctxs, bodies]) => '[general]\nstatic=yes\n[globals]\nTRUNK=PJSIP/out\n' + ctxs.map((c, i) => {
  const [extens, steps, include] = bodies[i]!;
  return `[${c}]\n${include ? 'include => other\n' : ''}` + extens.map((e) => steps.map(([a, d], j) => (j === 0 ? `exten => ${e},1,${a}(${d})` : `same => n,${a}(${d})`)).join('\n')).join('\n') + '\n';
}).join(''));

test('import -> export -> import changes nothing', async () => {
  await fc.assert(fc.asyncProperty(pjsipConf, sipConf, voicemailConf, queuesConf, extensionsConf, async (pjsip, sip, vm, queues, ext) => {
    const w = await openWorld();
    try {
      const first = await importTexts(w.world, { 'pjsip.conf': pjsip, 'sip.conf': sip, 'voicemail.conf': vm, 'queues.conf': queues, 'extensions.conf': ext });
      const written = totals(first);
      const exported = await exportTexts(w.world, FILES);
      const again = await importTexts(w.world, exported);
      const t = totals(again);
      assert.deepEqual({ ...t, unchanged: 0 }, { added: 0, changed: 0, unchanged: 0, removed: 0 }, again.diff.join('\n'));
      assert.equal(t.unchanged, written.added);
      assert.deepEqual(await exportTexts(w.world, FILES), exported);
    } finally {
      await w.close();
    }
  }), { numRuns: 15 });
});
