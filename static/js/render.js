// render.js — the event-log entry for one server message, by `kind`.
//
// renderEntry(msg, ctx) returns an <li class="log-entry" data-seq data-kind>
// or null for messages the log does not show (the page's own `resume`
// result, socket messages that change no state, pushed `stat` messages —
// those go to the cards); hasEntry(msg, ctx) tells which without building
// anything. Every piece of payload or server text goes in as a
// text node (dom.js), never as markup.
//
// Received bytes: each UDP datagram is its own .datagram box (a truncated
// one shows what was kept and .discarded bytes; an empty one is a 0-byte
// datagram, not an end of file); a TCP recv of b'' is .eof, the peer closed.
//
// Programs (op run): an `output` entry names the program (and its cell) and
// the stream, and shows the text as printed (pre.program-text, long text
// cut); an `exit` entry says how it ended (its code, or that it was stopped
// and which limit it hit); cell_start / cell_waiting / cell_done say what a
// cell of the cell kernel does.

import { h } from './dom.js';
import { dataView } from './dataview.js';
import { progressText, recvFrameView, sentFrameView } from './frameview.js';
import { callExpr, pyAddr, pyTimeout, resetSummary } from './python.js';
import { checkEventText, verdictLine } from './checkview.js';

/** How errors without a Python exception are introduced. */
const ERROR_LABELS = {
  policy: 'Refused by the address policy',
  limit: 'Limit',
  bad_request: 'Bad request',
  cancelled: 'Cancelled',
};

/**
 * @typedef {object} EntryContext
 * @property {object} [request] the request the message answers (its `request` echo)
 * @property {object} [socket] the socket's last `socket` message (before this one)
 * @property {string} [targetCall] for a `cancel` result, the call it cancelled;
 *   for a `frame` message, the recv_frame call
 */

/**
 * @param {object} msg a server message
 * @param {EntryContext} ctx
 * @returns {HTMLElement|null}
 */
export function renderEntry(msg, ctx = {}) {
  if (!hasEntry(msg, ctx)) return null;
  switch (msg.kind) {
    case 'hello':
      return hello(msg);
    case 'result':
      return result(msg, ctx);
    case 'waiting':
      return waiting(msg, ctx);
    case 'socket':
      return socketChange(msg, ctx.socket);
    case 'snapshot':
      return entry(msg, {}, line(
        `Caught up from a snapshot: messages before seq ${msg.first_seq} are no longer kept. `
        + `${msg.sockets?.length ?? 0} sockets, ${msg.pending?.length ?? 0} waiting.`,
      ));
    case 'bye':
      return entry(msg, {}, line(`The server is shutting down: ${msg.reason ?? 'bye'}.`));
    case 'note':
      return entry(msg, {}, line(msg.from ? `${msg.from}: ` : '', msg.text ?? ''));
    case 'room_hint':
      return entry(msg, {}, line(`Hint from ${msg.from || 'the instructor'}: `, msg.text ?? ''));
    case 'room_end':
      return entry(msg, {}, line(`The room ${msg.room ?? ''} ended${msg.reason ? `: ${msg.reason}` : ''}.`));
    case 'frame':
      return entry(msg, { about: msg.sock, id: msg.id, className: 'quiet frame-entry' }, line(
        h('code', { class: 'call' }, ctx.targetCall ?? `${msg.sock}.recv_frame(…)`), ' ',
        h('span', { class: 'outcome' }, progressText(msg)),
      ));
    case 'check':
      return checkEntry(msg);
    case 'output':
      return outputEntry(msg);
    case 'exit':
      return exitEntry(msg);
    case 'cell_start':
    case 'cell_waiting':
    case 'cell_done':
      return cellEntry(msg);
    default:
      return other(msg);
  }
}

/**
 * Whether a message gets a log entry (renderEntry returns null exactly when
 * this is false), without building it.
 * @param {object} msg
 * @param {EntryContext} ctx
 */
