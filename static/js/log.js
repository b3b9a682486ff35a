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
// animation frame (measure, flush, follow), at most BUILD_PER_FRAME of them,
// in one DOM insertion and one scroll. When more come than that (a flood),
// the page shows the newest ones, without a hole, and counts the rest as not
// shown; once the flood is over it builds the older ones back, newest first,
// up to the limit. An entry that newer ones push out before it is built is
// never built.
//
// DOM: ol#log[data-max] (data-max, if set, replaces MAX_ENTRIES), and
// p#log-trimmed[data-count] before it, hidden until something is dropped.

import { t } from './i18n.js';

/** How close to the bottom (px) still counts as "at the bottom". */
const STICKY = 48;
/** The most entries shown; the session's own log keeps 10,000 messages. */
const MAX_ENTRIES = 2000;
/**
 * The most new entries built per animation frame: building and laying out
 * an entry costs far more than applying its message.
 */
const BUILD_PER_FRAME = 25;
/** The most older entries built back per frame, once no new ones come. */
const BACKFILL_PER_FRAME = 60;

export class Log {
  #scroller;
  #list;
  /** Entries added in all, shown or not (since clear). */
  #added = 0;
  /** The count the note shows. */
  #noted = -1;
  /**
   * The newest entries added (at most max, from #base), oldest first: those
   * from #shown on are on the page (or built at the next flush), the older ones are not
   * shown now but may be built back.
   * @type {Array<{build: () => HTMLElement, el: HTMLElement|null, waiting: string|null, done: boolean}>}
   */
  #recent = [];
  /** The index in #recent of the oldest record kept (older ones are null). */
  #base = 0;
  /** The index in #recent of the oldest record shown. */
  #shown = 0;
  /** Whether the reader was at the bottom when the frame began (measure). */
  #atBottom = true;
  /** The scrollTop follow left. */
  #followed = 0;
  /** Whether the last flush changed the entries. */
  #grew = false;
  /** How far (px) the last flush moved a scrolled-up reader's entries. */
  #shift = 0;
  /** @type {Map<string, object>} the records of waiting entries not resolved yet, by request id */
  #waiting = new Map();

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

  /** Whether entries wait to be built (newer ones, or older ones to build back). */
  get unbuilt() {
    const last = this.#recent.at(-1);
    return (last != null && last.el == null) || (this.#shown > this.#base && this.#atBottom);
  }

  /**
   * Notes whether the reader is at the bottom. Called at the start of each
   * animation frame's work, before any DOM change, when reading the layout
   * costs nothing.
   */
  measure() {
    const s = this.#scroller;
    const near = s.scrollHeight - s.scrollTop - s.clientHeight < STICKY;
    // The log stays at the bottom until the reader scrolls up from where
    // follow left it (entries drawn after follow may move the bottom a little).
    this.#atBottom = near || (this.#atBottom && s.scrollTop >= this.#followed - 1);
  }

  /**
   * Adds an entry after the others, built by build() at a flush.
   * @param {() => HTMLElement} build
   * @param {{waiting?: number|string}} [about] the request id, for a `waiting` entry
   */
  add(build, about = {}) {
    const rec = { build, el: null, waiting: about.waiting == null ? null : String(about.waiting), done: false };
    if (rec.waiting != null) this.#waiting.set(rec.waiting, rec);
    this.#recent.push(rec);
    this.#added++;
    const over = this.#recent.length - this.#base - this.max;
    if (over > 0) this.#drop(over);
  }

  /**
   * Drops every entry, shown or waiting to be built: more than the log
   * holds are queued behind them (a flood), so they would be gone before
   * anyone could read them.
   */
  skip() {
    this.#drop(this.#recent.length - this.#base);
  }

  /** Forgets the n oldest records (and their entries, if shown). */
  #drop(n) {
    const shown = [];
    for (let k = this.#base; k < this.#base + n; k++) {
      const rec = this.#recent[k];
      if (rec.el) shown.push(rec);
      if (rec.waiting != null) this.#waiting.delete(rec.waiting);
      this.#recent[k] = null;
    }
    this.#removeFirst(shown);
    this.#base += n;
    this.#shown = Math.max(this.#shown, this.#base);
    if (this.#base > 4096 && this.#base * 2 > this.#recent.length) {
      this.#recent = this.#recent.slice(this.#base);
      this.#shown -= this.#base;
      this.#base = 0;
    }
  }

