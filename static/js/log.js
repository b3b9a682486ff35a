// log.js — the event log pane: entries in seq order, newest at the bottom.
//
// It follows new entries only while the reader is at the bottom (reading
// older entries is not interrupted), and it marks a waiting entry finished
// when its result arrives. It keeps the newest MAX_ENTRIES entries on the
// page (a class's long demo would otherwise slow the page down), says how
// many older ones it dropped, and keeps the reader's place when it drops
// them.
//
// DOM: ol#log[data-max] (data-max, if set, replaces MAX_ENTRIES), and
// p#log-trimmed[data-count] before it, hidden until something is dropped.

/** How close to the bottom (px) still counts as "at the bottom". */
const STICKY = 48;
/** The most entries shown; the session's own log keeps 10,000 messages. */
const MAX_ENTRIES = 2000;

export class Log {
  #scroller;
  #list;
  #trimmed = 0;
  /** @type {Map<string, HTMLElement>} waiting entries by request id */
  #waiting = new Map();

  /**
   * @param {HTMLElement} scroller the scrolling box
   * @param {HTMLElement} list the <ol> that holds the entries
   */
  constructor(scroller, list) {
    this.#scroller = scroller;
    this.#list = list;
  }

  /** Appends entries (in order) and scrolls to them if the reader was at the bottom. */
  append(entries) {
    if (entries.length === 0) return;
    const s = this.#scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < STICKY;
    for (const el of entries) {
      if (el.dataset.kind === 'waiting') this.#waiting.set(el.dataset.id, el);
    }
    this.#list.append(...entries);
    this.#trim(atBottom);
    if (atBottom) s.scrollTop = s.scrollHeight;
  }

  /** Drops the oldest entries beyond the limit. */
  #trim(atBottom) {
    const max = Number(this.#list.dataset.max) || MAX_ENTRIES;
    const extra = this.#list.children.length - max;
    if (extra <= 0) return;
    const old = [...this.#list.children].slice(0, extra);
    // A reader scrolled up keeps looking at the same entries.
    const shift = atBottom ? 0 : old.reduce((h, el) => h + el.getBoundingClientRect().height, 0);
    for (const el of old) {
      if (el.dataset.kind === 'waiting') this.#waiting.delete(el.dataset.id);
      el.remove();
    }
    this.#trimmed += extra;
    this.#showTrimmed();
    if (shift) this.#scroller.scrollTop -= shift;
  }

  #showTrimmed() {
    const note = document.getElementById('log-trimmed');
    if (!note) return;
    note.hidden = this.#trimmed === 0;
    note.dataset.count = String(this.#trimmed);
    note.textContent = `${this.#trimmed} older ${this.#trimmed === 1 ? 'entry is' : 'entries are'} not shown; the Python transcript still has every call.`;
  }

  /** Marks the waiting entry of a request finished: its result came. */
  resolve(id) {
    const el = this.#waiting.get(String(id));
    if (!el) return;
    this.#waiting.delete(String(id));
    el.classList.add('done');
    el.querySelector('button.cancel')?.remove();
    const outcome = el.querySelector('.outcome');
    if (outcome) outcome.textContent = 'waited (result below)';
  }

  /** Marks every waiting entry finished except those with the given ids. */
  resolveAllBut(ids) {
    const keep = new Set(ids.map(String));
    for (const id of [...this.#waiting.keys()]) if (!keep.has(id)) this.resolve(id);
  }

  /** Removes every entry. */
  clear() {
    this.#list.replaceChildren();
    this.#waiting.clear();
    this.#trimmed = 0;
    this.#showTrimmed();
  }
}
