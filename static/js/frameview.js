// frameview.js — framing on the page: the parts of a recv_frame result (the
// message, its JSON header, and every real recv call it made), the bytes a
// send_frame put on the wire, and the live progress of a recv_frame that is
// waiting (pushed `frame` messages).
//
// DOM:
//   .frame-result .frame-header (json_header) ol.frame-reads > li.frame-read[data-bufsize][data-size][data-peek]
//   .frame-progress[data-id][data-phase] [data-progress="phase|header|length|awaiting|last"]

import { h } from './dom.js';
import { hexToBytes } from './bytes.js';
import { dataView } from './dataview.js';
import { isBigEndian, structSize, unpackPrefix } from './framing.js';
import { pyData, pyStr } from './pyrepr.js';

const PHASES = {
  header: 'reading the length prefix',
  json_header: 'reading the JSON header',
  body: 'reading the body',
  done: 'message complete',
};

/**
 * The details of a recv_frame result, for its log entry: the message and
 * its JSON header, then every real recv call made for it. A failed one
 * shows its reads too: they are what the decoder saw (a length prefix read
 * in the wrong byte order, say).
 */
export function recvFrameView(res) {
  const reads = res.reads ?? [];
  const real = reads.filter((r) => !r.peek).length;
  return h('div', { class: 'frame-result' },
    res.header ? h('div', { class: 'frame-header' },
      h('p', { class: 'data-meta' }, 'JSON header'),
      h('pre', {}, JSON.stringify(res.header, null, 2))) : null,
    res.ok && res.data ? dataView(res.data, { label: 'message' }) : null,
    reads.length ? h('p', { class: 'data-meta' },
      `${real} recv() call${real === 1 ? '' : 's'}`,
      reads.length > real ? ` and ${reads.length - real} MSG_PEEK` : '',
      res.ok ? ' made for this message:' : ' made before it failed:') : null,
    reads.length ? h('ol', { class: 'frame-reads' }, reads.map(readItem)) : null);
}

/** One real recv call of a framing decoder: bufsize asked → bytes got. */
function readItem(r) {
  const size = r.size ?? r.data?.size ?? 0;
  const short = !r.peek && size < r.bufsize;
  return h('li', {
    class: `frame-read${r.peek ? ' peek' : ''}${short ? ' short' : ''}`,
    dataset: { bufsize: r.bufsize, size, peek: String(!!r.peek) },
  },
  h('code', {}, `recv(${r.bufsize}${r.peek ? ', MSG_PEEK' : ''})`),
  ` → ${size} byte${size === 1 ? '' : 's'} `,
  r.peek ? h('span', { class: 'badge peek' }, 'peek: looked, not taken') : null,
  short ? h('span', { class: 'badge short' }, 'fewer than asked') : null,
  ' ',
  h('code', { class: 'frame-read-bytes' }, pyData(r.data)),
  size > (r.data?.size ?? 0) ? h('span', { class: 'detail' }, ` (first ${r.data?.size ?? 0} bytes shown)`) : null);
}

/**
 * The bytes a send_frame wrote (prefix or header, body, delimiter), and for
 * a length prefix what it says in its byte order and what the other byte
 * order would read — the usual framing bug.
 */
export function sentFrameView(res) {
  if (!res.frame) return null;
  const framing = res.request?.framing;
  return h('div', { class: 'frame-result' },
    dataView(res.frame, { label: 'on the wire' }),
    framing?.kind === 'length' || framing?.kind === 'json_header' ? prefixNote(res.frame, framing.format || 'i') : null);
}

/** "length prefix 00 00 00 05 = 5 with '!I' (big-endian); read as little-endian: 83886080". */
function prefixNote(frame, format) {
  let bytes;
  try {
    bytes = hexToBytes(frame.hex ?? '');
  } catch {
    return null;
  }
  const size = structSize(format);
  const value = unpackPrefix(bytes, format);
  if (size == null || value == null) return null;
  const hex = Array.from(bytes.subarray(0, size), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const order = isBigEndian(format) ? 'big-endian' : 'little-endian';
  const other = isBigEndian(format) ? 'little-endian (native I here)' : "big-endian ('!I')";
  const wrong = size > 1 ? unpackPrefix(bytes, format, true) : null;
  return h('p', { class: 'frame-prefix', dataset: { prefix: String(value) } },
    'length prefix ', h('code', {}, hex), ` = ${value} with ${pyStr(format)} (${order})`,
    wrong != null && wrong !== value
      ? h('span', { class: 'detail' }, ` — a receiver that unpacks it as ${other} reads ${wrong}.`)
      : null);
}

/** One line of a `frame` progress message: "reading the body: 5 of 11 bytes, 6 awaited". */
export function progressText(msg) {
  const parts = [PHASES[msg.phase] ?? msg.phase];
  if (msg.header_read) parts.push(`${msg.header_read} header byte${msg.header_read === 1 ? '' : 's'} read`);
  if (msg.length != null) parts.push(`declared length ${msg.length}`);
  if (msg.awaiting != null && msg.phase !== 'done') parts.push(`${msg.awaiting} byte${msg.awaiting === 1 ? '' : 's'} still awaited`);
  else if (msg.awaiting == null && msg.phase === 'body') parts.push('looking for the delimiter');
  return parts.join(' · ');
}

/** The live progress box on a card's waiting recv_frame. */
export function progressView(msg) {
  const read = msg.read;
  const got = msg.length != null && msg.awaiting != null && msg.phase === 'body'
    ? Math.max(0, msg.length - msg.awaiting) : null;
  const bar = got != null && msg.length > 0
    ? h('span', { class: 'k-bar', title: `${got} of ${msg.length} body bytes` }, h('span', {}))
    : null;
  if (bar) bar.firstElementChild.style.width = `${(100 * got) / msg.length}%`;
  return h('div', { class: 'frame-progress', dataset: { id: msg.id, phase: msg.phase } },
    h('span', { class: 'fp-phase', dataset: { progress: 'phase' } }, PHASES[msg.phase] ?? msg.phase),
    msg.header_read != null ? h('span', { dataset: { progress: 'header' } }, `header bytes read: ${msg.header_read}`) : null,
    h('span', { dataset: { progress: 'length' } }, `declared length: ${msg.length ?? 'not yet known'}`),
    h('span', { dataset: { progress: 'awaiting' } },
      `still awaited: ${msg.awaiting ?? (msg.phase === 'body' ? 'until the delimiter' : 'unknown')}`),
    bar,
    read ? h('span', { class: 'fp-last', dataset: { progress: 'last' } },
      `last: recv(${read.bufsize}${read.peek ? ', MSG_PEEK' : ''}) → ${read.size ?? read.data?.size ?? 0} B ${pyData(read.data)}`) : null);
}
