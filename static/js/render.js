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
import { server, t } from './i18n.js';

/** How errors without a Python exception are introduced. */
const ERROR_LABELS = {
  policy: t('render.err.policy'),
  limit: t('render.err.limit'),
  bad_request: t('render.err.bad_request'),
  cancelled: t('render.err.cancelled'),
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
        t('render.snapshot', { seq: msg.first_seq, sockets: msg.sockets?.length ?? 0, waiting: msg.pending?.length ?? 0 }),
      ));
    case 'bye':
      return entry(msg, {}, line(t('render.bye', { reason: server(msg.reason ?? 'bye') })));
    case 'note':
      return entry(msg, {}, line(msg.from ? `${server(msg.from)}${t('check.colon')}` : '', server(msg.text ?? '')));
    case 'room_hint':
      return entry(msg, {}, line(t('render.room.hint', { from: msg.from ? server(msg.from) : t('render.room.instructor') }), msg.text ?? ''));
    case 'room_end':
      return entry(msg, {}, line(t('render.room.end', { room: msg.room ?? '' }), msg.reason ? server(msg.reason) : ''));
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
    line(h('span', { class: 'lane' }, t('render.checklane', { exercise: msg.exercise })), ' ', h('span', { class: 'outcome' }, checkEventText(msg))));
  el.dataset.event = msg.event;
  if (msg.event === 'step_done') el.dataset.pass = String(!!msg.step?.pass);
  return el;
}

/** The most characters of a program's output one entry shows. */
const OUTPUT_SHOWN = 2000;

/** Whose output or event it is: "p1", "p1 · cell accept.1". */
function programLane(msg) {
  return h('span', { class: 'lane' }, msg.cell ? t('render.lane.cell', { program: msg.program, cell: msg.cell }) : msg.program ?? t('render.lane.program'));
}

/** What a program printed, on its stream. */
function outputEntry(msg) {
  let text = msg.text ?? '';
  const cut = text.length > OUTPUT_SHOWN ? text.length - OUTPUT_SHOWN : 0;
  if (cut) text = text.slice(0, OUTPUT_SHOWN);
  const el = entry(msg, { className: `quiet output-entry${msg.stream === 'stderr' ? ' stderr' : ''}` },
    line(programLane(msg), ' ', h('span', { class: 'stream' }, msg.stream === 'stderr' ? t('render.printed.stderr') : t('render.printed'))),
    h('pre', { class: 'program-text', dataset: { stream: msg.stream } }, text),
    cut ? h('p', { class: 'detail' }, t('render.morechars', { n: cut })) : null);
  el.dataset.program = msg.program ?? '';
  el.dataset.stream = msg.stream ?? '';
  return el;
}

/** How a program ended (PROTOCOL.md, Programs). */
export function exitText(msg) {
  const code = typeof msg.code === 'number' ? msg.code : null;
  if (!msg.reason) {
    if (code != null && code < 0) return t('render.exit.signal', { n: -code });
    return t('render.exit.code', { code: code ?? '?' });
  }
  if (msg.reason === 'stopped') return t('render.exit.stopped');
  const why = {
    timeout: t('render.exit.timeout'), output: t('render.exit.output'), cpu: t('render.exit.cpu'),
    memory: t('render.exit.memory'), processes: t('render.exit.processes'), files: t('render.exit.files'),
  }[msg.reason] ?? msg.reason;
  return code != null ? t('render.exit.limitcode', { why, code }) : t('render.exit.limit', { why });
}

/** A program's end. */
function exitEntry(msg) {
  const failed = msg.reason ? msg.reason !== 'stopped' : msg.code !== 0;
  const el = entry(msg, { className: `exit-entry${failed ? ' failed' : ''}` },
    line(programLane(msg), ' ', h('span', { class: 'outcome' }, exitText(msg))),
    msg.limit ? h('p', { class: 'error', dataset: { type: 'limit' } }, t('render.limit', { limit: server(msg.limit) })) : null);
  el.dataset.program = msg.program ?? '';
  if (msg.reason) el.dataset.reason = msg.reason;
  if (typeof msg.code === 'number') el.dataset.code = String(msg.code);
  return el;
}

/** What a re-run's cleanup closed before the cell ran (PROTOCOL.md, Re-runs), or ''. */
function rerunText(msg) {
  const parts = [];
  if (msg.closed?.length) parts.push(t('render.rerun.closed', { list: msg.closed.join(', ') }));
  if (msg.stopped?.length) parts.push(t('render.rerun.stopped', { list: msg.stopped.join(', ') }));
  return parts.length ? t('render.rerun', { what: parts.join(t('render.rerun.and')) }) : '';
}