export function hasEntry(msg, ctx = {}) {
  switch (msg.kind) {
    case 'result': // room ops are room.js's, which shows what came of them
      return !(msg.op === 'resume' && msg.ok) && !String(msg.op ?? '').startsWith('room_');
    case 'socket':
      return isStateChange(msg, ctx.socket);
    case 'stat':
      return false;
    case 'roster': case 'follow': case 'room_state': case 'room_show': case 'room_push':
      return false; // the room's own (room.js, roompage.js), not the sockets' story
    default:
      return true;
  }
}

/** Whether a `socket` message changes what the log knows: a new accepted socket, or a new state. */
function isStateChange(msg, before) {
  if (!before) return !!msg.listener;
  return before.state !== msg.state;
}

/** A running check's step or call: its own lane, like a peer's. */
function checkEntry(msg) {
  const el = entry(msg, { id: msg.id, className: msg.event === 'call' ? 'quiet check-entry' : 'check-entry' },
    line(h('span', { class: 'lane' }, `check ${msg.exercise}`), ' ', h('span', { class: 'outcome' }, checkEventText(msg))));
  el.dataset.event = msg.event;
  if (msg.event === 'step_done') el.dataset.pass = String(!!msg.step?.pass);
  return el;
}

/** The most characters of a program's output one entry shows. */
const OUTPUT_SHOWN = 2000;

/** Whose output or event it is: "p1", "p1 · cell accept.1". */
function programLane(msg) {
  return h('span', { class: 'lane' }, msg.cell ? `${msg.program} · cell ${msg.cell}` : msg.program ?? 'program');
}

/** What a program printed, on its stream. */
function outputEntry(msg) {
  let text = msg.text ?? '';
  const cut = text.length > OUTPUT_SHOWN ? text.length - OUTPUT_SHOWN : 0;
  if (cut) text = text.slice(0, OUTPUT_SHOWN);
  const el = entry(msg, { className: `quiet output-entry${msg.stream === 'stderr' ? ' stderr' : ''}` },
    line(programLane(msg), ' ', h('span', { class: 'stream' }, msg.stream === 'stderr' ? 'printed on stderr' : 'printed')),
    h('pre', { class: 'program-text', dataset: { stream: msg.stream } }, text),
    cut ? h('p', { class: 'detail' }, `… and ${cut} more characters`) : null);
  el.dataset.program = msg.program ?? '';
  el.dataset.stream = msg.stream ?? '';
  return el;
}

/** How a program ended (PROTOCOL.md, Programs). */
export function exitText(msg) {
  const code = typeof msg.code === 'number' ? msg.code : null;
  if (!msg.reason) {
    if (code != null && code < 0) return `was killed by signal ${-code}`;
    return `exited with code ${code ?? '?'}`;
  }
  if (msg.reason === 'stopped') return 'was stopped';
  const why = {
    timeout: 'ran out of time', output: 'printed too much', cpu: 'used too much CPU time',
    memory: 'used too much memory', processes: 'started too many processes or threads', files: 'hit a file limit',
  }[msg.reason] ?? msg.reason;
  return `was stopped: it ${why}${code != null ? ` (exit code ${code})` : ''}`;
}

/** A program's end. */
function exitEntry(msg) {
  const failed = msg.reason ? msg.reason !== 'stopped' : msg.code !== 0;
  const el = entry(msg, { className: `exit-entry${failed ? ' failed' : ''}` },
    line(programLane(msg), ' ', h('span', { class: 'outcome' }, exitText(msg))),
    msg.limit ? h('p', { class: 'error', dataset: { type: 'limit' } }, `Limit: ${msg.limit}`) : null);
  el.dataset.program = msg.program ?? '';
  if (msg.reason) el.dataset.reason = msg.reason;
  if (typeof msg.code === 'number') el.dataset.code = String(msg.code);
  return el;
}

