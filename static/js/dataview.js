// dataview.js — a payload on the page: its size, its text in the session's
// encoding with undecodable bytes marked (a character cut in two by a recv
// shows as \xNN with its reason), and an xxd-style hex dump (offset, hex,
// ASCII) in which the same bytes are marked.
//
// A large payload is not all put on the page: the server sends at most the
// first bytes of a chunk (`shown` of its `size`, with the SHA-256 of all of
// it), and of what it sends this view shows the first INLINE_LIMIT bytes
// until the learner clicks "show all".
//
// Every piece of payload text goes in as a text node.

import { DUMP_WIDTH, hexToBytes, textRuns } from './bytes.js';
import { h } from './dom.js';
import { t, tn } from './i18n.js';

/** The hex dump of a payload stops after this many bytes. */
export const DUMP_LIMIT = 4096;

/** Bytes of a payload shown as text and hex before "show all" is clicked. */
export const INLINE_LIMIT = 4096;

/**
 * @param {{size: number, shown?: number, sha256?: string, hex: string, text?: string,
 *          encoding?: string, invalid?: object[]}} data
 * @param {{limit?: number, label?: string}} [options] limit: bytes dumped;
 *   label: what the bytes are ("peek", "body"), shown before the size
 * @returns {HTMLElement} div.data
 */
export function dataView(data, { limit = DUMP_LIMIT, label } = {}) {
  const size = data.size ?? 0;
  const bad = data.invalid ?? [];
  const meta = h('p', { class: 'data-meta' },
    label ? `${label} · ` : '',
    tn('dv.bytes', size),
    data.encoding ? ` · ${data.encoding}` : '',
    bad.length ? ` · ${tn('dv.bad', bad.length)}` : '');
  if (size === 0) return h('div', { class: 'data' }, meta);
  let bytes;
  try {
    bytes = hexToBytes(data.hex ?? '');
  } catch {
    bytes = new Uint8Array();
  }
  // What the server left out: a chunk larger than its --max-shown.
  const more = data.shown != null && size > bytes.length
    ? h('p', { class: 'data-more' },
      tn('dv.more', size - bytes.length, { shown: (size - bytes.length).toLocaleString('en-US') }),
      data.sha256 ? ` (sha256 ${data.sha256})` : '')
    : null;
  const view = h('div', { class: 'data' }, meta);
  const body = h('div', { class: 'data-body' });
  view.append(body, ...(more ? [more] : []));
  const render = (upto, dumped) => body.replaceChildren(...dataParts(data, bytes, upto, dumped));
  if (bytes.length <= INLINE_LIMIT) {
    render(bytes.length, Math.min(limit, bytes.length));
    return view;
  }
  render(INLINE_LIMIT, Math.min(limit, INLINE_LIMIT));
  const all = h('button', { type: 'button', class: 'data-show-all' },
    t('dv.showall', { n: bytes.length.toLocaleString('en-US') }));
  all.addEventListener('click', () => {
    render(bytes.length, bytes.length);
    all.remove();
  });
  body.after(all);
  return view;
}

/**
 * The text and the hex dump of the first upto bytes of a payload, the dump
 * stopping after dumped bytes.
 * @returns {HTMLElement[]}
 */
function dataParts(data, bytes, upto, dumped) {
  const bad = data.invalid ?? [];
  const cut = upto < bytes.length;
  // Cut short, the text is decoded here from the bytes shown (textRuns does
  // so without the server's text) and the marks are those that start in them.
  const part = cut
    ? { hex: data.hex.replace(/\s+/g, '').slice(0, 2 * upto), encoding: data.encoding,
      invalid: bad.filter((b) => b.offset < upto).map((b) => ({ ...b, size: Math.min(b.size, upto - b.offset) })) }
    : data;
  const runs = textRuns(part).map((run) => (run.invalid
    ? h('mark', { class: `invalid${run.invalid.cut ? ' cut' : ''}`, title: invalidTitle(run.invalid, data.encoding) }, run.text)
    : withControls(run.text)));
  const marked = (i) => bad.some((b) => i >= b.offset && i < b.offset + b.size);
  return [
    h('pre', { class: 'data-text', 'aria-label': t('dv.astext') }, ...runs, cut ? h('span', { class: 'data-cut' }, ' …') : null),
    hexdumpView(bytes, dumped, marked),
    bytes.length > dumped
      ? h('p', { class: 'detail' }, t('dv.dumped', { dumped, n: bytes.length }))
      : null,
  ].filter(Boolean);
}

/**
 * A <pre class="hexdump"> whose text is exactly bytes.js hexdump(bytes,
 * limit), with the bytes for which marked(i) is true wrapped in
 * <mark class="invalid"> in both the hex and the ASCII column.
 * @param {Uint8Array} bytes
 * @param {number} limit
 * @param {(i: number) => boolean} [marked]
 */
export function hexdumpView(bytes, limit, marked = () => false) {
  const pre = h('pre', { class: 'hexdump', 'aria-label': t('dv.hexdump') });
  const n = Math.min(bytes.length, limit);
  const hexWidth = DUMP_WIDTH * 2 + DUMP_WIDTH / 2;
  const cell = (i, text) => (marked(i) ? h('mark', { class: 'invalid' }, text) : text);
  for (let off = 0; off < n; off += DUMP_WIDTH) {
    const end = Math.min(off + DUMP_WIDTH, n);
    const parts = [`${off.toString(16).padStart(8, '0')}: `];
    let width = 0;
    for (let i = off; i < end; i++) {
      parts.push(cell(i, bytes[i].toString(16).padStart(2, '0')));
      width += 2;
      if ((i - off) % 2 === 1) {
        parts.push(' ');
        width += 1;
      }
    }
    parts.push(' '.repeat(hexWidth - width + 1));
    for (let i = off; i < end; i++) {
      const b = bytes[i];
      parts.push(cell(i, b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'));
    }
    if (end < n) parts.push('\n');
    pre.append(...parts.map((p) => (typeof p === 'string' ? document.createTextNode(p) : p)));
  }
  pre.normalize();
  return pre;
}

/**
 * Text with its control characters (other than newline and tab) written as
 * Python writes them, \x00, and marked, since they have no glyph.
 * @returns {(string|HTMLElement)[]}
 */
function withControls(text) {
  // eslint-disable-next-line no-control-regex
  return text.split(/([\x00-\x08\x0b-\x1f\x7f])/).filter((part) => part !== '').map((part) => (
    // eslint-disable-next-line no-control-regex
    /^[\x00-\x08\x0b-\x1f\x7f]$/.test(part)
      ? h('span', { class: 'ctrl', title: t('dv.ctrl') },
        part === '\r' ? '\\r' : `\\x${part.charCodeAt(0).toString(16).padStart(2, '0')}`)
      : part));
}

function invalidTitle(bad, encoding) {
  if (bad.cut === 'end') return t('dv.cut.end');
  if (bad.cut === 'start' && bad.char) return t('dv.cut.rest', { char: bad.char });
  if (bad.cut === 'start') return t('dv.cut.start');
  return t('dv.invalid', { encoding: encoding ?? t('dv.text') });
}
