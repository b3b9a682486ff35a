// exercise.js — entry point of an exercise page: starts the embedded
// workbench, reveals the hints one at a time, and runs the exercise's check
// (the `check` op) from the Check form, showing its progress and verdict.
// The check panel is a view of the session's log like everything else: after
// a reload it shows the last check of this exercise again, and a check still
// running can be cancelled.
//
// DOM contract (stable; browser tests rely on it):
//
//   #exercise[data-exercise="<id>"][data-role="server|client"]
//                                   root of the page
//   #workbench[data-embedded]       the embedded workbench (workbench.js's
//                                   own contract applies inside it)
//   ol#hints li[data-hint="N"]      the hints, hidden until revealed;
//   button#next-hint                reveals the next one (hints.js)
//   form#check-form[data-role][data-exercise]
//     select#check-sock             server role: the workbench's bound or
//                                   listening sockets (option value: the
//                                   handle); picking one fills host and port
//                                   from its address (the wildcard becomes
//                                   loopback)
//     input#check-host input#check-port
//                                   the target (server role) or where the
//                                   checker listens (client role; port 0:
//                                   any free port)
//     input#check-by-hand           "I answer by hand": the checker waits
//                                   BY_HAND_WAIT for each reply (reply_wait),
//                                   within BY_HAND_LIMIT in all
//     button#check-run              Check (disabled while a check runs)
//     button#check-cancel           cancels the running check
//   section#check[data-state]       idle | running | pass | fail | cancelled
//                                   | error (the check did not run)
//   #check-status[data-state]       the same, in words ("Checking… step 2:
//                                   datagram 2", "✓ Passed", "✗ Failed", …)
//   #check-listening                client role, while the checker waits:
//     [data-listen-addr]            where it listens, e.g. ('127.0.0.1', 41234)
//     [data-listen-python]          the Python line that connects there
//   #check-verdict[data-state]      the last check's verdict (checkview.js):
//     .verdict-head                 "✓ Passed: …" | "✗ Failed at step N (name)"
//     dl.failed-step[data-n] dd[data-field="did|expected|received|advice"]
//     ol.verdict-steps li[data-n][data-pass]
//     details.verdict-text pre      the verdict as the terminal prints it
//   ol#check-events li.check-event[data-event][data-n][data-pass]
//                                   the running (or last) check's messages
//   code#check-cli[data-cli]        the terminal command; the form's address
//                                   is appended to data-cli

import { start } from './workbench.js';
import { h } from './dom.js';
import { pyAddr } from './python.js';
import { checkEventItem, verdictView } from './checkview.js';
import { setupHints } from './hints.js';
import { t } from './i18n.js';

const TYPE_NAMES = { SOCK_STREAM: 'TCP', SOCK_DGRAM: 'UDP' };
/** Where to reach a socket bound to the wildcard address, by family. */
const LOOPBACK = { AF_INET: '127.0.0.1', AF_INET6: '::1' };
const WILDCARD = new Set(['', '0.0.0.0', '::']);
const IDLE_TEXT = t('ex.idle');
/** A check answered by hand: seconds per reply, and for the whole check. */
const BY_HAND_WAIT = 60;
const BY_HAND_LIMIT = 600;
const STATE_TEXT = { pass: t('ex.state.pass'), fail: t('check.failed'), cancelled: t('check.cancelled'), error: t('ex.state.error') };