/** A cell of the cell kernel starts, waits or ends (PROTOCOL.md, Cells). */
function cellEntry(msg) {
  const socks = msg.sockets?.length ? ` (sockets ${msg.sockets.join(', ')})` : '';
  let what;
  if (msg.kind === 'cell_start') what = `runs${socks}`;
  else if (msg.kind === 'cell_waiting') what = 'is waiting…';
  else what = msg.ok ? `done${socks}` : 'failed';
  const el = entry(msg, { className: `quiet cell-entry${msg.kind === 'cell_done' && !msg.ok ? ' failed' : ''}` },
    line(programLane(msg), ' ', h('span', { class: 'outcome' }, what)),
    msg.kind === 'cell_done' && !msg.ok && msg.error ? h('p', { class: 'error' }, msg.error) : null);
  el.dataset.program = msg.program ?? '';
  el.dataset.cell = msg.cell ?? '';
  return el;
}

/** The <li> frame shared by every entry: time, then the content. */
function entry(msg, { about, op, id, ok, className }, ...content) {
  return h(
    'li',
    {
      class: ['log-entry', className].filter(Boolean).join(' '),
      dataset: { seq: msg.seq, kind: msg.kind, about, op, id, ok },
    },
    timeOf(msg.time),
    h('div', { class: 'entry-body' }, ...content),
  );
}

/** The server's RFC 3339 time as local HH:MM:SS.mmm. */
function timeOf(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return h('time', { class: 'entry-time' });
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const text = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return h('time', { class: 'entry-time', datetime: iso, title: iso }, text);
}

function line(...parts) {
  return h('p', { class: 'entry-head' }, ...parts);
}

function hello(msg) {
  return entry(
    msg,
    { className: 'quiet' },
    line(`Session started (${msg.protocol}), encoding ${msg.encoding}.`),
    msg.policy?.bind ? h('p', { class: 'detail' }, `bind: ${msg.policy.bind}`) : null,
    msg.policy?.connect ? h('p', { class: 'detail' }, `connect, sendto: ${msg.policy.connect}`) : null,
  );
}

function result(msg, ctx) {
  const call = msg.op ? callExpr(msg.op, msg.sock, ctx.request) : 'request';
  const meta = { about: msg.sock, op: msg.op, id: msg.id, ok: String(!!msg.ok) };
  if (!msg.ok) {
    const err = msg.error ?? {};
    const text = err.exception ? `${err.exception}: ${err.message}` : errorText(err);
    return entry(
      msg,
      { ...meta, className: 'failed' },
      line(h('code', { class: 'call' }, call), ' failed'),
      h('p', { class: 'error', dataset: { type: err.type } }, text),
      err.hint ? h('p', { class: 'hint' }, err.hint) : null,
      msg.op === 'recv_frame' && msg.reads?.length ? recvFrameView(msg) : null,
    );
  }
  return entry(
    msg,
    { ...meta, className: msg.op === 'encoding' || msg.op === 'cancel' || msg.op === 'stat' ? 'quiet' : msg.op === 'check' && !msg.pass ? 'check-fail' : '' },
    line(h('code', { class: 'call' }, call), ' ', h('span', { class: 'outcome' }, outcome(msg, ctx))),
    ...details(msg, ctx),
  );
}

/** What a successful result shows below its line: the bytes, as fits the op and the socket. */
function details(msg, ctx) {
  switch (msg.op) {
    case 'recv':
    case 'recvfrom':
      if (ctx.socket?.type === 'SOCK_DGRAM') return [datagramView(msg)];
      if (msg.data?.size === 0) {
        return [h('div', { class: 'eof' }, h('p', { class: 'eof-head' }, "peer closed (b'')"),
          h('p', { class: 'detail' }, 'The other end closed or shut down its side, and every byte it sent has been read. '
            + 'recv() will keep returning b\'\'.'))];
      }
      return msg.data ? [dataView(msg.data)] : [];
    case 'recv_frame':
      return [recvFrameView(msg)];
    case 'send_frame':
      return [sentFrameView(msg)];
    case 'segments':
      return [segmentsView(msg)];
    default:
      return msg.data ? [dataView(msg.data)] : [];
  }
}

