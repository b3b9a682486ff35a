// transcript.js — the Python pane: one line per successful action, starting
// with `import socket` (and any other import or helper function a line needs,
// added above the first line once), and a Copy button (the Clipboard API
// where the page may use it, else a selected textarea and execCommand, else
// a selection the reader copies by hand).
//
// Lines are kept as text (the newest MAX_KEPT of them: Copy gives them all)
// and put on the page once per animation frame (flush, then follow), in one
// insertion; the page shows the newest MAX_SHOWN, under a comment line
// saying how many earlier ones Copy has. The pane follows new lines while
// the reader is at the bottom.

import { copyText } from './copy.js';
import { h } from './dom.js';

const HEADER = 'import socket';
/** Lines shown on the page. */
const MAX_SHOWN = 300;
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
  /** @type {string[]} every kept line, oldest first */
  #kept = [];
  /** Lines no longer kept (beyond MAX_KEPT). */
  #lost = 0;
  /** @type {{text: string, seq: number}[]} lines added since the last flush */
  #pending = [];
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
      if (this.#define(`import ${name}`)) this.#imports.append(h('span', { class: 'py-line' }, `import ${name}\n`));
    }
    for (const [name, source] of Object.entries(needs.helpers ?? {})) {
      if (this.#define(`def ${name}`)) {
        this.#helpers.append(h('span', { class: 'py-line py-helper', dataset: { helper: name } }, `\n${source}\n`));
      }
    }
    for (const line of text.split('\n')) {
      this.#kept.push(line);
      this.#pending.push({ text: line, seq });
    }
    if (this.#pending.length > 2 * MAX_SHOWN) this.#pending.splice(0, this.#pending.length - MAX_SHOWN);
    if (this.#kept.length > MAX_KEPT + MAX_KEPT / 10) {
      const extra = this.#kept.length - MAX_KEPT;
      this.#kept.splice(0, extra);
      this.#lost += extra;
    }
  }

  /** Puts the added lines on the page (one insertion) and drops the oldest shown beyond MAX_SHOWN. */
  flush() {
    if (this.#pending.length === 0) return;
    const fresh = document.createDocumentFragment();
    for (const { text, seq } of this.#pending.slice(-MAX_SHOWN)) {
      const cls = text.startsWith('#') ? 'py-line py-comment' : 'py-line';
      fresh.append(h('span', { class: cls, dataset: { seq } }, text + '\n'));
    }
    this.#pending = [];
    this.#lines.append(fresh);
    for (let extra = this.#lines.childElementCount - MAX_SHOWN; extra > 0; extra--) this.#lines.firstElementChild.remove();
    const earlier = this.#lost + this.#kept.length - this.#lines.childElementCount;
    this.#earlier.textContent = earlier > 0
      ? `# … ${earlier} earlier ${earlier === 1 ? 'line' : 'lines'}: Copy has ${this.#lost ? `the last ${this.#kept.length}` : 'them all'}\n`
      : '';
    this.#earlier.dataset.count = String(Math.max(0, earlier));
    this.#grew = true;
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
    this.#pending = [];
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
    const lost = this.#lost ? `# … ${this.#lost} earlier lines are not kept\n` : '';
    return this.#imports.textContent + this.#helpers.textContent + lost + this.#kept.map((line) => line + '\n').join('');
  }

  /** Copies the transcript and says how it went. */
  copy() {
    return copyText(this.text(), this.#code, this.#status);
  }
}
