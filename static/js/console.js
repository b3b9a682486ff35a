// console.js — the workbench's Python console: a prompt in the session's
// cell kernel (cells.js), the same kernel a lesson page's cells run in.
// What is typed runs as a cell; what it prints appears in the console's
// log under the code, as at Python's interactive prompt. Sockets made
// with the buttons are bound by their handle (s1, s2, …) before the code
// runs (and socket is imported); sockets made in the console are the
// session's, so they appear as cards.
//
// DOM: #console-log (the log: pre.console-entry per run, with
// .console-code and span.out-stdout / span.out-stderr pieces;
// data-state running | waiting | ok | fail), textarea#console-input.

import { h } from './dom.js';

/** How many entries the history keeps. */
const HISTORY = 200;

export class PythonConsole {
  #kernel;
  #cards;
  #log;
  #input;
  /** @type {string[]} */
  #history = [];
  #at = 0;
  /** @type {Set<string>} handles already bound in the kernel */
  #bound = new Set();
  /** @type {WeakMap<object, HTMLElement>} each run's entry */
  #entries = new WeakMap();

  /**
   * @param {HTMLElement} root the #console section
   * @param {import('./cells.js').CellKernel} kernel
   * @param {{handles: () => string[]}} cards the handles of the session's sockets
   */
  constructor(root, kernel, cards) {
    this.#kernel = kernel;
    this.#cards = cards;
    this.#log = root.querySelector('#console-log');
    this.#input = root.querySelector('#console-input');
    this.#input.addEventListener('keydown', (ev) => this.#key(ev));
  }

  /** Draws a run's change, when the run is the console's. */
  onChange(run) {
    const entry = this.#entries.get(run);
    if (!entry) return;
    entry.dataset.state = run.state;
    const out = entry.querySelector('.console-out');
    const pieces = run.output.map((o) => h('span', { class: `out-${o.stream}` }, o.text));
    if (run.broken) pieces.push(h('span', { class: 'out-stderr' }, `${run.error}\n`));
    out.replaceChildren(...pieces);
    this.#log.scrollTop = this.#log.scrollHeight;
  }

  /** The kernel is new (the session changed): nothing is bound in it. */
  reset() {
    this.#bound.clear();
  }

  /** Runs code as a console cell. */
  run(code) {
    if (!code.trim()) return;
    this.#history.push(code);
    if (this.#history.length > HISTORY) this.#history.shift();
    this.#at = this.#history.length;
    this.#bind();
    const entry = h('div', { class: 'console-entry', dataset: { state: 'starting' } },
      h('pre', { class: 'console-code' }, code.split('\n').map((l, i) => `${i ? '... ' : '>>> '}${l}`).join('\n')),
      h('pre', { class: 'console-out' }));
    this.#log.append(entry);
    const run = this.#kernel.run('console', code);
    this.#entries.set(run, entry);
    this.onChange(run);
  }

  /** Binds the sockets made elsewhere (buttons) by their handles, first. */
  #bind() {
    if (!this.#kernel.program) this.#bound.clear(); // a new kernel is coming
    const fresh = this.#cards.handles().filter((hd) => !this.#bound.has(hd));
    const first = !this.#bound.has('');
    if (!fresh.length && !first) return;
    this.#bound.add(''); // the console's "import socket" is done
    for (const hd of fresh) this.#bound.add(hd);
    const names = fresh.map((hd) => JSON.stringify(hd)).join(', ');
    this.#kernel.run('console-bind', `import socket
import socket as _sockplay_socket
for _h in (${names}${fresh.length ? ',' : ''}):
    if _h not in globals() and hasattr(_sockplay_socket.socket, "from_handle"):
        try:
            globals()[_h] = _sockplay_socket.socket.from_handle(_h)
        except OSError:
            pass
del _h`);
  }

  #key(ev) {
    const area = this.#input;
    if (ev.key === 'Enter' && !ev.shiftKey) {
      const lastLine = area.value.slice(0, area.selectionStart).split('\n').pop() ?? '';
      // A block goes on (a line ending in ":" or "\"), as at the prompt.
      if (/[:\\]\s*$/.test(lastLine)) return this.#newLine(ev, lastLine);
      ev.preventDefault();
      const code = area.value;
      area.value = '';
      area.rows = 1;
      this.run(code);
    } else if (ev.key === 'Enter') {
      this.#newLine(ev, area.value.slice(0, area.selectionStart).split('\n').pop() ?? '');
    } else if (ev.key === 'ArrowUp' && !area.value.slice(0, area.selectionStart).includes('\n')) {
      if (this.#at === 0) return;
      ev.preventDefault();
      this.#show(this.#history[--this.#at]);
    } else if (ev.key === 'ArrowDown' && !area.value.slice(area.selectionEnd).includes('\n')) {
      if (this.#at >= this.#history.length) return;
      ev.preventDefault();
      this.#at++;
      this.#show(this.#history[this.#at] ?? '');
    }
  }

  /** A new line in the input, indented like the one before (deeper after ":"). */
  #newLine(ev, lastLine) {
    ev.preventDefault();
    const indent = (lastLine.match(/^\s*/)?.[0] ?? '') + (/:\s*$/.test(lastLine) ? '    ' : '');
    this.#input.setRangeText(`\n${indent}`, this.#input.selectionStart, this.#input.selectionEnd, 'end');
    this.#input.rows = this.#input.value.split('\n').length;
  }

  #show(code) {
    this.#input.value = code;
    this.#input.rows = code.split('\n').length;
  }
}
