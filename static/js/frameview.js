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
import { t, tn } from './i18n.js';

const PHASES = {
  header: t('fv.phase.header'),
  json_header: t('fv.phase.json'),
  body: t('fv.phase.body'),
  done: t('fv.phase.done'),
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
      h('p', { class: 'data-meta' }, t('fv.jsonheader')),
      h('pre', {}, JSON.stringify(res.header, null, 2))) : null,
    res.ok && res.data ? dataView(res.data, { label: t('fv.message') }) : null,
    reads.length ? h('p', { class: 'data-meta' },
      tn('fv.calls', real),
      reads.length > real ? t('fv.peeks', { n: reads.length - real }) : '',
      res.ok ? t('fv.formessage') : t('fv.beforefail')) : null,
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
  ` → ${tn('dv.bytes', size)} `,
  r.peek ? h('span', { class: 'badge peek' }, t('fv.peek')) : null,
  short ? h('span', { class: 'badge short' }, t('fv.short')) : null,
  ' ',
  h('code', { class: 'frame-read-bytes' }, pyData(r.data)),
  size > (r.data?.size ?? 0) ? h('span', { class: 'detail' }, t('fv.firstshown', { n: r.data?.size ?? 0 })) : null);
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
    dataView(res.frame, { label: t('fv.onwire') }),
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
  const order = isBigEndian(format) ? t('fv.big') : t('fv.little');
  const other = isBigEndian(format) ? t('fv.other.little') : t('fv.other.big');
  const wrong = size > 1 ? unpackPrefix(bytes, format, true) : null;
  return h('p', { class: 'frame-prefix', dataset: { prefix: String(value) } },
    t('fv.prefix'), h('code', {}, hex), t('fv.prefix.value', { value, format: pyStr(format), order }),
    wrong != null && wrong !== value
      ? h('span', { class: 'detail' }, t('fv.prefix.wrong', { other, wrong }))
      : null);
}

/** One line of a `frame` progress message: "reading the body: 5 of 11 bytes, 6 awaited". */
export function progressText(msg) {
  const parts = [PHASES[msg.phase] ?? msg.phase];
  if (msg.header_read) parts.push(tn('fv.headerread', msg.header_read));
  if (msg.length != null) parts.push(t('fv.declared', { n: msg.length }));
  if (msg.awaiting != null && msg.phase !== 'done') parts.push(tn('fv.awaited', msg.awaiting));
  else if (msg.awaiting == null && msg.phase === 'body') parts.push(t('fv.lookingdelim'));
  return parts.join(' · ');
}

/** The live progress box on a card's waiting recv_frame. */
export function progressView(msg) {
  const read = msg.read;
  const got = msg.length != null && msg.awaiting != null && msg.phase === 'body'
    ? Math.max(0, msg.length - msg.awaiting) : null;
  const bar = got != null && msg.length > 0
    ? h('span', { class: 'k-bar', title: t('fv.bar', { got, n: msg.length }) }, h('span', {}))
    : null;
  if (bar) bar.firstElementChild.style.width = `${(100 * got) / msg.length}%`;
  return h('div', { class: 'frame-progress', dataset: { id: msg.id, phase: msg.phase } },
    h('span', { class: 'fp-phase', dataset: { progress: 'phase' } }, PHASES[msg.phase] ?? msg.phase),
    msg.header_read != null ? h('span', { dataset: { progress: 'header' } }, t('fv.p.header', { n: msg.header_read })) : null,
    h('span', { dataset: { progress: 'length' } }, t('fv.p.length', { n: msg.length ?? t('fv.notknown') })),
    h('span', { dataset: { progress: 'awaiting' } },
      t('fv.p.awaiting', { n: msg.awaiting ?? (msg.phase === 'body' ? t('fv.untildelim') : t('fv.unknown')) })),
    bar,
    read ? h('span', { class: 'fp-last', dataset: { progress: 'last' } },
      `${t('fv.last')}recv(${read.bufsize}${read.peek ? ', MSG_PEEK' : ''}) → ${read.size ?? read.data?.size ?? 0} B ${pyData(read.data)}`) : null);
}