/** @param {HTMLElement} page */
function main(page) {
  const byId = (id) => document.getElementById(id);
  const exercise = page.dataset.exercise;
  const role = page.dataset.role;
  const form = /** @type {HTMLFormElement} */ (byId('check-form'));
  const host = /** @type {HTMLInputElement} */ (byId('check-host'));
  const port = /** @type {HTMLInputElement} */ (byId('check-port'));
  const sockSelect = /** @type {HTMLSelectElement|null} */ (byId('check-sock'));
  const byHand = /** @type {HTMLInputElement} */ (byId('check-by-hand'));
  const run = /** @type {HTMLButtonElement} */ (byId('check-run'));
  const cancel = /** @type {HTMLButtonElement} */ (byId('check-cancel'));
  const panel = byId('check');
  const status = byId('check-status');
  const listening = byId('check-listening');
  const verdict = byId('check-verdict');
  const events = byId('check-events');
  const cli = byId('check-cli');

  const hintButton = byId('next-hint');
  if (hintButton) setupHints(/** @type {HTMLButtonElement} */ (hintButton), byId('hints'));

  /** @type {Map<string, object>} the last `socket` message of each workbench socket */
  const sockets = new Map();
  let socketsShown = '';
  /** The id of the check the panel shows. */
  let current = null;

  const setState = (state, words) => {
    panel.dataset.state = state;
    status.dataset.state = state;
    status.textContent = words;
    run.disabled = state === 'running';
    cancel.hidden = state !== 'running';
    cancel.disabled = false;
  };

  /** Shows the check with this id from its start. */
  const begin = (id) => {
    current = id;
    events.replaceChildren();
    verdict.hidden = true;
    verdict.replaceChildren();
    listening.hidden = true;
    setState('running', t('ex.checking'));
  };

  const showListening = (addr) => {
    const to = [...addr];
    if (WILDCARD.has(to[0])) to[0] = String(to[0]).includes(':') ? '::1' : '127.0.0.1';
    listening.querySelector('[data-listen-addr]').textContent = pyAddr(addr);
    listening.querySelector('[data-listen-python]').textContent = `s = socket.create_connection(${pyAddr(to.slice(0, 2))})`;
    listening.hidden = false;
  };

  const onCheck = (msg) => {
    if (msg.id !== current) begin(msg.id);
    events.append(checkEventItem(msg));
    if (msg.event === 'step') status.textContent = t('ex.checking.step', { n: msg.n, text: msg.text });
    if (msg.event === 'listening' && Array.isArray(msg.addr)) showListening(msg.addr);
    if (msg.event === 'step_done' && msg.n === 1) listening.hidden = true;
  };

  const onResult = (msg) => {
    if (msg.id !== current) begin(msg.id); // refused at once: no waiting came
    listening.hidden = true;
    const { state, children } = verdictView(msg);
    verdict.replaceChildren(...children);
    verdict.dataset.state = state;
    verdict.hidden = false;
    setState(state, STATE_TEXT[state]); // the verdict below says the rest
  };

  /** Whether a message is about a check of this page's exercise. */
  const mine = (msg) => (msg.exercise ?? msg.request?.exercise) === exercise;

  const apply = (msg) => {
    switch (msg.kind) {
      case 'socket':
        sockets.set(msg.sock, msg);
        break;
      case 'snapshot':
        sockets.clear();
        for (const s of msg.sockets ?? []) sockets.set(s.sock, s);
        for (const p of msg.pending ?? []) if (p.op === 'check' && mine(p)) begin(p.id);
        break;
      case 'waiting':
        if (msg.op === 'check' && mine(msg)) begin(msg.id);
        break;
      case 'check':
        if (mine(msg)) onCheck(msg);
        break;
      case 'result':
        if (msg.op === 'check' && mine(msg)) onResult(msg);
        break;
      default:
        break;
    }
  };

  /** The server role's socket picker: sockets with an address to check. */
  const refreshSockets = () => {
    if (!sockSelect) return;
    const usable = [...sockets.values()].filter((s) => (s.state === 'BOUND' || s.state === 'LISTENING')
      && Array.isArray(s.laddr) && s.laddr[1] > 0);
    const label = (s) => `${s.sock} · ${TYPE_NAMES[s.type] ?? s.type} · ${pyAddr(s.laddr)} · ${s.state}`;
    const shown = usable.map(label).join('\n');
    if (shown === socketsShown) return; // leave an open picker alone
    socketsShown = shown;
    const chosen = sockSelect.value;
    sockSelect.replaceChildren(sockSelect.options[0], ...usable.map((s) => h('option', { value: s.sock }, label(s))));
    sockSelect.value = usable.some((s) => s.sock === chosen) ? chosen : '';
  };

  const updateCli = () => {
    const hostText = host.value.trim() || '127.0.0.1';
    const portText = port.value.trim() || 'PORT';
    cli.textContent = `${cli.dataset.cli}${hostText.includes(':') ? `[${hostText}]` : hostText}:${portText}`;
  };

  const reset = () => {
    sockets.clear();
    current = null;
    events.replaceChildren();
    verdict.hidden = true;
    verdict.replaceChildren();
    listening.hidden = true;
    setState('idle', IDLE_TEXT);
    refreshSockets();
  };

  const bench = start(byId('workbench'), {
    onMessages: (msgs) => {
      for (const m of msgs) apply(m);
      refreshSockets();
    },
    onReset: reset,
  });

  sockSelect?.addEventListener('change', () => {
    const s = sockets.get(sockSelect.value);
    if (!s || !Array.isArray(s.laddr)) return;
    host.value = WILDCARD.has(s.laddr[0]) ? LOOPBACK[s.family] ?? '127.0.0.1' : s.laddr[0];
    port.value = String(s.laddr[1]);
    updateCli();
  });
  form.addEventListener('input', (ev) => {
    if (ev.target === byHand) return;
    if (sockSelect && ev.target !== sockSelect) sockSelect.value = ''; // a typed address is no socket's
    updateCli();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const addr = [host.value.trim(), Number(port.value)];
    const args = { exercise, [role === 'client' ? 'listen' : 'target']: addr };
    if (byHand.checked) Object.assign(args, { reply_wait: BY_HAND_WAIT, timeout: BY_HAND_LIMIT });
    bench.conn.request('check', args);
    run.disabled = true; // until its waiting or result comes
  });
  cancel.addEventListener('click', () => {
    if (current == null) return;
    bench.conn.request('cancel', { target: current });
    cancel.disabled = true;
  });

  setState('idle', IDLE_TEXT);
  updateCli();
}

const page = document.getElementById('exercise');
if (page) main(page);
