// bytes.js — bytes as the learner sees them: a hex dump like `xxd`, the
// decoded text of a `data` payload split into decoded runs and invalid bytes,
// the bytes of a request payload, and Python-style escapes (b'\r\n').
//
// Pure functions; nothing here touches the DOM.

/** Bytes per hex dump line, as in xxd. */
export const DUMP_WIDTH = 16;

/**
 * Converts a hex string (spaces allowed) to bytes.
 * @param {string} hex
 * @returns {Uint8Array}
 */
export function hexToBytes(hex) {
  const clean = (hex ?? '').replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new Error(`not a hex string: ${hex}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

/** @param {number} b a byte */
export function hex2(b) {
  return b.toString(16).padStart(2, '0');
}

/** @param {number} b a byte @returns {boolean} whether it is printable ASCII */
export function isPrintable(b) {
  return b >= 0x20 && b < 0x7f;
}

/**
 * Formats bytes like `xxd`: offset, 16 bytes as 8 groups of 4 hex digits,
 * then the bytes as ASCII with `.` for anything unprintable.
 *   00000000: 6865 6c6c 6f0a                           hello.
 * @param {Uint8Array} bytes
 * @param {number} [limit] dump at most this many bytes
 * @returns {string} lines joined with "\n" (empty for no bytes)
 */
export function hexdump(bytes, limit = Infinity) {
  const n = Math.min(bytes.length, limit);
  const lines = [];
  for (let off = 0; off < n; off += DUMP_WIDTH) {
    const row = bytes.subarray(off, Math.min(off + DUMP_WIDTH, n));
    let hex = '';
    let ascii = '';
    for (let i = 0; i < row.length; i++) {
      hex += hex2(row[i]) + (i % 2 === 1 ? ' ' : '');
      ascii += isPrintable(row[i]) ? String.fromCharCode(row[i]) : '.';
    }
    const hexWidth = DUMP_WIDTH * 2 + DUMP_WIDTH / 2;
    lines.push(`${off.toString(16).padStart(8, '0')}: ${hex.padEnd(hexWidth)} ${ascii}`);
  }
  return lines.join('\n');
}

/**
 * Splits a server `data` payload into runs for display: decoded text, and
 * the bytes that did not decode (written `\xNN`, as Python's backslashreplace
 * writes them) with their offset and `cut` side.
 *
 * When nothing is invalid the server's `text` is used as it is. Otherwise the
 * valid runs between the invalid bytes are decoded here with the payload's
 * encoding, because `text` alone cannot tell a marked byte from a literal
 * backslash in the data.
 *
 * @param {{hex?: string, text?: string, encoding?: string,
 *          invalid?: {offset: number, size: number, cut?: string}[]}} data
 * @param {(encoding: string) => {decode(b: Uint8Array): string}} [decoderFor]
 * @returns {{text: string, invalid?: {offset: number, size: number, cut?: string}}[]}
 */
export function textRuns(data, decoderFor = (enc) => new TextDecoder(enc)) {
  const invalid = [...(data.invalid ?? [])].sort((a, b) => a.offset - b.offset);
  if (invalid.length === 0 && typeof data.text === 'string') return [{ text: data.text }];
  let bytes;
  let decoder;
  try {
    bytes = hexToBytes(data.hex ?? '');
    decoder = decoderFor(data.encoding || 'utf-8');
  } catch {
    return [{ text: data.text ?? '' }];
  }
  const runs = [];
  let pos = 0;
  const decoded = (end) => {
    if (end > pos) runs.push({ text: decoder.decode(bytes.subarray(pos, end)) });
  };
  for (const bad of invalid) {
    const start = Math.max(bad.offset, pos);
    const end = Math.min(bad.offset + bad.size, bytes.length);
    if (end <= start) continue;
    decoded(start);
    const text = Array.from(bytes.subarray(start, end), (b) => `\\x${hex2(b)}`).join('');
    runs.push({ text, invalid: bad });
    pos = end;
  }
  decoded(bytes.length);
  return runs;
}

/** @param {Uint8Array} bytes @returns {string} lower-case hex, no spaces */
export function bytesToHex(bytes) {
  return Array.from(bytes, hex2).join('');
}

/**
 * The bytes of a request payload ({text, encoding} | {hex} | {base64}), or
 * null when the page cannot know them (gbk text: browsers only encode
 * utf-8; a payload the server did not echo).
 * @param {{text?: string, encoding?: string, hex?: string, base64?: string}} [data]
 * @returns {Uint8Array|null}
 */
export function payloadBytes(data) {
  if (data == null || data.omitted) return null;
  try {
    if (typeof data.hex === 'string') return hexToBytes(data.hex);
    if (typeof data.base64 === 'string') return Uint8Array.from(atob(data.base64), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  if (typeof data.text !== 'string') return null;
  const encoding = data.encoding || 'utf-8';
  return encoding === 'utf-8' ? new TextEncoder().encode(data.text) : null;
}

/**
 * What parseEscapes throws for a backslash it cannot read: char is the
 * character after it, undefined for a backslash at the end. The message is
 * English; a page says it in its language from char (framing.js).
 */
export class EscapeError extends Error {
  constructor(char) {
    super(char === undefined ? 'a lone \\ at the end' : `unknown escape \\${char}`);
    this.char = char;
  }
}

/**
 * Reads a byte string typed with Python's escapes, as in b'…': \n \r \t \0
 * \\ \' \" and \xNN; every other character stands for its utf-8 bytes.
 * "\\r\\n" gives the two bytes 0d 0a.
 * @param {string} s
 * @returns {Uint8Array}
 * @throws {EscapeError} on an unknown or incomplete escape
 */
export function parseEscapes(s) {
  const SIMPLE = { n: 0x0a, r: 0x0d, t: 0x09, 0: 0x00, '\\': 0x5c, "'": 0x27, '"': 0x22 };
  const out = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== '\\') {
      const cp = s.codePointAt(i);
      if (cp > 0xffff) i++;
      out.push(...enc.encode(String.fromCodePoint(cp)));
      continue;
    }
    const next = s[++i];
    if (next in SIMPLE) out.push(SIMPLE[next]);
    else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(s.substr(i + 1, 2))) {
      out.push(parseInt(s.substr(i + 1, 2), 16));
      i += 2;
    } else {
      throw new EscapeError(next);
    }
  }
  return Uint8Array.from(out);
}
