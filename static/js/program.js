// program.js — the program editor (/p/ID, /examples/SLUG/NAME): the code
// with line numbers (Tab inserts four spaces), Run/Stop over the page's own
// WebSocket session (the run, stop and input ops; output and exit
// messages), an input line for the program's input(), and Share (POST
// /share, then the link).
//
// DOM contract (stable; browser tests rely on it):
//
//   #program[data-ws][data-name][data-shared][data-share-url]
//                              root; data-name is the name the program runs under
//   textarea#editor            the code; pre#editor-lines its line numbers
//   input#program-args         arguments, split on spaces
//   button#program-run         Run: disabled until the hello says the server
//                              runs programs (hello.programs true); otherwise
//                              its title and #program-status give the reason
//   button#program-stop        stops the running program
//   button#program-share       Share; p#share-link a#share-url shows the link
//   #program-status[data-state] connecting | ready | unavailable | running |
//                              exited | error, with the state in words
//   pre#program-output         the program's output; each piece a
//                              span[data-stream="stdout|stderr"], the exit a
//                              span[data-exit] ("exit code 0", or the reason
//                              and the limit that was hit)
//   form#program-input input#program-stdin
//                              a line typed here goes to the program's stdin

import { Connection, Status, wsURL } from './conn.js';
import { h } from './dom.js';
import { runLang, server, t } from './i18n.js';

const INDENT = '    ';
const NO_PROGRAMS = t('program.noprograms');

/** @param {HTMLElement} root */
function main(root) {
  const byId = (id) => document.getElementById(id);
  const editor = /** @type {HTMLTextAreaElement} */ (byId('editor'));
  const lines = byId('editor-lines');
  const args = /** @type {HTMLInputElement} */ (byId('program-args'));
  const run = /** @type {HTMLButtonElement} */ (byId('program-run'));
  const stop = /** @type {HTMLButtonElement} */ (byId('program-stop'));
  const share = /** @type {HTMLButtonElement} */ (byId('program-share'));
  const status = byId('program-status');
  const output = byId('program-output');
  const inputForm = /** @type {HTMLFormElement} */ (byId('program-input'));
  const stdin = /** @type {HTMLInputElement} */ (byId('program-stdin'));
  const send = /** @type {HTMLButtonElement} */ (byId('program-send'));

  /** Whether the server runs programs (from the hello). */
  let canRun = false;
  /** The request id of the pending run, and the program it started. */
  let runId = null;
  let program = null;

  const setStatus = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  const running = (on) => {
    run.disabled = on || !canRun;
    stop.disabled = !on;
    stdin.disabled = send.disabled = !on;
  };

  const renumber = () => {
    const n = editor.value.split('\n').length - (editor.value.endsWith('\n') ? 1 : 0);
    lines.textContent = Array.from({ length: Math.max(n, 1) }, (_, i) => i + 1).join('\n');
  };
  editor.addEventListener('input', renumber);
  editor.addEventListener('scroll', () => { lines.scrollTop = editor.scrollTop; });
  editor.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab' || ev.shiftKey || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    ev.preventDefault();
    editor.setRangeText(INDENT, editor.selectionStart, editor.selectionEnd, 'end');
    renumber();
  });

  const conn = new Connection(wsURL(root.dataset.ws), {
    onHello: (hello) => {
      const why = programsUnavailable(hello);
      canRun = why === '';
      run.title = why;
      // A hello while a run is starting (the connection came back) leaves
      // it be: its result still comes, resumed, and enables the input box.
      if (!program && runId == null) {
        running(false);
        if (canRun) setStatus('ready', t('program.ready'));
        else setStatus('unavailable', why);
      }
    },
    onMessages: (msgs) => msgs.forEach(onMessage),
    onStatus: (state, detail) => {
      if (state === Status.RECONNECTING) setStatus('connecting', t('wb.status.reconnecting'));
      else if (state === Status.REFUSED) setStatus('error', detail?.message ?? t('program.refused'));
    },
  });

  /** @param {any} m */
  function onMessage(m) {
    if (m.kind === 'result' && m.id === runId && m.id != null) {
      runId = null;
      if (!m.ok) {
        running(false);
        setStatus('error', server(m.error?.message ?? t('program.nostart')));
        output.append(h('span', { dataset: { stream: 'stderr' } }, server(m.error?.message ?? t('program.runfailed')) + '\n'));
        return;
      }
      program = m.program;
      running(true);
      setStatus('running', t('program.runningas', { program }));
    } else if (m.kind === 'output' && program && m.program === program) {
      output.append(h('span', { dataset: { stream: m.stream } }, m.text));
    } else if (m.kind === 'exit' && program && m.program === program) {
      const text = exitText(m);
      output.append(h('span', { dataset: { exit: String(m.code ?? '') } }, `\n[${text}]\n`));
      setStatus('exited', text);
      program = null;
      running(false);
    }
  }

  run.addEventListener('click', () => {
    output.textContent = '';
    const argv = args.value.trim() === '' ? [] : args.value.trim().split(/\s+/);
    runId = conn.request('run', { code: editor.value, name: root.dataset.name, args: argv, ...runLang });
    running(true);
    setStatus('running', t('program.starting'));
  });
  stop.addEventListener('click', () => {
    if (program) conn.request('stop', { program });
  });
  inputForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!program) return;
    conn.request('input', { program, text: stdin.value + '\n' });
    output.append(h('span', { dataset: { stream: 'stdin' } }, stdin.value + '\n'));
    stdin.value = '';
  });
  share.addEventListener('click', () => shareProgram(root, editor.value, share));

  renumber();
  conn.start();
}

/**
 * Why the hello's server runs no programs, or '' when it does. The hello's
 * `programs` is true, or false with a sentence in `programs_note`.
 */
function programsUnavailable(hello) {
  if (hello.programs === true) return '';
  return server(hello.programs_note) || NO_PROGRAMS;
}

/** An exit message in words: "exit code 0", or the reason and the limit. */
function exitText(m) {
  if (m.reason) return m.limit ? `${m.reason}: ${server(m.limit)}` : t('program.ended', { reason: m.reason });
  return t('program.exitcode', { code: m.code });
}

/** Saves the code with POST /share and shows the link it got. */
async function shareProgram(root, code, button) {
  const link = document.getElementById('share-link');
  const url = /** @type {HTMLAnchorElement} */ (document.getElementById('share-url'));
  button.disabled = true;
  try {
    const resp = await fetch(root.dataset.shareUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, name: root.dataset.name }),
    });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(body.error ?? t('program.answered', { status: resp.status }));
    url.href = body.url;
    url.textContent = new URL(body.url, location.href).href;
  } catch (err) {
    url.removeAttribute('href');
    url.textContent = t('program.notshared', { why: err.message });
  } finally {
    link.hidden = false;
    button.disabled = false;
  }
}

const root = document.getElementById('program');
if (root) main(root);