/**
 * A connection's segments, as the segments op lists them: one line each with
 * relative numbers, and the absolute ones (and J, K) on request.
 */
function segmentsView(msg) {
  const lines = (list) => h('ol', { class: 'segment-lines' }, ...(list ?? []).map((x) => h('li', {}, h('code', {}, x))));
  return h('div', { class: 'segments' },
    lines(msg.segments),
    msg.isn ? h('details', {},
      h('summary', {}, `absolute numbers (J = ${msg.isn.local}, K = ${msg.isn.peer})`),
      lines(msg.absolute)) : null);
}

/**
 * One datagram as a box: its size, the bytes read, and for a truncated one
 * the bytes the kernel discarded (the datagram's size minus what was kept).
 */
function datagramView(msg) {
  const kept = msg.data?.size ?? 0;
  const size = msg.size ?? kept;
  const from = Array.isArray(msg.addr) ? ` from ${pyAddr(msg.addr)}` : '';
  if (size === 0) {
    return h('div', { class: 'datagram empty', dataset: { size: 0, kept: 0 } },
      h('p', { class: 'dg-head' }, `0-byte datagram${from}`),
      h('p', { class: 'detail' }, "An empty datagram is a real message: UDP has no end-of-file, so b'' here does not mean "
        + 'the peer closed anything.'));
  }
  const lost = size - kept;
  return h('div', { class: `datagram${msg.truncated ? ' truncated' : ''}`, dataset: { size, kept } },
    h('p', { class: 'dg-head' }, `datagram · ${size} byte${size === 1 ? '' : 's'}${from}`,
      msg.truncated ? h('span', { class: 'badge truncated' }, 'truncated') : null),
    msg.data ? dataView(msg.data, { label: msg.truncated ? 'kept' : undefined }) : null,
    msg.truncated ? h('p', { class: 'discarded', dataset: { discarded: lost } },
      `${lost} byte${lost === 1 ? '' : 's'} discarded`,
      h('span', { class: 'detail' }, ` — the buffer took ${kept} of the datagram's ${size} bytes and the kernel dropped the rest; `
        + 'the next recvfrom() gets the next datagram, not the rest of this one.')) : null);
}

/** The text of an error that has no Python exception (policy, limit, …). */
function errorText(err) {
  const label = ERROR_LABELS[err.type] ?? err.type ?? 'Error';
  const message = err.message ?? '';
  return message === '' || message.toLowerCase() === label.toLowerCase() ? label : `${label}: ${message}`;
}

/** "1 byte", "5 bytes". */
function bytes(n) {
  return `${n} byte${n === 1 ? '' : 's'}`;
}