/** A cell of the cell kernel starts, waits or ends (PROTOCOL.md, Cells). */
function cellEntry(msg) {
  const socks = msg.sockets?.length ? t('render.cell.sockets', { list: msg.sockets.join(', ') }) : '';
  let what;
  if (msg.kind === 'cell_start') what = t('render.cell.runs', { socks }) + rerunText(msg);
  else if (msg.kind === 'cell_waiting') what = t('cards.waiting');
  else what = msg.ok ? t('render.cell.done', { socks }) : t('lesson.failed');
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
    line(t('render.hello', { protocol: msg.protocol, encoding: msg.encoding })),
    msg.policy?.bind ? h('p', { class: 'detail' }, `bind: ${server(msg.policy.bind)}`) : null,
    msg.policy?.connect ? h('p', { class: 'detail' }, `connect, sendto: ${server(msg.policy.connect)}`) : null,
  );
}

function result(msg, ctx) {
  const call = msg.op ? callExpr(msg.op, msg.sock, ctx.request) : t('render.request');
  const meta = { about: msg.sock, op: msg.op, id: msg.id, ok: String(!!msg.ok) };
  if (!msg.ok) {
    const err = msg.error ?? {};
    // Python's own words stay as they are (server() knows none of them);
    // sockplay's sentences under an exception (TypeError: op must be …) read
    // in the page's language.
    const text = err.exception ? `${err.exception}: ${server(err.message ?? '')}` : errorText(err);
    return entry(
      msg,
      { ...meta, className: 'failed' },
      line(h('code', { class: 'call' }, call), ` ${t('render.failed')}`),
      h('p', { class: 'error', dataset: { type: err.type } }, text),
      err.hint ? h('p', { class: 'hint' }, server(err.hint)) : null,
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
        return [h('div', { class: 'eof' }, h('p', { class: 'eof-head' }, t('render.eof')),
          h('p', { class: 'detail' }, t('render.eof.detail')))];
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
      h('summary', {}, t('render.absolute', { j: msg.isn.local, k: msg.isn.peer })),
      lines(msg.absolute)) : null);
}

/**
 * One datagram as a box: its size, the bytes read, and for a truncated one
 * the bytes the kernel discarded (the datagram's size minus what was kept).
 */
function datagramView(msg) {
  const kept = msg.data?.size ?? 0;
  const size = msg.size ?? kept;
  const from = Array.isArray(msg.addr) ? t('render.from', { addr: pyAddr(msg.addr) }) : '';
  if (size === 0) {
    return h('div', { class: 'datagram empty', dataset: { size: 0, kept: 0 } },
      h('p', { class: 'dg-head' }, t('render.dg.empty', { from }), replyButton(msg)),
      h('p', { class: 'detail' }, t('render.dg.empty.detail')));
  }
  const lost = size - kept;
  return h('div', { class: `datagram${msg.truncated ? ' truncated' : ''}`, dataset: { size, kept } },
    h('p', { class: 'dg-head' }, t('render.dg.head', { bytes: bytes(size), from }),
      msg.truncated ? h('span', { class: 'badge truncated' }, t('render.dg.truncated')) : null, replyButton(msg)),
    msg.data ? dataView(msg.data, { label: msg.truncated ? t('render.dg.kept') : undefined }) : null,
    msg.truncated ? h('p', { class: 'discarded', dataset: { discarded: lost } },
      t('render.dg.discarded', { bytes: bytes(lost) }),
      h('span', { class: 'detail' }, t('render.dg.discarded.detail', { kept, size }))) : null);
}

/**
 * "reply to sender" on a datagram recvfrom returned: it fills the socket's
 * sendto form with the sender's address (workbench.js handles the click).
 */
function replyButton(msg) {
  if (msg.op !== 'recvfrom' || !Array.isArray(msg.addr) || !msg.sock) return null;
  return h('button', {
    type: 'button', class: 'reply-to secondary',
    dataset: { replySock: msg.sock, replyHost: String(msg.addr[0]), replyPort: String(msg.addr[1]) },
    title: t('render.reply.title', { sock: msg.sock, addr: pyAddr(msg.addr) }),
  }, t('render.reply'));
}

/** The text of an error that has no Python exception (policy, limit, …). */
function errorText(err) {
  const label = ERROR_LABELS[err.type] ?? err.type ?? t('render.err.error');
  const message = server(err.message ?? '');
  return message === '' || message.toLowerCase() === label.toLowerCase() ? label : t('render.err.text', { label, message });
}

