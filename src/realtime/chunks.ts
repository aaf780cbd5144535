/**
 * The multi-value convention of Asterisk's SQL drivers (res_config_pgsql, _odbc, _mysql;
 * reference §1.8): on write `^` and `;` become `^5E` and `^3B`; on read a value splits on `;`
 * into repeated variables and each piece has its `^XX` escapes decoded. So `allow=ulaw;alaw`
 * written in SQL by a person reads as two `allow` variables, while a value Asterisk stored
 * through us (a PJSIP contact id `alice;@abc`) comes back exactly as it was sent.
 * Columns named `@...` are sorcery's extended fields, which res_config_odbc leaves whole.
 */

export function encodeChunk(value: string): string {
  if (value.indexOf('^') < 0 && value.indexOf(';') < 0) return value;
  return value.replace(/\^/g, '^5E').replace(/;/g, '^3B');
}

const ESCAPE = /\^([0-9A-Fa-f]{2})/g;

function decodePiece(piece: string): string {
  if (piece.indexOf('^') < 0) return piece;
  return piece.replace(ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** One stored value as Asterisk's SQL drivers hand it on: one string, or several when it held `;`. */
export function decodeChunks(value: string): string | string[] {
  if (value.indexOf(';') < 0) return decodePiece(value);
  const pieces: string[] = [];
  for (const p of value.split(';')) if (p !== '') pieces.push(decodePiece(p));
  if (pieces.length === 1) return pieces[0]!;
  return pieces;
}

export const isExtendedField = (column: string) => column.charCodeAt(0) === 64; /* '@' */