/** The "→ …" text of a successful result. */
function outcome(msg, ctx) {
  switch (msg.op) {
    case 'socket':
      return `→ ${msg.sock} (fd ${msg.fd})`;
    case 'bind':
      return `→ bound to ${pyAddr(msg.addr)}`;
    case 'listen':
      return msg.backlog == null ? '→ listening' : `→ listening, backlog ${msg.backlog}`;
    case 'accept':
      return `→ ${msg.conn} from ${pyAddr(msg.addr)}`;
    case 'connect':
      return `→ connected to ${pyAddr(msg.peer)}, local address ${pyAddr(msg.addr)}`;
    case 'send':
    case 'sendall':
      return `→ ${bytes(msg.n)} sent`;
    case 'sendto':
      return `→ ${bytes(msg.n)} sent from ${pyAddr(msg.addr)}`;
    case 'recv':
    case 'recvfrom': {
      const size = msg.data?.size ?? 0;
      const from = msg.op === 'recvfrom' && Array.isArray(msg.addr) ? ` from ${pyAddr(msg.addr)}` : '';
      if (ctx.socket?.type === 'SOCK_DGRAM') {
        return size === 0 && !msg.truncated ? `→ a 0-byte datagram${from}` : `→ ${bytes(size)}${from}`;
      }
      if (size === 0) return "→ peer closed (b'')";
      const peek = (ctx.request?.flags ?? []).includes('MSG_PEEK') ? ' (peeked: still in the queue)' : '';
      return `→ ${bytes(size)}${from}${peek}`;
    }
    case 'send_frame':
      return `→ ${bytes(msg.n)} written, framing included`;
    case 'recv_frame':
      return `→ one message of ${bytes(msg.data?.size ?? 0)}`;
    case 'stat':
      if (msg.closed) return `→ ${msg.state} (fd closed; the kernel keeps the connection)`;
      return `→ ${msg.state} · receive queue ${msg.inq} B · send queue ${msg.outq} B`;
    case 'setsockopt':
    case 'getsockopt':
      return `→ ${msg.value}`;
    case 'settimeout':
    case 'setblocking':
      return `→ timeout ${pyTimeout(msg.timeout)}`;
    case 'getsockname':
    case 'getpeername':
      return `→ ${pyAddr(msg.addr)}`;
    case 'close':
      return '→ closed';
    case 'cancel':
      return `→ cancelled ${ctx.targetCall ?? `request ${msg.target}`}`;
    case 'encoding':
      return `→ the session decodes received text as ${msg.encoding}`;
    case 'check':
      return `→ ${verdictLine(msg)}`;
    case 'lab':
      return msg.hosts?.length ? `→ ${msg.hosts.map((x) => `${x.name} ${x.addr}`).join(', ')}${msg.kept ? ' (kept as it was)' : ''}` : '→ torn down';
    case 'segments': {
      const n = msg.segments?.length ?? 0;
      return `→ ${n} segment${n === 1 ? '' : 's'} on the wire`;
    }
    case 'run':
      return msg.name === 'kernel' ? `→ ${msg.program}, the cell kernel` : `→ ${msg.program}`;
    case 'stop':
      return '→ stopping';
    case 'input':
      return `→ ${bytes(msg.bytes ?? 0)} to its stdin`;
    case 'cell':
      return '→ queued';
    case 'reset':
      return `→ ${resetSummary(msg)} (the log stays)`;
    default:
      return '→ done';
  }
}

function waiting(msg, ctx) {
  return entry(
    msg,
    { about: msg.sock, op: msg.op, id: msg.id, className: 'waiting' },
    line(
      h('code', { class: 'call' }, callExpr(msg.op, msg.sock, ctx.request)),
      ' ',
      h('span', { class: 'outcome' }, 'is waiting…'),
      ' ',
      cancelButton(msg.id),
    ),
  );
}

/** A Cancel button for a waiting request (handled by workbench.js). */
export function cancelButton(id) {
  return h('button', { type: 'button', class: 'cancel', dataset: { cancel: id } }, 'Cancel');
}

/** A state change of a socket (hasEntry says which `socket` messages are). */
function socketChange(msg, before) {
  const accepted = !before && msg.listener;
  const addrs = [msg.laddr && `local ${pyAddr(msg.laddr)}`, msg.raddr && `peer ${pyAddr(msg.raddr)}`]
    .filter(Boolean).join(', ');
  const what = accepted
    ? `${msg.sock} was accepted from ${msg.listener}: ${msg.state}`
    : `${msg.sock}: ${before.state} → ${msg.state}`;
  return entry(msg, { about: msg.sock, className: 'quiet' }, line(what + (addrs ? ` (${addrs})` : '')));
}

/** A kind this page does not know: shown compactly rather than hidden. */
function other(msg) {
  const { seq, kind, time, ...rest } = msg;
  let body = JSON.stringify(rest);
  if (body.length > 300) body = `${body.slice(0, 300)}…`;
  return entry(msg, { about: msg.sock, className: 'quiet' }, line(h('code', {}, kind), ' ', body));
}
