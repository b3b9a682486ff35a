// packets.js — the packets panel: the session's `packet` messages as a
// sequence diagram per conversation (a TCP connection, or the UDP datagrams
// between two endpoints): two columns, the endpoints, and one arrow per
// segment with its flags, sequence and acknowledgement numbers and payload
// length. Numbers are relative by default, as Wireshark shows them (each
// side's first sequence number is 0); a toggle shows them as on the wire.
//
// A packet seen by several lab hosts (the sender's eth0 and the receivers')
// is shown once, from the first host that reported its conversation; a
// packet on lo is its host's own. The panel keeps the newest MAX_ROWS rows
// on the page and counts the older ones; packets_not_shown messages are
// lines of their own. Rows are built once per animation frame (flush), at
// most MAX_ROWS of them however many came.
//
// A send's range in its socket's outgoing stream (`stream` on send results)
// is a range of relative sequence numbers of that side (minus the SYN's
// one), so highlight() marks the data segments that carried it.
//
// DOM (stable hooks for tests):
//   #packets                     the diagrams, in the order conversations began
//     .pk-conv[data-conv][data-proto][data-host]
//       .pk-ends .pk-end[data-end="a|b"]   the two endpoints (a: the first sender)
//       ol.pk-rows li.pk-row[data-dir="ab|ba"][data-flags="SYN,ACK"]
//          [data-proto][data-seq][data-ack][data-rel-seq][data-rel-ack][data-len]
//          [data-start][data-end] (a TCP segment's payload, in its side's
//          stream) [data-cast="broadcast|multicast"]; .pk-label its text;
//          .pk-hl when highlighted
//     .pk-not-shown[data-count]  a packets_not_shown message
//   #packets-trimmed[data-count] older rows no longer on the page
//   #packets-empty               why there is nothing (yet)
//   #packets-absolute            the checkbox: absolute numbers

import { h } from './dom.js';
import { t, tn } from './i18n.js';

/** The most packet rows on the page; the capture keeps far more. */
const MAX_ROWS = 500;

/** Why a session on this machine's network shows no packets. */
const HOST_NETWORK = t('packets.host');
const NONE_YET = t('packets.noneyet');

/**
 * @typedef {object} Conv one conversation
 * @property {string} id
 * @property {string} key
 * @property {string} proto
 * @property {string} host the host whose packets are shown
 * @property {string} iface
 * @property {[string, number]} a the endpoint that sent first
 * @property {[string, number]} b
 * @property {{a: number|null, b: number|null}} isn each side's first sequence number
 * @property {{a: boolean, b: boolean}} syn whether that first segment was a SYN
 * @property {HTMLElement|null} el
 * @property {HTMLElement|null} list
 */

export class Packets {
  #box;
  #empty;
  #trimmed;
  #absolute;
  #download;
  /** @type {Map<string, Conv>} conversations by key */
  #convs = new Map();
  #nextConv = 1;
  /** @type {Array<{conv: Conv, build: () => HTMLElement}|{notShown: number}>} rows to build at the next flush */
  #pending = [];
  /** @type {Array<{conv: Conv|null, el: HTMLElement}>} rows on the page, oldest first */
  #rows = [];
  #dropped = 0;
  #network = '';
  #lab = false;
  /** @type {Map<string, {from: any[], to: any[], host: string, start: number, end: number}>} send results by request id */
  #sends = new Map();

  /**
   * @param {HTMLElement} box #packets
   * @param {{empty: HTMLElement, trimmed: HTMLElement, absolute: HTMLInputElement, download: HTMLElement}} parts
   */
  constructor(box, parts) {
    this.#box = box;
    this.#empty = parts.empty;
    this.#trimmed = parts.trimmed;
    this.#absolute = parts.absolute;
    this.#download = parts.download;
    this.#absolute.addEventListener('change', () => this.#relabel());
    this.#showEmpty();
  }

  /** The session's network from its hello: "host" or "private". */
  network(network) {
    this.#network = network ?? '';
    this.#showEmpty();
  }

  /** A `lab` result: whether the session now has a lab. */
  lab(res) {
    if (!res.ok) return;
    this.#lab = (res.hosts ?? []).length > 0;
    this.#showEmpty();
  }

