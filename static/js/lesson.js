// lesson.js — entry point of a lesson page: starts the embedded workbench,
// runs the lesson's Python cells in the session's kernel (cells.js) or, in
// lessons still in the old format, its JSON steps on the session
// (runner.js), by the rules of templates/lessons/FORMAT.md, and shows what
// each printed (or each line's result) under it.
//
// DOM contract (stable; browser tests rely on it):
//
//   #lesson[data-lesson="<slug>"]     root of the page
//   #workbench[data-embedded]         the embedded workbench (workbench.js's
//                                     own contract applies inside it)
//   section.step#step-<id>[data-step="<id>"][data-state]
//                                     one runnable step; data-state is
//                                     idle | running | ok | fail; data-done
//                                     ="true" once it has passed (saved on
//                                     the server, or in this browser when
//                                     the server could not take it: see
//                                     progress.js); .targeted when
//                                     #step-<id> is the page's fragment
//     textarea[data-step-lines]       its requests, one JSON object per line,
//                                     editable (Ctrl+Enter runs the step);
//                                     defaultValue is the lesson's text
//     [data-step-error]               a line that is not a valid request
//     [data-step-status]              "not run yet" | "running…" | "✓ passed" |
//                                     "✗ line N failed"
//     button[data-run-step]           Run
//     button[data-run-above]          Run all steps above (in order; stops at
//                                     the first step that fails)
//     button[data-reset-step]         back to the lesson's text
//     ol[data-step-results] li.step-line[data-line="N"][data-state]
//                                     one per line of the last run: N is the
//                                     line in the textarea; data-state is
//                                     pending | sent | waiting | ok | fail |
//                                     skipped
//       .mark .line-request .line-why the ✓/✗, the line as written, and what
//                                     did not match
//       ol.inline-log .log-entry      the line's waiting or result message,
//                                     drawn by render.js as in the event log
//                                     (a waiting one has its Cancel button)
//   section.cell#cell-<id>[data-cell="<id>"][data-state][data-raises][data-waits][data-ends]
//                                     one Python cell (cells.js); data-state is
//                                     idle | starting | queued | running |
//                                     waiting | ok | fail (ok: it ended as the
//                                     lesson wants: without an exception, or
//                                     with the one data-raises names);
//                                     data-done="true" once it has passed
//     textarea[data-cell-code]        its code, editable (Shift+Enter or
//                                     Ctrl+Enter runs it); defaultValue is the
//                                     lesson's text
//     [data-cell-status]              "not run yet" | "starting Python…" |
//                                     "queued…" | "running…" | "waiting…" |
//                                     "✓ done" | "✓ raised X, as the lesson
//                                     expects" | "✗ raised X" | "✗ why"
//     button[data-run-cell]           Run
//     button[data-run-cells-above]    Run all cells above (in order, each once
//                                     the one before ended, or waits when it
//                                     has data-waits, and the cells its
//                                     data-ends names ended; stops at a failure)
//     button[data-reset-cell]         back to the lesson's code
//     pre[data-cell-output]           what the cell printed, span.out-stdout /
//                                     span.out-stderr pieces, in order
//   the workbench's cards of the sockets a running cell's code names have
//   class .highlighted
//   button#start-peers[data-start-peers], ol#peer-results
//                                     lessons with peers: one spawn per peer of
//                                     <script id="lesson-peers"> (JSON)
//   .py-block button[data-copy-code] [data-copy-status]
//                                     Python listings and their Copy buttons
//   <script id="lesson-progress">     JSON {url, passed}: where each finished
//                                     run of a step is posted (progress.js)
//                                     and the steps that have passed
//
// Payload and server text go into the DOM as text (dom.js, textContent).

import { start } from './workbench.js';
import { renderEntry } from './render.js';
import { h } from './dom.js';
import { Runner } from './runner.js';
import { definedNames, parseStep } from './steps.js';
import { LessonProgress } from './progress.js';
import { copyText } from './copy.js';