/** "1 byte", "5 bytes". */
function bytes(n) {
  return n === 1 ? t('render.byte') : t('render.bytes', { n });
}

/** The "→ …" text of a successful result. */
function outcome(msg, ctx) {
  switch (msg.op) {
    case 'socket':
      return `→ ${msg.sock} (fd ${msg.fd})`;
    case 'bind':
      return t('render.bound', { addr: pyAddr(msg.addr) });
    case 'listen':
      return msg.backlog == null ? t('render.listening') : t('render.listening.backlog', { n: msg.backlog });
    case 'accept':
      return t('render.accepted', { conn: msg.conn, addr: pyAddr(msg.addr) });
    case 'connect':
      return t('render.connected', { peer: pyAddr(msg.peer), addr: pyAddr(msg.addr) });
    case 'send':
    case 'sendall':
      return t('render.sent', { bytes: bytes(msg.n) });
    case 'sendto':
      return t('render.sentfrom', { bytes: bytes(msg.n), addr: pyAddr(msg.addr) });
    case 'recv':
    case 'recvfrom': {
      const size = msg.data?.size ?? 0;
      const from = msg.op === 'recvfrom' && Array.isArray(msg.addr) ? t('render.from', { addr: pyAddr(msg.addr) }) : '';
      if (ctx.socket?.type === 'SOCK_DGRAM') {
        return size === 0 && !msg.truncated ? t('render.recv.emptydg', { from }) : `→ ${bytes(size)}${from}`;
      }
      if (size === 0) return `→ ${t('render.eof')}`;
      const peek = (ctx.request?.flags ?? []).includes('MSG_PEEK') ? t('render.peeked') : '';
      return `→ ${bytes(size)}${from}${peek}`;
    }
    case 'send_frame':
      return t('render.framewritten', { bytes: bytes(msg.n) });
    case 'recv_frame':
      return t('render.onemessage', { bytes: bytes(msg.data?.size ?? 0) });
    case 'stat':
      if (msg.closed) return t('render.stat.closed', { state: msg.state });
      return t('render.stat', { state: msg.state, inq: msg.inq, outq: msg.outq });
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
      return t('render.closed');
    case 'cancel':
      return t('render.cancelled', { call: ctx.targetCall ?? t('render.requestn', { n: msg.target }) });
    case 'encoding':
      return t('render.encoding', { encoding: msg.encoding });
    case 'check':
      return `→ ${verdictLine(msg)}`;
    case 'lab':
      return msg.hosts?.length ? `→ ${msg.hosts.map((x) => `${x.name} ${x.addr}`).join(', ')}${msg.kept ? t('render.lab.kept') : ''}` : t('render.lab.torndown');
    case 'segments': {
      const n = msg.segments?.length ?? 0;
      return n === 1 ? t('render.segment') : t('render.segments', { n });
    }
    case 'run':
      return msg.name === 'kernel' ? t('render.kernel', { program: msg.program }) : `→ ${msg.program}`;
    case 'stop':
      return t('render.stopping');
    case 'input':
      return t('render.stdin', { bytes: bytes(msg.bytes ?? 0) });
    case 'cell':
      return t('render.queued');
    case 'reset':
      return t('render.reset', { summary: resetSummary(msg) });
    default:
      return t('render.done');
  }
}

function waiting(msg, ctx) {
  return entry(
    msg,
    { about: msg.sock, op: msg.op, id: msg.id, className: 'waiting' },
    line(
      h('code', { class: 'call' }, callExpr(msg.op, msg.sock, ctx.request)),
      ' ',
      h('span', { class: 'outcome' }, t('cards.waiting')),
      ' ',
      cancelButton(msg.id),
    ),
  );
}

/** A Cancel button for a waiting request (handled by workbench.js). */
export function cancelButton(id) {
  return h('button', { type: 'button', class: 'cancel', dataset: { cancel: id } }, t('render.cancel'));
}

/** A state change of a socket (hasEntry says which `socket` messages are). */
function socketChange(msg, before) {
  const accepted = !before && msg.listener;
  const addrs = [msg.laddr && t('render.local', { addr: pyAddr(msg.laddr) }), msg.raddr && t('render.peer', { addr: pyAddr(msg.raddr) })]
    .filter(Boolean).join(', ');
  const what = accepted
    ? t('render.wasaccepted', { sock: msg.sock, listener: msg.listener, state: msg.state })
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
