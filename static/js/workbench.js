// workbench.js — entry point of the workbench page: connects to the session,
// applies each message to the cards, the event log and the Python transcript
// (through the render queue, queue.js: once per animation frame, within a
// time budget, so a flood never freezes the page), and turns the learner's
// forms into requests (event delegation on the root).
//
// DOM contract (stable; browser tests rely on it):
//
//   #workbench[data-ws]           root; data-ws is the WebSocket path, joined
//                                 with the page's location (ws: or wss:);
//                                 [data-embedded] inside another page (a
//                                 lesson), whose script calls start();
//                                 data-rendered (messages applied so far)
//                                 and data-last-seq (the last one's seq),
//                                 updated once per animation frame
//   #status[data-state]           "connecting" | "live" | "reconnecting" | "refused"
//                                 (live = the resume after a connect is done)
//   #new-tcp4 #new-udp4           buttons that create sockets (inside
//   #new-tcp6 #new-udp6           form#new-socket[data-op="socket"])
//   #encoding                     session encoding select: utf-8 | gbk
//   #reset                        button of form#session-reset[data-op="reset"]:
//                                 closes the page's sockets and stops the
//                                 peers (op reset); the log stays
//   #cards[data-watch]            the cards whose kernel state the server
//                                 polls for this page (watch.js)
//   #cards .sock-card[data-sock="s1"]
//                                 one card per socket, also data-state
//                                 (CREATED … CLOSED), data-type, data-family;
//                                 .closed when closed
//     [data-field="sock|kind|state|fd|laddr|raddr|timeout|options|shutdown|listener"]
//                                 facts; laddr/raddr also carry data-host and
//                                 data-port once known
//     form[data-op="bind|listen|accept|connect|send|sendto|recv|recvfrom|
//                   settimeout|setsockopt|shutdown|getsockname|close"]
//                                 actions; inputs are named as protocol fields:
//                                 host, port, backlog, text, encoding
//                                 (utf-8|gbk|hex), bufsize, flags (checkboxes),
//                                 option, value, timeout, how
//     form button[data-op]        a second op of the same form: send form →
//                                 send|sendall; sendto form → sendto|send;
//                                 recvfrom form → recvfrom|recv; setsockopt
//                                 form → setsockopt|getsockopt; getsockname
//                                 form → getsockname|getpeername
//     .waiting-item[data-id] button[data-cancel="<id>"]
//                                 a waiting request and its Cancel button
//     [data-field="kernel"] .kernel[data-inq][data-state]
//                                 kernel state from pushed `stat` messages and
//                                 the stat button, form[data-op="stat"]
//                                 (kernel.js documents [data-stat=…] parts)
//     button[data-reset-counters] restarts the Δ of the TCP counters
//     button.opt-toggle[data-toggle-option][aria-pressed]
//                                 TCP_NODELAY | TCP_CORK | TCP_QUICKACK: one
//                                 click is setsockopt(IPPROTO_TCP, option, 0|1)
//     [data-field="stream"] .stream-map[data-sock][data-view="calls|hex"]
//                                 the stream map of the bytes this socket
//                                 received (streammap.js documents its parts:
//                                 .send-bracket[data-index], .recv-chunk
//                                 [data-start][data-end][data-sends], …);
//                                 button[data-stream-view] switches views
//     form[data-op="send_frame"]  framing (TCP): select[name="framing"]
//                                 (length|delimiter|fixed|json_header), format,
//                                 delimiter, size, header_format, header, text,
//                                 encoding; buttons send_frame | recv_frame
//     .waiting-item .frame-progress[data-id][data-phase]
//                                 a waiting recv_frame's live progress
//   #log .log-entry[data-seq][data-kind]
//                                 one per shown message, in seq order; results
//                                 and waiting entries also have data-op,
//                                 data-id, data-about (the socket handle) and
//                                 results data-ok="true|false"
//     .call .outcome              the Python call and its outcome
//     .error[data-type] .hint     a failure: "Exception: message", and the hint
//     .data .data-text .hexdump   received bytes: as text (mark.invalid for
//                                 undecodable bytes, also in the hex dump)
//                                 and as an xxd-style hex dump
//     .datagram[data-size][data-kept] one UDP datagram (.truncated with
//                                 .discarded[data-discarded]; .empty: 0 bytes)
//     .eof                        a TCP recv that returned b'' (peer closed)
//     .frame-result .frame-reads .frame-read   a recv_frame's message and reads
//     button.cancel[data-cancel]  on waiting entries until they are .done
//     .check-entry[data-event][data-pass]
//                                 a `check` message (step | listening | call |
//                                 step_done; data-pass on step_done), in the
//                                 check's own lane (.lane)
//   #lab-build #lab-teardown      forms[data-op="lab"] (lab.js documents the
//   #lab-hosts #socket-host       LAN panel and the new socket's host select)
//   #packets .pk-conv .pk-row    the packets panel (packets.js documents its
//                                 parts; #packets-absolute toggles absolute
//                                 numbers, a#capture-download the pcap);
//                                 clicking a send/sendall log entry or a
//                                 stream map's .send-bracket highlights the
//                                 segments that carried it (.pk-hl)
//   #transcript-code .py-line     the Python transcript (the newest 300 lines,
//                                 after .py-earlier[data-count], a comment
//                                 line counting the earlier ones); #copy-python
//                                 copies all of it

