// kernel.js — the "Kernel" part of a socket card: what `stat` read from the
// kernel (pushed while the page watches, or asked for with the card's stat
// button). The receive queue fills before anyone calls recv(), with a bar and
// a preview of the bytes waiting; for TCP, TCP_INFO's segment counters with
// their change since the last reset, next to the send() and recv() calls
// made meanwhile — "10 send() calls became 1 data segment".
//
// DOM, inside .sock-card .kernel:
//   [data-stat="state|inq|outq|since"]  text; .kernel[data-inq] mirrors inq
//   [data-stat="inq-bar"] > span         the queue bar (width as a share)
//   [data-stat="peek"]                   the bytes waiting (div.data), hidden when none
//   [data-stat="counters"] [data-counter="data_segs_out"] with .k-value, .k-delta
//                                        (built empty by mount, so the card keeps its size)
//   button[data-reset-counters]          sets the Δ baseline to now

import { h } from './dom.js';
import { dataView } from './dataview.js';
import { t } from './i18n.js';

/** Counters shown with their change since the last reset. */
const COUNTERS = [
  ['data_segs_out', t('kernel.c.dso'), t('kernel.c.dso.title')],
  ['data_segs_in', t('kernel.c.dsi'), t('kernel.c.dsi.title')],
  ['segs_out', t('kernel.c.so'), t('kernel.c.so.title')],
  ['segs_in', t('kernel.c.si'), t('kernel.c.si.title')],
  ['bytes_acked', t('kernel.c.ba'), t('kernel.c.ba.title')],
  ['bytes_received', t('kernel.c.br'), t('kernel.c.br.title')],
  ['total_retrans', t('kernel.c.rt'), t('kernel.c.rt.title')],
];
/** Values shown as they are. */
const GAUGES = [
  ['rtt_us', 'RTT', (v) => `${v} µs`],
  ['snd_mss', 'MSS', (v) => `${v} B`],
];
/** The queue bar is full at this many bytes, or at the most seen, if more. */
const BAR_MIN_FULL = 64;

/**
 * @typedef {{sends: number, recvs: number}} Calls the send/recv calls a socket made so far
 */

export class Kernel {
  /** @type {Map<string, object>} the last stat of each socket */
  #last = new Map();
  /** @type {Map<string, {stat: object, calls: Calls}>} the Δ baseline of each socket */
  #base = new Map();
  /** @type {Map<string, number>} the largest inq seen, for the bar's scale */
  #most = new Map();

  /** Forgets everything (the session changed). */
  reset() {
    this.#last.clear();
    this.#base.clear();
    this.#most.clear();
  }

  /** @returns {object|undefined} the socket's last stat */
  get(sock) {
    return this.#last.get(sock);
  }

  /**
   * Shows a stat (a pushed `stat` message or a `stat` result) on its card.
   * @param {object} stat
   * @param {HTMLElement|null} el the card's .kernel
   * @param {Calls} calls
   */
  apply(stat, el, calls) {
    this.#last.set(stat.sock, stat);
    this.#most.set(stat.sock, Math.max(this.#most.get(stat.sock) ?? 0, stat.inq ?? 0));
    if (el) this.render(stat.sock, el, calls);
  }

  /** Makes now the baseline of the Δ column. */
  resetCounters(sock, el, calls) {
    const stat = this.#last.get(sock);
    if (!stat) return;
    this.#base.set(sock, { stat, calls: { ...calls } });
    this.render(sock, el, calls);
  }

  /**
   * Builds the counter cells of a card's kernel part, empty, so that the
   * card keeps its size when the first stat arrives (nothing moves under
   * the pointer). Does nothing the second time.
   */
  mount(el) {
    const counters = el?.querySelector('[data-stat="counters"]');
    if (!counters || counters.childElementCount) return;
    counters.replaceChildren(
      ...COUNTERS.map(([key, label, title]) => h('div', { class: 'k-counter', dataset: { counter: key }, title },
        h('span', { class: 'k-name' }, label), h('span', { class: 'k-value' }, '–'), h('span', { class: 'k-delta' }))),
      ...GAUGES.map(([key, label]) => h('div', { class: 'k-counter gauge', dataset: { counter: key } },
        h('span', { class: 'k-name' }, label), h('span', { class: 'k-value' }, '–'))),
    );
    el.querySelector('[data-stat="since"]').textContent = t('kernel.nonumbers');
  }

