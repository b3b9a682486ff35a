// log.js — the event log pane: entries in seq order, newest at the bottom.
//
// It follows new entries only while the reader is at the bottom (reading
// older entries is not interrupted), and it marks a waiting entry finished
// when its result arrives. It keeps the newest MAX_ENTRIES entries on the
// page (a class's long demo would otherwise slow the page down), says how
// many older ones it dropped, and keeps the reader's place when it drops
// them.
//
// Entries come as builders and are built and put on the page once per
// animation frame (measure, flush, follow): at most BUILD_PER_FRAME of them,
// oldest first, in one DOM insertion and one scroll. An entry that newer
// ones would push out before it is built is never built, only counted as
// dropped; the page shows the newest entries without a hole.
//
// DOM: ol#log[data-max] (data-max, if set, replaces MAX_ENTRIES), and
// p#log-trimmed[data-count] before it, hidden until something is dropped.

/** How close to the bottom (px) still counts as "at the bottom". */
const STICKY = 48;
/** The most entries shown; the session's own log keeps 10,000 messages. */
const MAX_ENTRIES = 2000;
/** The most entries built per animation frame (building costs far more than applying a message). */
const BUILD_PER_FRAME = 50;
/** How many early results (resolve before their waiting entry is built) are remembered. */
const MAX_DONE = 1000;

export class Log {
  #scroller;
  #list;
  #trimmed = 0;
  /** The count the note shows. */
  #noted = 0;
  /** @type {Array<() => HTMLElement>} entries added, not built yet, oldest first from #head */
  #unbuilt = [];
  #head = 0;
  /** Whether the reader was at the bottom when the frame began (measure). */
  #atBottom = true;
  /** Whether the last flush changed the entries. */
  #grew = false;
  /** The scrollTop follow left. */
  #followed = 0;
  /** How far (px) the last flush moved a scrolled-up reader's entries up. */
  #shift = 0;
  /** @type {Map<string, HTMLElement>} waiting entries by request id */
  #waiting = new Map();
  /** @type {Set<string>} requests whose result came before their waiting entry was built */
  #done = new Set();

  /**
   * @param {HTMLElement} scroller the scrolling box
   * @param {HTMLElement} list the <ol> that holds the entries
   */
  constructor(scroller, list) {
    this.#scroller = scroller;
    this.#list = list;
  }

  /** The most entries shown. */
  get max() {
    return Number(this.#list.dataset.max) || MAX_ENTRIES;
  }

  /** How many entries wait to be built. */
  get unbuilt() {
    return this.#unbuilt.length - this.#head;
  }

  /**
   * Notes whether the reader is at the bottom. Called at the start of each
   * animation frame's work, before any DOM change, when reading the layout
   * costs nothing.
   */
  measure() {
    const s = this.#scroller;
    const near = s.scrollHeight - s.scrollTop - s.clientHeight < STICKY;
    // Entries out of view have estimated heights (content-visibility), so
    // the bottom moves a little once the newest are drawn: the log stays at
    // the bottom until the reader scrolls up from where follow left it.
    this.#atBottom = near || (this.#atBottom && s.scrollTop >= this.#followed - 1);
  }

  /**
   * Adds an entry after the others, built by build() at a flush. When more
   * than max wait, the oldest of them go unbuilt, and the entries shown go
   * too (they are older still).
   * @param {() => HTMLElement} build
   */
  add(build) {
    this.#unbuilt.push(build);
    const over = this.unbuilt - this.max;
    if (over <= 0) return;
    this.#head += over;
    this.#trimmed += over;
    this.#clearShown();
    if (this.#head > 4096) {
      this.#unbuilt = this.#unbuilt.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * Drops every entry, shown or waiting to be built: more than the log
   * holds are queued behind them (a flood), so they would be gone before
   * anyone could read them.
   */
  skip() {
    this.#trimmed += this.unbuilt;
    this.#unbuilt = [];
    this.#head = 0;
    this.#clearShown();
  }

  /**
   * Builds the oldest unbuilt entries (BUILD_PER_FRAME at most), puts them
   * on the page in one DOM insertion and drops the oldest beyond the limit;
   * a reader scrolled up keeps looking at the same entries. Called once per
   * animation frame, between measure and follow.
   */
  flush() {
    const fresh = document.createDocumentFragment();
    const end = Math.min(this.#unbuilt.length, this.#head + BUILD_PER_FRAME);
    for (; this.#head < end; this.#head++) {
      const el = this.#unbuilt[this.#head]();
      this.#unbuilt[this.#head] = null;
      fresh.append(el);
      if (el.dataset.kind === 'waiting') {
        this.#waiting.set(el.dataset.id, el);
        // Its result may have come first (entries are built after their messages are applied).
        if (this.#done.delete(el.dataset.id)) this.resolve(el.dataset.id);
      }
    }
    if (this.#head === this.#unbuilt.length) {
      this.#unbuilt = [];
      this.#head = 0;
    }
    if (fresh.childElementCount) {
      this.#list.append(fresh);
      this.#grew = true;
    }
    const extra = this.#list.childElementCount - this.max;
    if (extra > 0) {
      // Scrolled up, the reader's view moves by the height dropped above it
      // (this reads the layout: only then).
      const first = this.#list.firstElementChild;
      this.#shift = this.#atBottom ? 0 : this.#list.children[extra].offsetTop - first.offsetTop;
      for (let k = 0; k < extra; k++) this.#forget(this.#list.firstElementChild);
      this.#trimmed += extra;
    }
    if (this.#trimmed !== this.#noted) this.#showTrimmed();
  }

  /**
   * Scrolls to the newest entry if the reader was at the bottom. It reads
   * the layout, so it comes after every DOM change of the frame (one
   * layout per frame, not one per change).
   */
  follow() {
    const s = this.#scroller;
    if (this.#grew && this.#atBottom) s.scrollTop = s.scrollHeight;
    else if (this.#shift) s.scrollTop -= this.#shift;
    this.#followed = s.scrollTop;
    this.#grew = false;
    this.#shift = 0;
  }

  /** Drops the entries shown, counting them. */
  #clearShown() {
    this.#trimmed += this.#list.childElementCount;
    this.#list.replaceChildren();
    this.#waiting.clear();
    this.#grew = true;
  }

  /** Removes an entry from the page. */
  #forget(el) {
    if (el.dataset.kind === 'waiting') this.#waiting.delete(el.dataset.id);
    el.remove();
  }

  #showTrimmed() {
    this.#noted = this.#trimmed;
    const note = document.getElementById('log-trimmed');
    if (!note) return;
    note.hidden = this.#trimmed === 0;
    note.dataset.count = String(this.#trimmed);
    note.textContent = `${this.#trimmed} older ${this.#trimmed === 1 ? 'entry is' : 'entries are'} not shown; the Python transcript still has every call.`;
  }

  /** Marks the waiting entry of a request finished: its result came. */
  resolve(id) {
    const el = this.#waiting.get(String(id));
    if (!el) {
      this.#done.add(String(id));
      if (this.#done.size > MAX_DONE) this.#done.delete(this.#done.values().next().value);
      return;
    }
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
    this.#unbuilt = [];
    this.#head = 0;
    this.#waiting.clear();
    this.#done.clear();
    this.#trimmed = 0;
    this.#showTrimmed();
  }
}