const MARKS = { pending: '', sent: '…', waiting: '…', ok: '✓', fail: '✗', skipped: '–' };
const STATE_WORDS = { pending: 'not sent', sent: 'sent', waiting: 'waiting', ok: 'passed', fail: 'failed', skipped: 'skipped' };

/** The view of one line run under its step. */
class LineView {
  /** @param {import('./runner.js').LineRun} run */
  constructor(run, socketOf) {
    this.run = run;
    this.socketOf = socketOf;
    this.shown = null; // the message whose entry is shown
    this.mark = h('span', { class: 'mark', 'aria-hidden': 'true' });
    this.words = h('span', { class: 'visually-hidden' });
    this.why = h('span', { class: 'line-why' });
    this.entries = h('ol', { class: 'log inline-log' });
    this.el = h('li', { class: 'step-line', dataset: { line: run.line.line } },
      h('p', { class: 'line-head' }, this.mark, this.words, ' ',
        h('code', { class: 'line-request' }, run.line.raw), ' ', this.why),
      this.entries);
    this.update();
  }

  update() {
    const { run } = this;
    this.el.dataset.state = run.state;
    this.mark.textContent = MARKS[run.state] ?? '';
    this.words.textContent = `${STATE_WORDS[run.state] ?? run.state}: `;
    this.why.textContent = run.why;
    const msg = run.result ?? run.waiting;
    if (msg && msg !== this.shown) {
      this.shown = msg;
      const entry = renderEntry(msg, { request: msg.request ?? run.request, socket: this.socketOf(msg.sock) });
      if (run.late) this.why.textContent = `${run.why} — then its result came:`;
      this.entries.replaceChildren(...(entry ? [entry] : []));
    }
  }
}

