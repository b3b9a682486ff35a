// transcript.js — the Python pane: one line per successful action, starting
// with `import socket` (and any other import or helper function a line needs,
// added above the first line once), and a Copy button (the Clipboard API
// where the page may use it, else a selected textarea and execCommand, else
// a selection the reader copies by hand).

import { copyText } from './copy.js';
import { h } from './dom.js';

const HEADER = 'import socket';

export class Transcript {
  #code;
  #status;
  /** The three parts of the code, in order: imports, helper functions, lines. */
  #imports;
  #helpers;
  #lines;
  /** @type {Set<string>} the imports and helpers already written */
  #defined = new Set();

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
   * defining what they need.
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
      const cls = line.startsWith('#') ? 'py-line py-comment' : 'py-line';
      this.#lines.append(h('span', { class: cls, dataset: { seq } }, line + '\n'));
    }
    const pre = this.#code.parentElement;
    pre.scrollTop = pre.scrollHeight;
  }

  /** Starts over with just the import. */
  reset() {
    this.#defined.clear();
    this.#imports = h('span', { class: 'py-imports' }, h('span', { class: 'py-line' }, HEADER + '\n'));
    this.#helpers = h('span', { class: 'py-helpers' });
    this.#lines = h('span', { class: 'py-lines' });
    this.#code.replaceChildren(this.#imports, this.#helpers, this.#lines);
  }

  /** Marks a definition as written; false if it already was. */
  #define(key) {
    if (this.#defined.has(key)) return false;
    this.#defined.add(key);
    return true;
  }

  /** @returns {string} the whole transcript as Python source */
  text() {
    return this.#code.textContent;
  }

  /** Copies the transcript and says how it went. */
  copy() {
    return copyText(this.text(), this.#code, this.#status);
  }
}
