// streammap.js — draws a Streams view (streams.js) on the receiving socket's
// card: the sender's send() calls as coloured brackets above the receiver's
// recv() chunks, on one byte axis, so that two sends in one chunk ("stuck
// together") and one send over two chunks ("split") can be seen from the
// back of the room. A toggle shows the same window byte by byte, in hex.
//
// DOM (stable hooks for tests):
//   .stream-map[data-sock][data-view="calls|hex"]
//     .send-bracket[data-index][data-id][data-start][data-end][data-color]
//     .recv-chunk[data-start][data-end][data-sends="1,2"][data-call]
//     .stream-queued[data-start][data-end]   sent, not read yet
//     .hex-chunk[data-start][data-end] .hex-byte[data-offset][data-send]
//     button[data-stream-view]               the toggle

import { h } from './dom.js';
import { hex2, isPrintable } from './bytes.js';
import { t, tn } from './i18n.js';

/** Distinct send colours (CSS: [data-color="0"] … [data-color="7"]). */
const COLORS = 8;
/** The hex view shows at most this many bytes. */
const HEX_LIMIT = 512;

/**
 * @param {import('./streams.js').StreamView} v
 * @param {'calls'|'hex'} mode
 * @returns {HTMLElement}
 */
export function streamMap(v, mode) {
  const other = mode === 'hex' ? 'calls' : 'hex';
  const toHex = other === 'hex';
  return h(
    'section',
    { class: 'stream-map', dataset: { sock: v.sock, view: mode }, 'aria-label': t('sm.label', { sock: v.sock }) },
    h('header', { class: 'sm-head' },
      h('h4', {}, t('sm.head', { sock: v.sock }), v.peer ? t('sm.head.from', { peer: v.peer }) : ''),
      h('button', {
        type: 'button', class: 'sm-toggle secondary', dataset: { streamView: other },
        title: t(toHex ? 'sm.view.hex.title' : 'sm.view.calls.title'),
      }, t(toHex ? 'sm.view.hex' : 'sm.view.calls'))),
    h('p', { class: 'sm-summary' }, summary(v)),
    mode === 'hex' ? hexView(v) : callsView(v),
    notes(v),
  );
}

/** The colour slot of a send. */
function colorOf(index) {
  return index == null ? 'none' : String((index - 1) % COLORS);
}

function sendName(b) {
  return b.index == null ? 'send' : `send #${b.index}`;
}

/** One line saying what the window shows. */
function summary(v) {
  const sends = v.brackets.length;
  const recvs = v.chunks.length;
  const stuck = v.chunks.filter((c) => c.sends.length > 1).length;
  const split = v.brackets.filter((b) => b.chunks > 1).length;
  const parts = [t('sm.summary', { sends: tn('sm.sends', sends), recvs: tn('sm.chunks', recvs) })];
  if (stuck) parts.push(tn('sm.stuck', stuck));
  if (split) parts.push(tn('sm.split', split));
  const queued = v.hi - v.readTo;
  if (queued > 0) parts.push(tn('sm.queued', queued));
  if (v.earlier) parts.push(tn('sm.earlier', v.earlier));
  return parts.join(' · ');
}

/** The sends above, the axis, the chunks below: a grid with one column per stretch of bytes. */
function callsView(v) {
  const cuts = new Set([v.lo, v.hi]);
  for (const x of [...v.brackets, ...v.chunks, ...v.peeks]) cuts.add(x.from).add(x.to);
  if (v.readTo > v.lo && v.readTo < v.hi) cuts.add(v.readTo);
  const edges = [...cuts].filter((x) => x >= v.lo && x <= v.hi).sort((a, b) => a - b);
  const col = (off) => edges.indexOf(off) + 2; // column 1 holds the lane names
  const grid = h('div', { class: 'sm-grid', role: 'img', 'aria-label': summary(v) });
  const widths = edges.slice(1).map((end, i) => `minmax(min-content, ${Math.max(1, end - edges[i])}fr)`);
  grid.style.gridTemplateColumns = `max-content ${widths.join(' ')}`;
  const place = (el, from, to, row) => {
    el.style.gridColumn = `${col(from)} / ${col(to)}`;
    el.style.gridRow = String(row);
    return el;
  };
  const lane = (text, row) => {
    const el = h('span', { class: 'sm-lane' }, text);
    el.style.gridColumn = '1';
    el.style.gridRow = String(row);
    return el;
  };

  grid.append(lane('send()', 1));
  for (const b of v.brackets) {
    grid.append(place(h('div', {
      class: `send-bracket${b.from > b.start ? ' cut-left' : ''}${b.to < b.end ? ' cut-right' : ''}`,
      dataset: { index: b.index, id: b.id, start: b.start, end: b.end, color: colorOf(b.index) },
      title: `${sendName(b)}${b.id != null ? t('sm.request', { id: b.id }) : ''}: ${t('sm.bytes', { start: b.start, end: b.end })}`,
    },
    h('span', { class: 'sm-label' }, sendName(b)),
    h('span', { class: 'sm-size' }, `${b.end - b.start} B`)), b.from, b.to, 1));
  }

  for (let i = 0; i < edges.length - 1; i++) {
    grid.append(place(h('span', { class: 'sm-tick' }, String(edges[i])), edges[i], edges[i + 1], 2));
  }
  if (edges.length > 1) {
    grid.append(place(h('span', { class: 'sm-tick end' }, String(v.hi)), edges[edges.length - 2], v.hi, 2));
  }

  grid.append(lane('recv()', 3));
  for (const c of v.chunks) grid.append(place(chunkBox(c, v, edges), c.from, c.to, 3));
  if (v.readTo < v.hi) {
    const from = Math.max(v.readTo, v.lo);
    grid.append(place(h('div', {
      class: 'stream-queued', dataset: { start: from, end: v.hi },
      title: t('sm.queued.title'),
    }, h('span', {}, t('sm.notread')), ' ', h('span', {}, t('sm.notread.n', { n: v.hi - from }))), from, v.hi, 3));
  }
  for (const p of v.peeks) {
    grid.append(lane('peek', 4));
    grid.append(place(h('div', {
      class: 'stream-peek', dataset: { start: p.start, end: p.end },
      title: t('sm.peek.title'),
    }, h('span', {}, p.call), ' ', h('span', {}, t('sm.peeked', { n: p.end - p.start }))), p.from, p.to, 4));
  }
  return h('div', { class: 'sm-scroll' }, grid);
}