import { Connection, Status, wsURL } from './conn.js';
import { Cards } from './cards.js';
import { CellKernel } from './cells.js';
import { PythonConsole } from './console.js';
import { Log } from './log.js';
import { Transcript } from './transcript.js';
import { Streams } from './streams.js';
import { streamMap } from './streammap.js';
import { Kernel } from './kernel.js';
import { Watch } from './watch.js';
import { Packets } from './packets.js';
import { Lab } from './lab.js';
import { requestFromForm } from './forms.js';
import { showFraming } from './framing.js';
import { hasEntry, renderEntry } from './render.js';
import { RenderQueue } from './queue.js';
import { callExpr } from './python.js';
import { HELPERS } from './pyframing.js';
import { Program } from './pyprogram.js';
import { Attach } from './attach.js';
import { runLang, server, t } from './i18n.js';

/** How long a held transcript line waits for the result that should come before it (ms). */
const RELEASE_AFTER = 1000;

/**
 * Starts the workbench in root and returns its connection (for a page that
 * embeds the workbench, such as a lesson, to send its own requests) and its
 * cards. hooks see what the workbench sees, after it has applied it.
 * @param {HTMLElement} root
 * @param {{onMessages?: (msgs: object[]) => void, onReset?: () => void,
 *          onStatus?: (state: string) => void, onHello?: (hello: object) => void,
 *          onCell?: (run: import('./cells.js').CellRun) => void}} [hooks]
 * hooks.onCell sees every change of a run of the session's Python kernel.
 * @returns {{conn: Connection, cards: Cards, kernel: CellKernel}}
 */