/** @param {HTMLElement} page */
function main(page) {
  const slug = page.dataset.lesson;
  const progress = LessonProgress.fromPage(slug);
  const steps = /** @type {HTMLElement[]} */ ([...page.querySelectorAll('section.step[data-step]')]);
  /** @type {WeakMap<object, LineView>} */
  const views = new WeakMap();
  let busy = false;

  const hintFor = (name) => {
    for (const s of steps) {
      if (definedNames(s.querySelector('[data-step-lines]').value).includes(name)) {
        return `run the step “${s.querySelector('.step-title').textContent.trim()}” first`;
      }
    }
    return '';
  };
  const cellSections = /** @type {HTMLElement[]} */ ([...page.querySelectorAll('section.cell[data-cell]')]);
  const runner = new Runner((op, args) => bench.conn.request(op, args), (run) => views.get(run)?.update(), hintFor);
  const bench = start(document.getElementById('workbench'), {
    onMessages: (msgs) => runner.onMessages(msgs),
    onReset: () => runner.reset(),
    onCell: (run) => drawCell(run),
    onHello: (hello) => {
      // Cells need Python on the server: without it Run is disabled, and
      // the first cell says why.
      const off = hello.programs === false;
      for (const b of page.querySelectorAll('[data-run-cell], [data-run-cells-above]')) b.disabled = off;
      const note = cellSections[0]?.querySelector('[data-cell-status]');
      if (note && off) note.textContent = hello.programs_note || 'Python does not run on this server';
    },
  });
  const socketOf = (sock) => bench.cards.get(sock);

  const setBusy = (on) => {
    busy = on;
    for (const b of page.querySelectorAll('[data-run-step], [data-run-above], [data-start-peers]')) b.disabled = on;
  };

  /** Runs lines with their views in list; resolves to whether all passed. */
  const runLines = (lines, list) => runner.run(lines, (runs) => {
    list.replaceChildren(...runs.map((run) => {
      const view = new LineView(run, socketOf);
      views.set(run, view);
      return view.el;
    }));
  });

  /** Runs one step from its textarea's text. */
  const runStep = async (section) => {
    const status = section.querySelector('[data-step-status]');
    const error = section.querySelector('[data-step-error]');
    const list = section.querySelector('[data-step-results]');
    const { lines, error: bad } = parseStep(section.querySelector('[data-step-lines]').value);
    if (bad) {
      error.textContent = bad;
      error.hidden = false;
      section.dataset.state = 'fail';
      status.textContent = '✗ fix the requests';
      return false;
    }
    error.hidden = true;
    error.textContent = '';
    section.dataset.state = 'running';
    status.textContent = 'running…';
    const ok = await runLines(lines, list);
    section.dataset.state = ok ? 'ok' : 'fail';
    progress.record(section.dataset.step, ok); // in the background
    if (ok) {
      status.textContent = '✓ passed';
      section.dataset.done = 'true';
    } else {
      const failed = list.querySelector('.step-line[data-state="fail"]');
      status.textContent = failed ? `✗ line ${failed.dataset.line} failed` : '✗ failed';
    }
    return ok;
  };

  /** @type {Map<string, import('./cells.js').CellRun>} each cell's latest run */
  const latest = new Map();

  /** Did the run end as the lesson wants? */
  const passed = (section, run) => {
    const raises = section.dataset.raises;
    if (!raises) return run.state === 'ok';
    return run.state === 'fail' && (run.error === raises || run.error.startsWith(`${raises}:`));
  };

  /** Draws a cell's latest run: its state, status and output. */
  const drawCell = (run) => {
    if (latest.get(run.cell) !== run) return;
    const section = document.getElementById(`cell-${run.cell}`);
    if (!section) return;
    const status = section.querySelector('[data-cell-status]');
    const out = section.querySelector('[data-cell-output]');
    out.replaceChildren(...run.output.map((o) => h('span', { class: `out-${o.stream}` }, o.text)));
    out.hidden = run.output.length === 0;
    if (!run.done) {
      section.dataset.state = run.state;
      status.textContent = { starting: 'starting Python…', queued: 'queued…', running: 'running…', waiting: 'waiting…' }[run.state];
      if (run.state === 'running' || run.state === 'waiting') bench.cards.highlight(run.sockets);
      return;
    }
    const ok = passed(section, run);
    section.dataset.state = ok ? 'ok' : 'fail';
    if (ok) {
      section.dataset.done = 'true';
      status.textContent = run.state === 'ok' ? '✓ done' : `✓ raised ${section.dataset.raises}, as the lesson expects`;
    } else {
      if (run.broken) status.textContent = `✗ ${run.error}`;
      else if (run.state === 'fail') status.textContent = `✗ raised ${run.error}`;
      else status.textContent = '✗ ended without the exception the lesson expects';
    }
    bench.cards.highlight(run.sockets);
  };

  /** Runs one cell's code; resolves to its run once it ended or waits. */
  const runCell = (section) => {
    const area = /** @type {HTMLTextAreaElement} */ (section.querySelector('[data-cell-code]'));
    const run = bench.kernel.run(section.dataset.cell, area.value);
    latest.set(run.cell, run);
    drawCell(run);
    run.finished.promise.then((r) => progress.record(r.cell, passed(section, r))); // in the background
    return run;
  };

  /** Runs the cells above section in order, then stops at a failure. */
  const runCellsAbove = async (section) => {
    for (const cell of cellSections.slice(0, cellSections.indexOf(section))) {
      const run = runCell(cell);
      // As the lesson test does: go on once the cell ended, or, for a cell
      // the lesson means to wait, once it waits.
      await (cell.hasAttribute('data-waits') ? Promise.race([run.finished.promise, untilWaiting(run)]) : run.finished.promise);
      // And once the waiting cells this one ends have ended.
      for (const id of (cell.dataset.ends ?? '').split(' ').filter(Boolean)) await latest.get(id)?.finished.promise;
      if (run.done && !passed(cell, run)) {
        cell.scrollIntoView({ block: 'start' });
        return;
      }
    }
  };

  /** Resolves once the run waits (blocks), polling its state per frame. */
  const untilWaiting = (run) => new Promise((resolve) => {
    const look = () => (run.state === 'waiting' || run.done ? resolve(run) : requestAnimationFrame(look));
    look();
  });

  const exclusive = async (fn) => {
    if (busy) return;
    setBusy(true);
    try {
      await fn();
    } finally {
      setBusy(false);
    }
  };

  const startPeers = async (button) => {
    const data = document.getElementById('lesson-peers');
    const peers = data ? JSON.parse(data.textContent) : [];
    // Each peer is shown by its name and address, not as a request.
    const where = (addr) => (Array.isArray(addr) ? `${addr[0] === '' ? '*' : addr[0]}:${addr[1]}` : '');
    const lines = peers.map((request, i) => ({ request, line: i + 1, raw: `${request.peer} on ${where(request.addr)}` }));
    const list = document.getElementById('peer-results');
    const box = button.closest('.lesson-peers');
    box.dataset.state = 'running';
    const ok = await runLines(lines, list);
    box.dataset.state = ok ? 'ok' : 'fail';
  };

  page.addEventListener('click', (ev) => {
    const button = /** @type {Element} */ (ev.target).closest('button');
    if (!button || button.closest('#workbench')) return;
    const section = button.closest('section.step');
    const cell = button.closest('section.cell');
    if (button.hasAttribute('data-run-cell') && cell) {
      runCell(cell);
    } else if (button.hasAttribute('data-run-cells-above') && cell) {
      runCellsAbove(cell);
    } else if (button.hasAttribute('data-reset-cell') && cell) {
      const area = /** @type {HTMLTextAreaElement} */ (cell.querySelector('[data-cell-code]'));
      area.value = area.defaultValue;
    } else if (button.hasAttribute('data-run-step') && section) {
      exclusive(() => runStep(section));
    } else if (button.hasAttribute('data-run-above') && section) {
      exclusive(async () => {
        for (const s of steps.slice(0, steps.indexOf(section))) {
          if (!(await runStep(s))) {
            s.scrollIntoView({ block: 'start' });
            return;
          }
        }
      });
    } else if (button.hasAttribute('data-reset-step') && section) {
      const area = /** @type {HTMLTextAreaElement} */ (section.querySelector('[data-step-lines]'));
      area.value = area.defaultValue;
      section.querySelector('[data-step-error]').hidden = true;
    } else if (button.hasAttribute('data-start-peers')) {
      exclusive(() => startPeers(button));
    } else if (button.dataset.cancel) {
      // The Cancel button of a waiting request shown under its step.
      bench.conn.request('cancel', { target: Number(button.dataset.cancel) });
      button.disabled = true;
    } else if (button.hasAttribute('data-copy-code')) {
      const block = button.closest('.py-block');
      const code = block?.querySelector('code');
      if (code) copyText(code.textContent, code, block.querySelector('[data-copy-status]'));
    }
  });

  page.addEventListener('keydown', (ev) => {
    const area = /** @type {Element} */ (ev.target);
    if (ev.key === 'Enter' && (ev.shiftKey || ev.ctrlKey || ev.metaKey) && area.matches?.('[data-cell-code]')) {
      ev.preventDefault();
      runCell(area.closest('section.cell'));
      return;
    }
    if (ev.key !== 'Enter' || !(ev.ctrlKey || ev.metaKey) || !area.matches?.('[data-step-lines]')) return;
    ev.preventDefault();
    exclusive(() => runStep(area.closest('section.step')));
  });

  for (const s of steps) {
    if (progress.passed(s.dataset.step)) s.dataset.done = 'true';
  }
  for (const c of cellSections) {
    if (progress.passed(c.dataset.cell)) c.dataset.done = 'true';
  }
  progress.sync(); // passes kept in this browser while the server was away
  const target = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = id.startsWith('step-') || id.startsWith('cell-') ? document.getElementById(id) : null;
    for (const s of [...steps, ...cellSections]) s.classList.toggle('targeted', s === el);
    if (el?.matches('section.step, section.cell')) el.scrollIntoView({ block: 'start' });
  };
  addEventListener('hashchange', target);
  target();
}

const page = document.getElementById('lesson');
if (page) main(page);