  /** Applies a `packet` message; its row is built at the next flush. */
  apply(p) {
    const conv = this.#convOf(p);
    if (!conv || conv.host !== p.host) return; // another host's view of a packet already shown
    const dir = same(p.src, conv.a) ? 'ab' : 'ba';
    const row = { dir, p, rel: null, relAck: null, start: null, end: null };
    const tcp = p.tcp;
    if (tcp) {
      const side = dir === 'ab' ? 'a' : 'b';
      const other = side === 'a' ? 'b' : 'a';
      if (conv.isn[side] == null) {
        conv.isn[side] = tcp.seq;
        conv.syn[side] = tcp.flags.includes('SYN');
      }
      row.rel = (tcp.seq - conv.isn[side]) >>> 0;
      if (tcp.flags.includes('ACK') && conv.isn[other] != null) row.relAck = (tcp.ack - conv.isn[other]) >>> 0;
      if (p.len > 0) {
        row.start = row.rel - (conv.syn[side] ? 1 : 0);
        row.end = row.start + p.len;
      }
    }
    this.#pending.push({ conv, build: () => this.#rowEl(conv, row) });
    if (this.#pending.length > 2 * MAX_ROWS) this.#trimPending();
  }

  /** Applies a `packets_not_shown` message. */
  notShown(msg) {
    this.#pending.push({ notShown: msg.count ?? 0 });
  }

  /**
   * Notes a send result: its range of the socket's outgoing stream, between
   * the socket's addresses (socket is its last `socket` message).
   */
  noteSend(res, socket) {
    if (!res.ok || !Array.isArray(res.stream) || !socket?.laddr || !socket?.raddr) return;
    this.#sends.set(String(res.id), { from: socket.laddr, to: socket.raddr, host: socket.host ?? 'h1', start: res.stream[0], end: res.stream[1] });
    if (this.#sends.size > 1024) this.#sends.delete(this.#sends.keys().next().value);
  }

  /** Highlights the segments of a send noted by noteSend; false if the page knows none. */
  highlightSend(id) {
    const s = this.#sends.get(String(id));
    return s ? this.highlight(s.from, s.to, s.host, s.start, s.end) : false;
  }

  /**
   * Highlights the data segments from one endpoint to another that carried
   * bytes [start, end) of the sender's stream, and scrolls the first into
   * view. Returns whether any is on the page.
   */
  highlight(from, to, host, start, end) {
    for (const el of this.#box.querySelectorAll('.pk-hl')) el.classList.remove('pk-hl');
    const conv = this.#convs.get(convKey('TCP', 'lo', host, from, to)) ?? this.#convs.get(convKey('TCP', 'eth0', host, from, to));
    if (!conv?.list) return false;
    const dir = same(from, conv.a) ? 'ab' : 'ba';
    const hits = [...conv.list.querySelectorAll(`.pk-row[data-dir="${dir}"][data-start]`)]
      .filter((el) => Number(el.dataset.start) < end && Number(el.dataset.end) > start);
    for (const el of hits) el.classList.add('pk-hl');
    hits[0]?.scrollIntoView({ block: 'nearest' });
    return hits.length > 0;
  }

  /** Builds the rows applied since the last flush (the newest MAX_ROWS). Once per animation frame. */
  flush() {
    if (this.#pending.length === 0) return;
    const pending = this.#pending.splice(0);
    const from = Math.max(0, pending.length - MAX_ROWS);
    this.#dropped += pending.slice(0, from).filter((r) => 'conv' in r).length;
    for (const item of pending.slice(from)) {
      if ('notShown' in item) {
        const el = h('p', { class: 'pk-not-shown', dataset: { count: item.notShown } },
          tn('packets.notshown', item.notShown));
        this.#box.append(el);
        this.#rows.push({ conv: null, el });
        continue;
      }
      const conv = item.conv;
      if (!conv.el?.isConnected) this.#box.append(this.#convEl(conv));
      const el = item.build();
      conv.list.append(el);
      this.#rows.push({ conv, el });
    }
    this.#trim();
    this.#showEmpty();
  }

  /** Forgets everything (the session changed). */
  reset() {
    this.#convs.clear();
    this.#pending = [];
    this.#rows = [];
    this.#dropped = 0;
    this.#lab = false;
    this.#sends.clear();
    this.#box.replaceChildren();
    this.#showEmpty();
  }

  /** Drops pending rows that could never be shown (a flood between frames). */
  #trimPending() {
    const over = this.#pending.length - MAX_ROWS;
    this.#dropped += this.#pending.slice(0, over).filter((r) => 'conv' in r).length;
    this.#pending = this.#pending.slice(over);
  }

  /** Keeps the newest MAX_ROWS rows on the page. */
  #trim() {
    const over = this.#rows.length - MAX_ROWS;
    if (over > 0) {
      for (const { conv, el } of this.#rows.slice(0, over)) {
        el.remove();
        if (conv) this.#dropped++;
        if (conv?.list && conv.list.childElementCount === 0) conv.el.remove();
      }
      this.#rows = this.#rows.slice(over);
    }
    this.#trimmed.hidden = this.#dropped === 0;
    this.#trimmed.dataset.count = String(this.#dropped);
    this.#trimmed.textContent = tn('packets.trimmed', this.#dropped);
  }

  #showEmpty() {
    const hostOnly = this.#network === 'host' && !this.#lab;
    const shown = this.#rows.length > 0;
    this.#empty.hidden = shown && !hostOnly;
    this.#empty.dataset.reason = hostOnly ? 'host-network' : 'none-yet';
    this.#empty.textContent = hostOnly ? HOST_NETWORK : NONE_YET;
    this.#download.hidden = hostOnly;
  }

  /** The conversation of a packet, made on its first packet. */
  #convOf(p) {
    if (!Array.isArray(p.src) || !Array.isArray(p.dst)) return null;
    const key = convKey(p.proto, p.iface, p.host, p.src, p.dst);
    let conv = this.#convs.get(key);
    const tcp = p.tcp;
    // A new SYN (not a retransmission) on the same endpoints is a new connection.
    const reopened = conv && tcp && tcp.flags.includes('SYN') && !tcp.flags.includes('ACK')
      && conv.host === p.host && conv.isn.a != null && conv.isn.a !== tcp.seq;
    if (!conv || reopened) {
      conv = {
        id: `c${this.#nextConv++}`, key, proto: p.proto ?? '?', host: p.host, iface: p.iface,
        a: [p.src[0], p.src[1]], b: [p.dst[0], p.dst[1]],
        isn: { a: null, b: null }, syn: { a: false, b: false }, el: null, list: null,
      };
      this.#convs.set(key, conv);
    }
    return conv;
  }

