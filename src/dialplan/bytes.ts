/**
 * Asterisk matches extensions as C strings: UTF-8 bytes that end at the first NUL. A pattern
 * token such as `X` or `[a-z]` consumes one *byte*, so `é` is two positions to Asterisk. Every
 * dialplan routine therefore works on "byte strings": JS strings whose char codes are the
 * UTF-8 bytes (0-255). Plain ASCII, the normal case, is already such a string and is returned
 * as is, so the common path allocates nothing.
 */

export const DASH = 0x2d;

/** The UTF-8 bytes of `s` up to its first NUL, as a byte string. */
export function toBytes(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c >= 0x80) return slowBytes(s);
  }
  return s;
}

function slowBytes(s: string): string {
  const nul = s.indexOf('\0');
  const text = nul === -1 ? s : s.slice(0, nul);
  return Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * `-` is "eye candy" to Asterisk outside `[...]`: both the dialled string and literal extensions
 * are compared as if it were not there (`555-1234` is `5551234`).
 */
export function stripDashes(bytes: string): string {
  return bytes.indexOf('-') === -1 ? bytes : bytes.replaceAll('-', '');
}

/** Byte as C's `char` on x86/x86-64, where it is signed: 0x80-0xFF are -128..-1. */
export function signedByte(b: number): number {
  return b >= 0x80 ? b - 0x100 : b;
}