export function start(root, hooks = {}) {
  const byId = (id) => document.getElementById(id);
  const cards = new Cards(byId('cards'), byId('sock-card-template'), byId('no-sockets'));
  const log = new Log(byId('log-scroll'), byId('log'));
  const transcript = new Transcript(byId('transcript-code'), byId('copy-status'));
  const program = new Program();
  /** Adds pyprogram.js's lines to the transcript. */
  const addLines = (lines) => {
    for (const { text, seq, needs } of lines) {
      const helpers = Object.fromEntries(needs.helpers.map((name) => [name, HELPERS[name]]));
      transcript.add(text, seq, { imports: needs.imports, helpers });
    }
  };
  /** A line held back (pyprogram.js) goes in after a quiet moment. */
  let releaseTimer = 0;
  const releaseLater = () => {
    clearTimeout(releaseTimer);
    if (!program.holding) return;
    releaseTimer = setTimeout(() => {
      addLines(program.release());
      transcript.measure();
      transcript.flush();
      transcript.follow();
    }, RELEASE_AFTER);
  };
  /** The transcript's runs (op run): the program's id → its output element. */
  const runOut = byId('transcript-run');
  let runProgram = '';
  let runRequest = 0;
  const streams = new Streams();
  const kernel = new Kernel();
  /** @type {Map<string, 'calls'|'hex'>} each stream map's view */
  const mapViews = new Map();
  /** @type {Map<number, string>} the calls of requests that waited, for the cancel results naming them */
  const waited = new Map();
  const packets = new Packets(byId('packets'), {
    empty: byId('packets-empty'), trimmed: byId('packets-trimmed'),
    absolute: /** @type {HTMLInputElement} */ (byId('packets-absolute')), download: byId('capture-download'),
  });
  const lab = new Lab({
    build: /** @type {HTMLFormElement} */ (byId('lab-build')), teardown: /** @type {HTMLFormElement} */ (byId('lab-teardown')),
    hosts: byId('lab-hosts'), facts: byId('lab-facts'),
    select: /** @type {HTMLSelectElement} */ (byId('socket-host')), selectLabel: byId('socket-host-label'),
  });
  const status = byId('status');
  const encodingSelect = /** @type {HTMLSelectElement} */ (byId('encoding'));
  let sessionEncoding = encodingSelect.value;

  const setEncoding = (encoding) => {
    if (!encoding) return;
    sessionEncoding = encoding;
    encodingSelect.value = encoding;
  };

  // Stream maps and kernel parts to redraw once the current batch is applied.
  const dirtyMaps = new Set();
  const dirtyKernels = new Set();
  const calls = (sock) => ({ sends: streams.sendCount(sock), recvs: streams.recvCount(sock) });
  const redraw = () => {
    for (const sock of dirtyMaps) {
      const slot = cards.part(sock, 'stream');
      const view = streams.view(sock);
      if (slot) slot.replaceChildren(view ? streamMap(view, mapViews.get(sock) ?? 'calls') : '');
    }
    for (const sock of dirtyKernels) kernel.render(sock, cards.part(sock, 'kernel'), calls(sock));
    dirtyMaps.clear();
    dirtyKernels.clear();
  };
  const mapsChanged = (socks) => socks.forEach((s) => dirtyMaps.add(s));

  /** Applies one message to the cards, streams and transcript; null when it has no log entry. */
  const applyState = (msg) => {
    const request = msg.request;
    const ctx = { request, socket: cards.get(msg.sock) };
    addLines(program.note(msg));
    showRun(msg);
    switch (msg.kind) {
      case 'hello':
        setEncoding(msg.encoding);
        packets.network(msg.network);
        break;
      case 'packet':
        packets.apply(msg); // the packets panel, not the log: 200 a second would drown it
        return null;
      case 'packets_not_shown':
        packets.notShown(msg);
        return null;
      case 'socket':
        cards.apply(msg);
        kernel.mount(cards.part(msg.sock, 'kernel'));
        mapsChanged(streams.noteSocket(msg));
        break;
      case 'waiting': {
        // recv_frame reports waiting again each time it blocks anew; the
        // first report stands (with its progress and its Cancel button).
        if (cards.waitingCall(msg.id) != null) return null;
        const call = callExpr(msg.op, msg.sock, request);
        cards.addWaiting(msg.id, msg.sock, call);
        waited.set(msg.id, call);
        if (waited.size > 256) waited.delete(waited.keys().next().value);
        break;
      }
      case 'frame':
        ctx.targetCall = cards.waitingCall(msg.id) ?? waited.get(msg.id) ?? `${msg.sock}.recv_frame(…)`;
        cards.progress(msg, ctx.targetCall);
        break;
      case 'stat':
        // Shown at the frame's end: several stats in a frame make one update.
        kernel.apply(msg, null, calls(msg.sock));
        dirtyKernels.add(msg.sock);
        break;
      case 'result': {
        if (msg.op === 'watch') {
          watch.confirm(msg); // which cards the server polls: not a socket action, not in the log
          return null;
        }
        if (msg.op === 'cancel') ctx.targetCall = waited.get(msg.target);
        cards.clearWaiting(msg.id);
        log.resolve(msg.id);
        if (msg.op === 'lab') {
          packets.lab(msg);
          lab.apply(msg);
        }
        if (msg.op === 'send' || msg.op === 'sendall') packets.noteSend(msg, cards.get(msg.sock));
        if (msg.op === 'encoding') setEncoding(msg.ok ? msg.encoding : sessionEncoding);
        if (msg.op === 'stat' && msg.ok) {
          kernel.apply(msg, null, calls(msg.sock));
          dirtyKernels.add(msg.sock);
        }
        const changed = streams.noteResult(msg);
        if (changed.length) {
          mapsChanged(changed);
          dirtyKernels.add(msg.sock);
        }
        if (msg.op === 'attach' || msg.op === 'attach_revoke') attach.apply(msg);
        break;
      }
      case 'snapshot':
        cards.replace(msg.sockets, msg.pending, (p) => callExpr(p.op, p.sock, p.request));
        for (const sock of msg.sockets ?? []) kernel.mount(cards.part(sock.sock, 'kernel'));
        for (const p of msg.pending ?? []) waited.set(p.id, cards.waitingCall(p.id));
        for (const s of msg.sockets ?? []) mapsChanged(streams.noteSocket(s));
        log.resolveAllBut(cards.waitingIds());
        setEncoding(msg.encoding);
        { // the lab as of the snapshot, as a lab result would list it
          const labNow = { ok: true, ...(msg.lab ?? { hosts: [] }) };
          packets.lab(labNow);
          lab.apply(labNow);
        }
        break;
      default:
        break;
    }
    return hasEntry(msg, ctx) ? { ctx } : null;
  };

  // What the connection delivers is applied once per animation frame, and
  // the DOM written once at the frame's end; root's data-rendered and
  // data-last-seq say how far the page has got.
  let rendered = 0;
  let lastSeq = 0;
  const queue = new RenderQueue({
    counts: (msg) => !NOT_LOGGED.has(msg.kind) && !(msg.kind === 'result' && msg.op === 'resume'),
    begin: () => {
      log.measure();
      transcript.measure();
    },
    message: (msg) => {
      const shown = applyState(msg);
      if (shown) log.add(() => renderEntry(msg, shown.ctx), { waiting: msg.kind === 'waiting' ? msg.id : null });
      rendered++;
      if (typeof msg.seq === 'number') lastSeq = msg.seq;
    },
    more: () => log.unbuilt || transcript.unbuilt,
    frame: (msgs, ahead) => {
      // More entries queued than the log holds: these would never be seen.
      if (ahead >= log.max) log.skip();
      cards.flush();
      log.flush();
      transcript.flush();
      releaseLater();
      packets.flush();
      redraw();
      // Scrolling reads the layout: after every change, so once per frame.
      log.follow();
      transcript.follow();
      root.dataset.rendered = String(rendered);
      root.dataset.lastSeq = String(lastSeq);
      if (msgs.length) {
        cellKernel.onMessages(msgs);
        hooks.onMessages?.(msgs);
      }
    },
    status: (state, detail) => {
      showStatus(status, state, detail);
      hooks.onStatus?.(state);
    },
  });

  if (!root.dataset.ws) throw new Error('workbench: the root element has no data-ws');
  const conn = new Connection(wsURL(root.dataset.ws), {
    onMessages: (msgs) => queue.push(msgs),
    onHello: (hello) => {
      setEncoding(hello.encoding);
      packets.network(hello.network);
      watch.connected();
      // Run needs op run (python3 and a sandbox on the server); hello says.
      const run = /** @type {HTMLButtonElement} */ (byId('run-python'));
      run.disabled = hello.programs === false;
      if (hello.programs === false) run.title = server(hello.programs_note) || t('wb.noprograms');
      hooks.onHello?.(hello);
    },
    onReset: () => {
      queue.clear();
      cards.reset();
      log.clear();
      transcript.reset();
      program.reset();
      attach.reset();
      runOut.hidden = true;
      runOut.textContent = '';
      runProgram = '';
      streams.reset();
      kernel.reset();
      packets.reset();
      lab.reset();
      mapViews.clear();
      waited.clear();
      cellKernel.reset();
      pyConsole.reset();
      hooks.onReset?.();
    },
    onStatus: (state, detail) => queue.pushStatus(state, detail),
  });

  const watch = new Watch(conn, byId('cards'));
  const attach = new Attach(conn, {
    show: byId('attach-show'), copy: byId('attach-copy'), revoke: byId('attach-revoke'),
    command: byId('attach-command'), code: byId('attach-command-code'), status: byId('attach-status'),
  });

  /** Shows what the transcript's run says: its result, output and exit. */
  function showRun(msg) {
    if (msg.kind === 'result' && msg.op === 'run' && msg.id === runRequest) {
      runOut.hidden = false;
      runProgram = msg.ok ? msg.program : '';
      runOut.textContent = msg.ok ? `${t('wb.runningas', { program: msg.program })}\n` : `${t('wb.notrun', { why: server(msg.error?.message) ?? t('wb.refused') })}\n`;
    } else if (runProgram && msg.program === runProgram && msg.kind === 'output') {
      runOut.append(msg.text);
    } else if (runProgram && msg.program === runProgram && msg.kind === 'exit') {
      runOut.append(`# exit ${msg.code ?? ''}${msg.reason ? ` (${msg.reason}${msg.limit ? `: ${msg.limit}` : ''})` : ''}\n`);
      runOut.dataset.exit = String(msg.code ?? msg.reason);
    }
  }

  /** Ends this session and reloads the page into a fresh one, once the learner confirms. */
  async function newSession(button) {
    if (!window.confirm(t('wb.newsession.confirm'))) return;
    button.disabled = true;
    try {
      const res = await fetch('/session/new', { method: 'POST' });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      window.location.reload();
    } catch (err) {
      button.disabled = false;
      window.alert(t('wb.newsession.failed', { error: err.message }));
    }
  }

  /** Fills sock's sendto form with a sender's address and puts the cursor in its data (reply to sender). */
  function replyTo(sock, host, port) {
    const form = root.querySelector(`.sock-card[data-sock="${CSS.escape(sock)}"] form[data-op="sendto"]`);
    if (!(form instanceof HTMLFormElement)) return;
    /** @type {HTMLInputElement} */ (form.elements.namedItem('host')).value = host;
    /** @type {HTMLInputElement} */ (form.elements.namedItem('port')).value = port;
    const text = /** @type {HTMLTextAreaElement} */ (form.elements.namedItem('text'));
    form.scrollIntoView({ block: 'nearest' });
    text.focus();
    text.select();
  }

  root.addEventListener('submit', (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.op) return;
    ev.preventDefault();
    const req = requestFromForm(form, /** @type {HTMLElement|null} */ (ev.submitter));
    if (req) conn.request(req.op, req.args);
  });

  root.addEventListener('click', (ev) => {
    const target = /** @type {Element} */ (ev.target);
    const sock = target.closest('[data-sock]')?.getAttribute('data-sock');
    const button = target.closest('button');
    if (button?.id === 'new-session') {
      newSession(button);
    } else if (button?.dataset.replySock) {
      replyTo(button.dataset.replySock, button.dataset.replyHost ?? '', button.dataset.replyPort ?? '');
    } else if (button?.dataset.cancel) {
      conn.request('cancel', { target: Number(button.dataset.cancel) });
      button.disabled = true;
    } else if (button?.dataset.streamView && sock) {
      mapViews.set(sock, button.dataset.streamView === 'hex' ? 'hex' : 'calls');
      dirtyMaps.add(sock);
      redraw();
    } else if (button?.dataset.toggleOption && sock) {
      const on = button.getAttribute('aria-pressed') === 'true';
      conn.request('setsockopt', { sock, level: 'IPPROTO_TCP', option: button.dataset.toggleOption, value: on ? 0 : 1 });
    } else if (button?.hasAttribute('data-reset-counters') && sock) {
      kernel.resetCounters(sock, cards.part(sock, 'kernel'), calls(sock));
    } else if (target.closest('#copy-python')) {
      addLines(program.release());
      transcript.copy();
    } else if (target.closest('#run-python')) {
      addLines(program.release());
      delete runOut.dataset.exit;
      runRequest = conn.request('run', { code: transcript.text(), name: 'transcript.py', ...runLang });
    } else if (attach.click(target)) {
      // the attach pane's buttons (attach.js)
    } else if (target.closest('.send-bracket') && sock) {
      // The receiver's map: the bytes came from its peer.
      const b = /** @type {HTMLElement} */ (target.closest('.send-bracket')).dataset;
      const recv = cards.get(sock);
      if (recv?.laddr && recv?.raddr) packets.highlight(recv.raddr, recv.laddr, recv.host ?? 'h1', Number(b.start), Number(b.end));
    } else {
      const sent = /** @type {HTMLElement|null} */ (target.closest('.log-entry[data-op="send"], .log-entry[data-op="sendall"]'));
      if (sent?.dataset.id) packets.highlightSend(sent.dataset.id);
    }
  });

  root.addEventListener('change', (ev) => {
    const target = /** @type {Element} */ (ev.target);
    if (target.matches('select[data-framing-picker]')) showFraming(/** @type {HTMLSelectElement} */ (target).form);
  });
  root.addEventListener('input', (ev) => {
    // A field that framing.js marked invalid is re-checked on the next submit.
    /** @type {HTMLInputElement} */ (ev.target).setCustomValidity?.('');
  });

  encodingSelect.addEventListener('change', () => encodingSelect.form.requestSubmit());

  // The session's Python kernel: the console's, and a lesson page's cells.
  const cellKernel = new CellKernel((op, args) => conn.request(op, args), (run) => {
    pyConsole.onChange(run);
    hooks.onCell?.(run);
  });
  const pyConsole = new PythonConsole(byId('console'), cellKernel, cards);

  conn.start();
  return { conn, cards, kernel: cellKernel };
}


/** Kinds that never become log entries (the queue need not count them). */
const NOT_LOGGED = new Set(['stat', 'socket', 'packet', 'packets_not_shown']);

const STATUS_TEXT = {
  [Status.CONNECTING]: t('wb.status.connecting'),
  [Status.LIVE]: t('wb.status.live'),
  [Status.RECONNECTING]: t('wb.status.reconnecting'),
};

function showStatus(el, state, detail) {
  el.dataset.state = state;
  el.textContent = state === Status.REFUSED ? detail?.message ?? t('wb.status.refused')
    : state === Status.RECONNECTING && detail?.delay
    ? t('wb.status.reconnectin', { s: Math.max(1, Math.round(detail.delay / 1000)) })
    : STATUS_TEXT[state] ?? state;
}

// An embedded workbench (data-embedded) is started by its page's script.
const root = document.getElementById('workbench');
if (root && !root.hasAttribute('data-embedded')) start(root);
