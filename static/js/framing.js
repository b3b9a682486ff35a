// framing.js — message framing as the page handles it: the `framing` object
// of a send_frame / recv_frame request read from a card's framing form, the
// size of a struct format, and a short name for a framing ("length '!I'").
//
// The form's fields for the kinds not picked are disabled (showFraming), so
// the browser neither validates nor submits them.

import { EscapeError, bytesToHex, parseEscapes, payloadBytes } from './bytes.js';
import { pyBytes, pyStr } from './pyrepr.js';
import { t } from './i18n.js';

/** Sizes of struct's integer codes, standard size (l/L are 8 bytes in native mode here). */
const CODE_SIZES = { b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 4, L: 4, q: 8, Q: 8 };

/**
 * The byte size of a one-integer struct format such as '!I' or 'H', or
 * null if it is not one.
 * @param {string} format
 */
export function structSize(format) {
  const m = /^([@=<>!]?)([bBhHiIlLqQ])$/.exec(format ?? '');
  if (!m) return null;
  const native = m[1] === '' || m[1] === '@';
  return native && (m[2] === 'l' || m[2] === 'L') ? 8 : CODE_SIZES[m[2]];
}

/**
 * Shows the fields of the framing kind picked in a form and disables the
 * others. Call it when the picker changes and once when the form appears.
 * @param {HTMLFormElement} form
 */
export function showFraming(form) {
  const kind = form.elements.namedItem('framing')?.value;
  for (const set of form.querySelectorAll('fieldset[data-framing]')) {
    const on = set.dataset.framing.split(' ').includes(kind);
    set.hidden = !on;
    set.disabled = !on;
  }
}

/**
 * The `framing` object (and for json_header the extra `header` fields) of
 * a framing form. Problems are reported on the field with setCustomValidity
 * and make it return null.
 * @param {HTMLFormElement} form
 * @returns {{framing: object, header?: object}|null}
 */
export function framingFromForm(form) {
  const field = (name) => /** @type {HTMLInputElement|null} */ (form.elements.namedItem(name));
  const kind = field('framing')?.value;
  switch (kind) {
    case 'length':
      return { framing: { kind, format: field('format').value } };
    case 'fixed':
      return { framing: { kind, size: Number(field('size').value) } };
    case 'delimiter': {
      const input = field('delimiter');
      let bytes;
      try {
        bytes = parseEscapes(input.value);
        input.setCustomValidity(bytes.length ? '' : t('framing.delim.empty'));
      } catch (err) {
        input.setCustomValidity(t('framing.delim.bad', { why: escapeWhy(err) }));
      }
      if (!input.reportValidity()) return null;
      return { framing: { kind, delimiter: { hex: bytesToHex(bytes) } } };
    }
    case 'json_header': {
      const framing = { kind, format: field('header_format').value };
      const input = field('header');
      const text = input?.value.trim() ?? '';
      if (text === '') return { framing };
      let header;
      try {
        header = JSON.parse(text);
        input.setCustomValidity(header && typeof header === 'object' && !Array.isArray(header)
          ? '' : t('framing.header.object'));
      } catch (err) {
        input.setCustomValidity(t('framing.header.notjson', { why: err.message }));
      }
      if (!input.reportValidity()) return null;
      return { framing, header };
    }
    default:
      return null;
  }
}

/**
 * A framing as a short argument, for the log: length='!I',
 * delimiter=b'\n', fixed=16, json_header='i'.
 * @param {object} [framing]
 */
export function framingArg(framing) {
  switch (framing?.kind) {
    case 'length':
      return `length=${pyStr(framing.format ?? '')}`;
    case 'delimiter':
      return `delimiter=${delimiterRepr(framing.delimiter)}`;
    case 'fixed':
      return `fixed=${framing.size}`;
    case 'json_header':
      return `json_header=${pyStr(framing.format || 'i')}`;
    default:
      return 'framing=…';
  }
}

/** A delimiter payload as a Python bytes literal. */
export function delimiterRepr(d) {
  const bytes = payloadBytes(d);
  return bytes ? pyBytes(bytes) : "b'…'";
}

/**
 * Reads a length prefix: the integer at the start of bytes, packed with a
 * one-integer struct format. Returns null if there are too few bytes.
 * @param {Uint8Array} bytes
 * @param {string} format such as '!I', 'I', '<H'
 * @param {boolean} [swap] read it with the other byte order (the pitfall)
 * @returns {bigint|null}
 */
export function unpackPrefix(bytes, format, swap = false) {
  const size = structSize(format);
  if (size == null || bytes.length < size) return null;
  let big = /^[>!]/.test(format);
  if (swap) big = !big;
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(bytes[big ? i : size - 1 - i]);
  if (/[bhilq]$/.test(format) && v >= 1n << BigInt(8 * size - 1)) v -= 1n << BigInt(8 * size);
  return v;
}

/** Whether a struct format is big-endian ('!' and '>'); native and '<' are little-endian here. */
export function isBigEndian(format) {
  return /^[>!]/.test(format ?? '');
}

/** Why parseEscapes refused a delimiter, in the page's language. */
function escapeWhy(err) {
  if (!(err instanceof EscapeError)) return err.message;
  return err.char === undefined ? t('framing.esc.end') : t('framing.esc.unknown', { c: err.char });
}
