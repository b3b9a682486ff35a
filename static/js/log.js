// log.js — the event log pane: entries in seq order, newest at the bottom.
//
// It follows new entries only while the reader is at the bottom (reading
// older entries is not interrupted), and it marks a waiting entry finished
// when its result arrives.

/** How close to the bottom (px) still counts as "at the bottom". */
const STICKY = 48;

export class Log {
  #scroller;
  #list;
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
    if (atBottom) s.scrollTop = s.scrollHeight;
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
  }
}