  /**
   * Builds entries and puts them on the page in one DOM insertion: the new
   * ones — only the newest BUILD_PER_FRAME, if there are more — or else, at
   * the bottom, older ones built back above the others. Called once per animation frame, between measure and follow.
   */
  flush() {
    const recent = this.#recent;
    let firstNew = recent.length;
    while (firstNew > this.#shown && recent[firstNew - 1].el == null) firstNew--;
    if (firstNew < recent.length) {
      const from = Math.max(firstNew, recent.length - BUILD_PER_FRAME);
      if (from > firstNew) {
        // More new entries than a frame builds: the page shows the newest.
        this.#removeFirst(recent.slice(this.#shown, from).filter((rec) => rec.el));
        this.#shown = from;
      }
      this.#list.append(this.#build(from, recent.length));
      this.#grew = true;
    } else if (this.#shown > this.#base && this.#atBottom) {
      const from = Math.max(this.#base, this.#shown - BACKFILL_PER_FRAME);
      this.#list.prepend(this.#build(from, this.#shown));
      this.#shown = from;
      this.#grew = true;
    }
    const notShown = this.#added - (recent.length - this.#shown);
    if (notShown !== this.#noted) this.#showTrimmed(notShown);
  }

  /** Builds records [from, to) into a fragment. */
  #build(from, to) {
    const fresh = document.createDocumentFragment();
    for (let k = from; k < to; k++) {
      const rec = this.#recent[k];
      rec.el = rec.build();
      if (rec.done) markDone(rec.el);
      fresh.append(rec.el);
    }
    return fresh;
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

  /**
   * Takes the entries of records off the page: the first ones on it, in
   * order. A reader scrolled up keeps looking at the same entries.
   */
  #removeFirst(recs) {
    if (recs.length === 0) return;
    const next = recs.at(-1).el.nextElementSibling;
    if (!this.#atBottom && next && recs[0].el.isConnected) {
      // (This reads the layout: only for a reader scrolled up.)
      this.#shift += next.offsetTop - recs[0].el.offsetTop;
    }
    for (const rec of recs) {
      rec.el.remove();
      rec.el = null;
    }
  }

  #showTrimmed(n) {
    this.#noted = n;
    const note = document.getElementById('log-trimmed');
    if (!note) return;
    note.hidden = n === 0;
    note.dataset.count = String(n);
    note.textContent = n === 1 ? t('log.trimmed.one') : t('log.trimmed', { n });
  }

  /** Marks the waiting entry of a request finished (built or not): its result came. */
  resolve(id) {
    const rec = this.#waiting.get(String(id));
    if (!rec) return;
    this.#waiting.delete(String(id));
    rec.done = true;
    if (rec.el) markDone(rec.el);
  }

  /** Marks every waiting entry finished except those with the given ids. */
  resolveAllBut(ids) {
    const keep = new Set(ids.map(String));
    for (const id of [...this.#waiting.keys()]) if (!keep.has(id)) this.resolve(id);
  }

  /** Removes every entry. */
  clear() {
    this.#list.replaceChildren();
    this.#recent = [];
    this.#base = 0;
    this.#shown = 0;
    this.#added = 0;
    this.#waiting.clear();
    this.#showTrimmed(0);
  }
}

/** Shows a waiting entry as finished. */
function markDone(el) {
  el.classList.add('done');
  el.querySelector('button.cancel')?.remove();
  const outcome = el.querySelector('.outcome');
  if (outcome) outcome.textContent = t('log.waited');
}