/** A recv chunk, filled with the colours of the sends it holds (a subgrid on the same columns). */
function chunkBox(c, v, edges) {
  const box = h('div', {
    class: `recv-chunk${c.sends.length > 1 ? ' stuck' : ''}${c.frame ? ' frame-read' : ''}`,
    dataset: { start: c.start, end: c.end, sends: c.sends.join(','), call: c.call, id: c.id },
    title: `${c.call} → ${t('sm.chunk.title', { n: c.end - c.start, start: c.start, end: c.end })}`
      + (c.sends.length ? `: ${c.sends.map((i) => `send #${i}`).join(' + ')}` : ''),
  });
  const inner = edges.filter((x) => x >= c.from && x <= c.to);
  for (let i = 0; i < inner.length - 1; i++) {
    const owner = v.brackets.find((b) => b.start <= inner[i] && inner[i] < b.end);
    const fill = h('span', { class: 'sm-fill', dataset: { color: colorOf(owner?.index) } });
    fill.style.gridColumn = `${i + 1} / ${i + 2}`;
    box.append(fill);
  }
  const label = h('span', { class: 'sm-label' }, h('span', {}, c.call), ' ', h('span', {}, `→ ${c.end - c.start} B`));
  label.style.gridColumn = '1 / -1';
  box.append(label);
  return box;
}

/** Every byte of the window as a cell coloured by its send, grouped by recv chunk. */
function hexView(v) {
  const wrap = h('div', { class: 'sm-hex' });
  const groups = v.chunks.map((c) => ({ start: c.from, end: c.to, caption: `${c.call} → ${c.end - c.start} B`, chunk: c }));
  if (v.readTo < v.hi) groups.push({ start: Math.max(v.readTo, v.lo), end: v.hi, caption: t('sm.notreadyet'), queued: true });
  let budget = HEX_LIMIT;
  for (const g of groups) {
    if (budget <= 0) break;
    const end = Math.min(g.end, g.start + budget);
    budget -= end - g.start;
    const cells = [];
    let last;
    for (let off = g.start; off < end; off++) {
      const owner = v.brackets.find((b) => b.start <= off && off < b.end);
      const byte = v.byteAt(off);
      const first = owner !== last;
      last = owner;
      cells.push(h('span', {
        class: `hex-byte${first ? ' send-start' : ''}`,
        dataset: { offset: off, send: owner?.index, color: colorOf(owner?.index) },
        title: `${t('sm.offset', { n: off })}${owner ? ` · ${sendName(owner)}` : ''}`,
      },
      first && owner?.index != null ? h('span', { class: 'hb-tag' }, `#${owner.index}`) : null,
      h('span', { class: 'hb-hex' }, byte == null ? '··' : hex2(byte)),
      h('span', { class: 'hb-chr' }, byte == null ? ' ' : isPrintable(byte) ? String.fromCharCode(byte) : '·')));
    }
    wrap.append(h('div', {
      class: `hex-chunk${g.queued ? ' queued' : ''}`,
      dataset: { start: g.start, end: g.end, sends: g.chunk?.sends.join(',') },
    }, h('span', { class: 'hc-caption' }, g.caption), h('span', { class: 'hc-bytes' }, cells)));
  }
  const total = groups.reduce((n, g) => n + g.end - g.start, 0);
  if (total > HEX_LIMIT) wrap.append(h('p', { class: 'detail' }, t('sm.hexlimit', { n: HEX_LIMIT, total })));
  return wrap;
}

/** Sentences for the stuck and split cases in the window. */
function notes(v) {
  const items = [];
  for (const c of v.chunks) {
    if (c.sends.length > 1) {
      items.push(h('li', { class: 'sm-note stuck' },
        t('sm.note.stuck', { call: c.call, sends: c.sends.map((i) => `send #${i}`).join(' + ') })));
    }
  }
  for (const b of v.brackets) {
    if (b.chunks > 1) {
      items.push(h('li', { class: 'sm-note split' },
        t('sm.note.split', { n: b.end - b.start, send: sendName(b), chunks: b.chunks })));
    }
  }
  if (v.eof != null) items.push(h('li', { class: 'sm-note eof' }, t('sm.eof', { n: v.eof })));
  return items.length ? h('ul', { class: 'sm-notes' }, items) : null;
}