  #convEl(conv) {
    conv.list = h('ol', { class: 'pk-rows' });
    conv.el = h('section', { class: 'pk-conv', dataset: { conv: conv.id, proto: conv.proto, host: conv.host } },
      h('header', { class: 'pk-ends' },
        h('span', { class: 'pk-end', dataset: { end: 'a' } }, endText(conv.a)),
        h('span', { class: 'pk-meta' }, `${conv.proto} · ${conv.host} ${conv.iface}`),
        h('span', { class: 'pk-end', dataset: { end: 'b' } }, endText(conv.b))),
      conv.list);
    return conv.el;
  }

  #rowEl(conv, row) {
    const { p, dir } = row;
    const cast = p.broadcast ? 'broadcast' : p.multicast ? 'multicast' : undefined;
    const el = h('li', {
      class: 'pk-row',
      title: `${endText(p.src)} → ${endText(p.dst)} · ${t('packets.onwire', { n: p.size })}${p.tcp ? ` · win ${p.tcp.win}` : ''} · ${p.host} ${p.iface}`,
      dataset: {
        dir, proto: p.proto, seq: p.tcp?.seq, ack: p.tcp?.flags.includes('ACK') ? p.tcp.ack : undefined,
        relSeq: row.rel ?? undefined, relAck: row.relAck ?? undefined, len: p.len,
        flags: p.tcp?.flags.join(','), start: row.start ?? undefined, end: row.end ?? undefined, cast,
      },
    }, h('span', { class: 'pk-arrow' }, h('span', { class: 'pk-label' })));
    this.#label(el);
    return el;
  }

  /** Writes a row's label in the chosen numbering. */
  #label(el) {
    const d = el.dataset;
    const label = el.querySelector('.pk-label');
    if (d.flags == null) {
      label.textContent = [d.proto, d.proto === 'UDP' ? `Len=${d.len}` : '', d.cast].filter(Boolean).join(' ');
      return;
    }
    const abs = this.#absolute.checked;
    const seq = abs ? d.seq : d.relSeq;
    const ack = abs ? d.ack : d.relAck ?? d.ack;
    label.textContent = `[${d.flags.split(',').join(', ')}] Seq=${seq}${ack != null ? ` Ack=${ack}` : ''} Len=${d.len}`;
  }

  #relabel() {
    for (const el of this.#box.querySelectorAll('.pk-row')) this.#label(el);
  }
}

/**
 * The key of a conversation: its protocol and endpoints in either order; a
 * packet on lo is its own host's, one on a LAN interface the lab's.
 */
function convKey(proto, iface, host, x, y) {
  const ends = [endText(x), endText(y)].sort();
  return `${proto}|${iface === 'lo' ? host : 'lan'}|${ends.join('|')}`;
}

function same(x, y) {
  return x[0] === y[0] && x[1] === y[1];
}

function endText([addr, port]) {
  const a = String(addr).includes(':') ? `[${addr}]` : addr;
  return port ? `${a}:${port}` : a;
}
