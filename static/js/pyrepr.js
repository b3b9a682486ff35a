// pyrepr.js — Python's repr of the values the page writes as Python: str,
// bytes, addresses, timeouts, request payloads and JSON values.
//
// Pure functions; python.js and pyframing.js build calls and lines from them.

import { hexToBytes, isPrintable, payloadBytes } from './bytes.js';

/** How many bytes a `# → b'…'` comment shows before eliding the rest. */
const COMMENT_BYTES = 48;

/** Python's repr of a str: single quotes unless the text holds one and no double. */
export function pyStr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return quote + out + quote;
}

/** Python's repr of bytes: b'…' with printable ASCII as is, \xNN otherwise. */
export function pyBytes(bytes) {
  const has = (c) => bytes.includes(c.charCodeAt(0));
  const quote = has("'") && !has('"') ? '"' : "'";
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (isPrintable(b)) out += ch;
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return 'b' + quote + out + quote;
}

/** Python's repr of an address: ('127.0.0.1', 9000), or None. */
export function pyAddr(addr) {
  if (!Array.isArray(addr)) return 'None';
  return '(' + addr.map((v) => (typeof v === 'string' ? pyStr(v) : String(v))).join(', ') + ')';
}

/** Python's value for a timeout in seconds (null is None). */
export function pyTimeout(t) {
  if (t == null) return 'None';
  return Number.isInteger(t) ? `${t}.0` : String(t);
}

/**
 * The Python expression for a request payload: b'hello',
 * '你好'.encode('gbk'), bytes.fromhex('00ff'); `…` when it is unknown (the
 * server does not echo large payloads).
 * @param {{text?: string, encoding?: string, hex?: string, base64?: string, omitted?: boolean}} [data]
 */
export function pyPayload(data) {
  if (data == null || data.omitted) return '…';
  if (typeof data.hex === 'string') {
    const bytes = hexToBytes(data.hex);
    const plain = bytes.every((b) => isPrintable(b) || b === 0x0a || b === 0x0d || b === 0x09);
    return plain ? pyBytes(bytes) : `bytes.fromhex(${pyStr(data.hex.trim())})`;
  }
  if (typeof data.base64 === 'string') return pyBytes(payloadBytes(data) ?? new Uint8Array());
  const text = data.text ?? '';
  const encoding = data.encoding || 'utf-8';
  // eslint-disable-next-line no-control-regex
  if (encoding === 'utf-8' && /^[\x00-\x7f]*$/.test(text)) {
    return pyBytes(new TextEncoder().encode(text));
  }
  return `${pyStr(text)}.encode(${pyStr(encoding)})`;
}

/** The bytes of a server `data` payload as a (shortened) Python literal. */
export function pyData(data) {
  const bytes = hexToBytes(data?.hex ?? '');
  if (bytes.length <= COMMENT_BYTES) return pyBytes(bytes);
  return `${pyBytes(bytes.subarray(0, COMMENT_BYTES))}…`;
}

/** A JSON value as a Python literal: {'cmd': 'put', 'n': 1, 'ok': True}. */
export function pyValue(v) {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyStr(v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(pyValue).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyStr(k)}: ${pyValue(x)}`).join(', ')}}`;
}
