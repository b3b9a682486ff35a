// transcript.js — the Python pane: one line per successful action, starting
// with `import socket` (and any other import or helper function a line needs,
// added above the first line once), and a Copy button (the Clipboard API
// where the page may use it, else a selected textarea and execCommand, else
// a selection the reader copies by hand).
//
// Lines are kept as text (the newest MAX_KEPT of them: Copy gives them all)
// and put on the page once per animation frame (measure, flush, follow), in
// one insertion; the page shows the newest MAX_SHOWN, under a comment line
// saying how many earlier ones Copy has. In a flood it shows only the
// newest few per frame, and the older ones again once the flood is over.
// The pane follows new lines while the reader is at the bottom.

import { copyText } from './copy.js';
import { h } from './dom.js';
import { importLines } from './python.js';
import { t } from './i18n.js';

const HEADER = 'import socket';
/** Lines shown on the page. */
const MAX_SHOWN = 300;
/** The most lines put on the page per animation frame. */
const LINES_PER_FRAME = 40;
/** Lines kept for Copy (a session's own log keeps 10,000 messages). */
const MAX_KEPT = 100_000;
/** How close to the bottom (px) still counts as "at the bottom". */
const STICKY = 24;

export class Transcript {
  #code;
  #status;
  /** The parts of the code, in order: imports, helper functions, the "earlier lines" note, lines. */
  #imports;
  #helpers;
  #earlier;
  #lines;
  /** @type {Set<string>} the imports and helpers already written */
  #defined = new Set();
  /** @type {{text: string, seq: number}[]} every kept line, oldest first */
  #kept = [];
  /** Lines no longer kept (beyond MAX_KEPT). */
  #lost = 0;
  /** The kept lines [#from, #to) are on the page; those from #to on are new. */
  #from = 0;
  #to = 0;
  #atBottom = true;
  /** Whether the last flush added lines. */
  #grew = false;

  /**
   * @param {HTMLElement} code the <code> element inside the <pre>
   * @param {HTMLElement} status where "Copied" is announced
   */
  constructor(code, status) {
    this.#code = code;
    this.#status = status;
    this.reset();
  }

  /**
   * Adds a result's line(s) (a comment line when it starts with #), after
   * defining what they need. They show at the next flush.
   * @param {string} text one line, or several separated by "\n"
   * @param {number} seq the result's seq
   * @param {{imports?: string[], helpers?: Record<string, string>}} [needs]
   *   modules to import, and helper functions by name with their source
   */
  add(text, seq, needs = {}) {
    for (const name of needs.imports ?? []) {
      if (!this.#define(`import ${name}`)) continue;
      for (const line of importLines(name).split('\n')) {
        this.#imports.append(h('span', { class: line.startsWith('#') ? 'py-line py-comment' : 'py-line' }, line + '\n'));
      }
    }
    for (const [name, source] of Object.entries(needs.helpers ?? {})) {
      if (this.#define(`def ${name}`)) {
        this.#helpers.append(h('span', { class: 'py-line py-helper', dataset: { helper: name } }, `\n${source}\n`));
      }
    }
    for (const line of text.split('\n')) this.#kept.push({ text: line, seq });
    if (this.#kept.length > MAX_KEPT + MAX_KEPT / 10) {
      const extra = this.#kept.length - MAX_KEPT;
      this.#kept.splice(0, extra);
      this.#lost += extra;
      for (let k = this.#from; k < Math.min(extra, this.#to); k++) this.#lines.firstElementChild.remove();
      this.#from = Math.max(0, this.#from - extra);
      this.#to = Math.max(0, this.#to - extra);
    }
  }

  /** Whether lines wait to be put on the page (new ones, or older ones to show again). */
  get unbuilt() {
    return this.#kept.length > this.#to || (this.#atBottom && this.#from > 0 && this.#to - this.#from < MAX_SHOWN);
  }

  /**
   * Puts lines on the page in one insertion: the new ones (only the newest
   * LINES_PER_FRAME if there are more: a flood), dropping the oldest shown
   * beyond MAX_SHOWN; or, with no new lines and the reader at the bottom,
   * older lines back above the others.
   */
  flush() {
    const end = this.#kept.length;
    if (end - this.#to > LINES_PER_FRAME) {
      this.#lines.replaceChildren(this.#build(end - LINES_PER_FRAME, end));
      this.#from = end - LINES_PER_FRAME;
    } else if (end > this.#to) {
      this.#lines.append(this.#build(this.#to, end));
      for (; end - this.#from > MAX_SHOWN; this.#from++) this.#lines.firstElementChild.remove();
    } else if (this.#atBottom && this.#from > 0 && end - this.#from < MAX_SHOWN) {
      const from = Math.max(0, this.#from - LINES_PER_FRAME, end - MAX_SHOWN);
      this.#lines.prepend(this.#build(from, this.#from));
      this.#from = from;
    } else {
      return;
    }
    this.#to = end;
    const earlier = this.#lost + this.#from;
    this.#earlier.textContent = earlier > 0
      ? `${this.#lost ? t(earlier === 1 ? 'tr.earlier.one.last' : 'tr.earlier.last', { n: earlier, kept: this.#kept.length }) : t(earlier === 1 ? 'tr.earlier.one' : 'tr.earlier', { n: earlier })}\n`
      : '';
    this.#earlier.dataset.count = String(Math.max(0, earlier));
    this.#grew = true;
  }

  /** The kept lines [from, to) as elements. */
  #build(from, to) {
    const fresh = document.createDocumentFragment();
    for (let k = from; k < to; k++) {
      const { text, seq } = this.#kept[k];
      fresh.append(h('span', { class: text.startsWith('#') ? 'py-line py-comment' : 'py-line', dataset: { seq } }, text + '\n'));
    }
    return fresh;
  }

  /** Notes whether the reader is at the bottom; at the start of a frame's work, before any DOM change. */
  measure() {
    const pre = this.#code.parentElement;
    if (pre) this.#atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < STICKY;
  }

  /** Scrolls to the newest line if the reader was at the bottom; after every DOM change of the frame (it reads the layout). */
  follow() {
    const pre = this.#code.parentElement;
    if (pre && this.#grew && this.#atBottom) pre.scrollTop = pre.scrollHeight;
    this.#grew = false;
  }

  /** Starts over with just the import. */
  reset() {
    this.#defined.clear();
    this.#kept = [];
    this.#from = 0;
    this.#to = 0;
    this.#lost = 0;
    this.#imports = h('span', { class: 'py-imports' }, h('span', { class: 'py-line' }, HEADER + '\n'));
    this.#helpers = h('span', { class: 'py-helpers' });
    this.#earlier = h('span', { class: 'py-line py-comment py-earlier', dataset: { count: 0 } });
    this.#lines = h('span', { class: 'py-lines' });
    this.#code.replaceChildren(this.#imports, this.#helpers, this.#earlier, this.#lines);
  }

  /** Marks a definition as written; false if it already was. */
  #define(key) {
    if (this.#defined.has(key)) return false;
    this.#defined.add(key);
    return true;
  }

  /** @returns {string} the whole transcript as Python source (every kept line, shown or not) */
  text() {
    const lost = this.#lost ? `${t('tr.lost', { n: this.#lost })}\n` : '';
    return this.#imports.textContent + this.#helpers.textContent + lost + this.#kept.map((line) => line.text + '\n').join('');
  }

  /** Copies the transcript and says how it went. */
  copy() {
    return copyText(this.text(), this.#code, this.#status);
  }
}