  /** Redraws a card's kernel part (also when only the call counts changed). */
  render(sock, el, calls) {
    const stat = this.#last.get(sock);
    if (!stat || !el) return;
    this.mount(el);
    const field = (name) => el.querySelector(`[data-stat="${name}"]`);
    const udp = el.closest('.sock-card')?.dataset.type === 'SOCK_DGRAM';
    el.dataset.inq = String(stat.inq ?? 0);
    el.dataset.state = stat.state ?? '';
    el.dataset.closed = String(!!stat.closed);
    field('state').textContent = stat.closed && stat.state !== 'CLOSED'
      ? t('kernel.fdclosed', { state: stat.state })
      : stat.state ?? '?';
    field('state').title = closedTitle(stat);
    field('inq').textContent = udp && stat.inq ? t('kernel.nextdg', { n: stat.inq }) : `${stat.inq ?? 0} B`;
    field('outq').textContent = `${stat.outq ?? 0} B`;
    const full = Math.max(BAR_MIN_FULL, this.#most.get(sock) ?? 0);
    field('inq-bar').firstElementChild.style.width = `${Math.min(100, (100 * (stat.inq ?? 0)) / full)}%`;
    field('inq-bar').title = t('kernel.bar', { n: stat.inq ?? 0, full });

    const peek = field('peek');
    peek.hidden = !stat.peek?.size;
    peek.replaceChildren(stat.peek?.size
      ? dataView(stat.peek, { label: stat.inq > stat.peek.size ? t('kernel.peek.first', { n: stat.peek.size, inq: stat.inq }) : t('kernel.peek'), limit: 64 })
      : '');

    if (stat.data_segs_out == null) return; // no TCP_INFO: not TCP
    const base = this.#base.get(sock)?.stat;
    for (const [key] of COUNTERS) {
      const cell = el.querySelector(`[data-counter="${key}"]`);
      const d = base ? stat[key] - (base[key] ?? 0) : 0;
      cell.querySelector('.k-value').textContent = String(stat[key]);
      cell.querySelector('.k-delta').textContent = d ? `+${d}` : '';
    }
    for (const [key, , fmt] of GAUGES) {
      el.querySelector(`[data-counter="${key}"] .k-value`).textContent = fmt(stat[key]);
    }
    field('since').textContent = this.#since(sock, stat, calls);
  }

  /** "Since reset: 10 send() calls → 1 data segment out; …" */
  #since(sock, stat, calls) {
    const base = this.#base.get(sock) ?? { stat: {}, calls: { sends: 0, recvs: 0 } };
    const d = (key) => stat[key] - (base.stat[key] ?? 0);
    const n = (k, what) => t(k === 1 ? `kernel.n.${what}.one` : `kernel.n.${what}`, { n: k });
    const sends = calls.sends - base.calls.sends;
    const recvs = calls.recvs - base.calls.recvs;
    const parts = [];
    if (sends || d('data_segs_out')) parts.push(t('kernel.since.out', { sends: n(sends, 'send'), segs: n(d('data_segs_out'), 'seg') }));
    if (recvs || d('data_segs_in')) parts.push(t('kernel.since.in', { segs: n(d('data_segs_in'), 'seg'), recvs: n(recvs, 'recv') }));
    const when = this.#base.has(sock) ? t('kernel.since.reset') : t('kernel.since.created');
    return parts.length ? t('kernel.since', { when, parts: parts.join(t('kernel.since.sep')) }) : t('kernel.since.none', { when });
  }
}

/** The state's tooltip: for a closed socket, that the kernel still keeps its connection. */
function closedTitle(stat) {
  if (!stat.closed) return t('kernel.title.open');
  if (stat.state === 'CLOSED') return t('kernel.title.gone');
  const left = stat.expires_ms ? t('kernel.title.left', { s: Math.ceil(stat.expires_ms / 1000) }) : '';
  return t('kernel.title.kept', { state: stat.state, left });
}
