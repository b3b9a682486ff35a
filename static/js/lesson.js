// lesson.js — entry point of a lesson page: starts the embedded workbench,
// starts the lesson's peers, runs its Python cells in the session's kernel
// (cells.js), by the rules of templates/lessons/FORMAT.md, and shows what
// each printed under it.
//
// DOM contract (stable; browser tests rely on it):
//
//   #lesson[data-lesson="<slug>"]     root of the page
//   #workbench[data-embedded]         the embedded workbench (workbench.js's
//                                     own contract applies inside it)
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
//                                     <script id="lesson-peers"> (JSON); .lesson-peers
//                                     [data-state] is running | ok | fail
//     li.peer-line[data-state]        one per peer: sent | ok | fail
//       .mark .line-request .line-why the ✓/✗, the peer's name and address,
//                                     and why it failed
//       ol.inline-log .log-entry      its spawn's result, drawn by render.js
//                                     as in the event log
//   .py-block button[data-copy-code] [data-copy-status]
//                                     Python listings and their Copy buttons
//   <script id="lesson-progress">     JSON {url, passed}: where each finished
//                                     run of a cell is posted (progress.js)
//                                     and the cells that have passed
//
// Payload and server text go into the DOM as text (dom.js, textContent).

import { start } from './workbench.js';
import { renderEntry } from './render.js';
import { h } from './dom.js';
import { LessonProgress } from './progress.js';
import { copyText } from './copy.js';
import { server, t } from './i18n.js';

const MARKS = { sent: '…', ok: '✓', fail: '✗' };
/** How long a peer's spawn may take to answer (ms). */
const PEER_WAIT = 10000;

/** One peer's line under "Start the peers": its name, then its result. */
function peerLine(label) {
  const mark = h('span', { class: 'mark', 'aria-hidden': 'true' }, MARKS.sent);
  const why = h('span', { class: 'line-why' });
  const entries = h('ol', { class: 'log inline-log' });
  const el = h('li', { class: 'peer-line', dataset: { state: 'sent' } },
    h('p', { class: 'line-head' }, mark, ' ', h('code', { class: 'line-request' }, label), ' ', why),
    entries);
  /** Shows the spawn's result (null: none came). */
  const show = (result, request) => {
    const ok = result?.ok === true;
    el.dataset.state = ok ? 'ok' : 'fail';
    mark.textContent = MARKS[el.dataset.state];
    why.textContent = ok ? '' : (result ? server(result.error?.message) ?? t('lesson.failed') : t('lesson.noresult', { s: PEER_WAIT / 1000 }));
    const entry = result && renderEntry(result, { request });
    entries.replaceChildren(...(entry ? [entry] : []));
  };
  return { el, show };
}

/** @param {HTMLElement} page */
function main(page) {
  const slug = page.dataset.lesson;
  const progress = LessonProgress.fromPage(slug);
  let busy = false;

  const cellSections = /** @type {HTMLElement[]} */ ([...page.querySelectorAll('section.cell[data-cell]')]);
  /** @type {Map<number, (result: object|null) => void>} spawns awaiting their results, by request id */
  const awaited = new Map();
  const bench = start(document.getElementById('workbench'), {
    onMessages: (msgs) => {
      for (const msg of msgs) {
        if (msg.kind === 'result' && awaited.has(msg.id)) awaited.get(msg.id)(msg);
      }
    },
    onReset: () => {
      for (const done of [...awaited.values()]) done(null);
    },
    onCell: (run) => drawCell(run),
    onHello: (hello) => {
      // Cells need Python on the server: without it Run is disabled, and
      // the first cell says why.
      const off = hello.programs === false;
      for (const b of page.querySelectorAll('[data-run-cell], [data-run-cells-above]')) b.disabled = off;
      const note = cellSections[0]?.querySelector('[data-cell-status]');
      if (note && off) note.textContent = server(hello.programs_note) || t('lesson.nopython');
    },
  });
  const setBusy = (on) => {
    busy = on;
    for (const b of page.querySelectorAll('[data-start-peers]')) b.disabled = on;
  };

  /** Sends a request; resolves to its result, or null when none came in time. */
  const resultOf = (op, args) => new Promise((resolve) => {
    const id = bench.conn.request(op, args);
    const timer = setTimeout(() => done(null), PEER_WAIT);
    const done = (result) => {
      clearTimeout(timer);
      awaited.delete(id);
      resolve(result);
    };
    awaited.set(id, done);
  });

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
      status.textContent = t(`lesson.state.${run.state}`);
      if (run.state === 'running' || run.state === 'waiting') bench.cards.highlight(run.sockets);
      return;
    }
    const ok = passed(section, run);
    section.dataset.state = ok ? 'ok' : 'fail';
    if (ok) {
      section.dataset.done = 'true';
      status.textContent = run.state === 'ok' ? t('lesson.done') : t('lesson.raisedok', { name: section.dataset.raises });
    } else {
      if (run.broken) status.textContent = `✗ ${run.error}`;
      else if (run.state === 'fail') status.textContent = t('lesson.raised', { error: run.error });
      else status.textContent = t('lesson.noexception');
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

  /** Spawns the lesson's peers one after the other; each shows its result. */
  const startPeers = async (button) => {
    const data = document.getElementById('lesson-peers');
    const peers = data ? JSON.parse(data.textContent) : [];
    // Each peer is shown by its name and address, not as a request.
    const where = (addr) => (Array.isArray(addr) ? `${addr[0] === '' ? '*' : addr[0]}:${addr[1]}` : '');
    const list = document.getElementById('peer-results');
    const box = button.closest('.lesson-peers');
    box.dataset.state = 'running';
    list.replaceChildren();
    let ok = true;
    for (const request of peers) {
      const line = peerLine(t('lesson.peeron', { peer: request.peer, addr: where(request.addr) }));
      list.append(line.el);
      const result = await resultOf('spawn', request);
      line.show(result, { ...request, op: 'spawn' });
      ok = ok && result?.ok === true;
    }
    box.dataset.state = ok ? 'ok' : 'fail';
  };

  page.addEventListener('click', (ev) => {
    const button = /** @type {Element} */ (ev.target).closest('button');
    if (!button || button.closest('#workbench')) return;
    const cell = button.closest('section.cell');
    if (button.hasAttribute('data-run-cell') && cell) {
      runCell(cell);
    } else if (button.hasAttribute('data-run-cells-above') && cell) {
      runCellsAbove(cell);
    } else if (button.hasAttribute('data-reset-cell') && cell) {
      const area = /** @type {HTMLTextAreaElement} */ (cell.querySelector('[data-cell-code]'));
      area.value = area.defaultValue;
    } else if (button.hasAttribute('data-start-peers')) {
      exclusive(() => startPeers(button));
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
    }
  });

  for (const c of cellSections) {
    if (progress.passed(c.dataset.cell)) c.dataset.done = 'true';
  }
  progress.sync(); // passes kept in this browser while the server was away
  const target = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = id.startsWith('cell-') ? document.getElementById(id) : null;
    for (const s of cellSections) s.classList.toggle('targeted', s === el);
    if (el?.matches('section.cell')) el.scrollIntoView({ block: 'start' });
  };
  addEventListener('hashchange', target);
  target();
}

const page = document.getElementById('lesson');
if (page) main(page);
