/**
 * Distinguished names (RFC 4514). RDN values are escaped with hex pairs only (`\2c`, never
 * `\,`), so an RDN never holds a literal comma, plus sign or backslash and a caller's value
 * cannot add a level to the name, name another attribute or escape the entry's container.
 */

const SPECIAL = new Set(['"', '+', ',', ';', '<', '>', '\\', '=', '\0']);

const hex = (ch: string) => [...Buffer.from(ch, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');

export function escapeRdnValue(value: string): string {
  const chars = [...value];
  let out = '';
  chars.forEach((ch, i) => {
    const edge = (i === 0 && (ch === ' ' || ch === '#')) || (i === chars.length - 1 && ch === ' ');
    const control = ch.charCodeAt(0) < 0x20 || ch === '\x7f';
    out += SPECIAL.has(ch) || edge || control ? hex(ch) : ch;
  });
  return out;
}

/** `attr=value(+attr=value)*` from pairs. */
export function rdnString(pairs: readonly { attr: string; value: string }[]): string {
  return pairs.map((p) => `${p.attr}=${escapeRdnValue(p.value)}`).join('+');
}

/**
 * The attribute/value pairs of a DN's first RDN, unescaped (`\XX` hex pairs as UTF-8 bytes,
 * `\c` as c, a quoted value as its content). Used to see whether an update renames the entry.
 */
export function firstRdn(dn: string): { attr: string; value: string }[] {
  const pairs: { attr: string; value: string }[] = [];
  let i = 0;
  const n = dn.length;
  while (i < n) {
    let attr = '';
    while (i < n && dn[i] !== '=') attr += dn[i++];
    i++; // '='
    const bytes: number[] = [];
    /** the character (code point) at k as UTF-8; returns its length in code units */
    const pushChar = (k: number) => {
      const ch = String.fromCodePoint(dn.codePointAt(k)!);
      bytes.push(...Buffer.from(ch, 'utf8'));
      return ch.length;
    };
    if (dn[i] === '"') {
      i++;
      while (i < n && dn[i] !== '"') {
        if (dn[i] === '\\' && i + 1 < n) i++;
        i += pushChar(i);
      }
      i++;
    } else {
      while (i < n && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') {
        if (dn[i] === '\\' && i + 1 < n) {
          const h = dn.slice(i + 1, i + 3);
          if (/^[0-9a-fA-F]{2}$/.test(h)) {
            bytes.push(Number.parseInt(h, 16));
            i += 3;
          } else {
            i += 1 + pushChar(i + 1);
          }
        } else {
          i += pushChar(i);
        }
      }
    }
    pairs.push({ attr: attr.trim(), value: Buffer.from(bytes).toString('utf8') });
    if (dn[i] === '+') {
      i++;
      continue;
    }
    break;
  }
  return pairs;
}

/** `ou=a,ou=b` relative to `dc=x`, as full DNs from the top down: `ou=b,dc=x`, `ou=a,ou=b,dc=x`. */
export function containerChain(container: string, base: string): { dn: string; attr: string; value: string }[] {
  if (container === '') return [];
  const rdns = splitDn(container);
  const out: { dn: string; attr: string; value: string }[] = [];
  let parent = base;
  for (let k = rdns.length - 1; k >= 0; k--) {
    const rdn = rdns[k]!;
    const dn = `${rdn},${parent}`;
    const [pair] = firstRdn(rdn);
    out.push({ dn, attr: pair?.attr ?? '', value: pair?.value ?? '' });
    parent = dn;
  }
  return out;
}

/** Splits a DN into its RDN strings at unescaped commas (values stay escaped). */
export function splitDn(dn: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i]!;
    if (ch === '\\' && i + 1 < dn.length) {
      cur += ch + dn[++i];
    } else if (ch === '"') {
      quoted = !quoted;
      cur += ch;
    } else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** A DN that names something: `attr=value` RDNs separated by commas. */
export function isPlausibleDn(dn: string): boolean {
  const rdns = splitDn(dn);
  return rdns.length > 0 && rdns.every((r) => /^[A-Za-z][A-Za-z0-9-]*=.+/.test(r) || /^\d+(\.\d+)+=.+/.test(r));
}
