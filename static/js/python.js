// python.js — the Python that a workbench action corresponds to.
//
// pythonLine(result, request) gives the transcript line(s) for one successful
// result, e.g. `data, addr = s2.recvfrom(1024)  # b'hi', ('127.0.0.1', 40000)`;
// pythonNeeds says which imports and helper functions those lines use;
// callExpr(op, sock, request) gives the call alone, for the event log.
// Sockets are named by their handle (s1, s2, …) everywhere: the variable that
// `accept` assigns is the new socket's handle too (`s3, addr = s1.accept()`).
// Built-in peers are sockplay's own Python: `p1, p1_addr =
// sockplay.spawn('udp-echo', ('127.0.0.1', 0))`, `sockplay.kill(p1)`; a
// transcript with them imports sockplay (importLines), so it runs on
// sockplay's module (Run, `sockplay run`) where one without runs on CPython.
//
// The request (the `request` the server echoes in results and waiting
// messages) supplies the arguments; the result supplies what came back. When
// the request is unknown (a log from an older server) or its payload was too
// large to echo, the line becomes a comment: this module never guesses.

import { frameCall, frameLines, frameNeeds } from './pyframing.js';
import { pyAddr, pyData, pyPayload, pyStr, pyTimeout, pyValue } from './pyrepr.js';
import { t } from './i18n.js';

export { pyAddr, pyBytes, pyData, pyPayload, pyStr, pyTimeout } from './pyrepr.js';

/** socket.MSG_PEEK | socket.MSG_WAITALL, or '' for no flags. */
function pyFlags(flags) {
  return (flags ?? []).map((f) => `socket.${f}`).join(' | ');
}

/**
 * The call a request makes, for the log: `s1.bind(('127.0.0.1', 0))`.
 * Arguments the page does not know are written `…`.
 * @param {string} op
 * @param {string} [sock]
 * @param {object} [req] the request, if known
 * @param {AddrName} [name] writes an address the program must not hard-code
 */
export function callExpr(op, sock, req, name) {
  const self = sock ? `${sock}.` : '';
  const args = req ? pyArgs(op, req, name) : null;
  if (op === 'socket') {
    return req ? `socket.socket(${args})` : 'socket.socket(…)';
  }
  if (op === 'attach' || op === 'attach_revoke') return op; // the attach code (attach.js), not a Python call
  if (op === 'cancel' || op === 'resume' || op === 'encoding' || op === 'stat' || op === 'segments') {
    return sock && (op === 'stat' || op === 'segments') ? `${op} ${sock}` : op; // playground operations, not Python calls
  }
  if (op === 'send_frame' || op === 'recv_frame') return frameCall(op, sock, req);
  if (op === 'check') return checkCall(req);
  if (op === 'spawn') return req?.peer ? t('py.spawn', { peer: req.peer, addr: pyAddr(req.addr ?? ['127.0.0.1', 0]) }) : 'spawn';
  if (op === 'lab') return req?.hosts === 0 ? t('py.lab.teardown') : t('py.lab', { n: req?.hosts ?? '…' });
  if (op === 'kill') return req?.peer ? `kill ${req.peer}` : 'kill';
  if (op === 'reset') return 'reset';
  if (op === 'run' || op === 'stop' || op === 'input' || op === 'cell') return programCall(op, req);
  return `${self}${op}(${args ?? (NO_ARGS.has(op) ? '' : '…')})`;
}

/**
 * A program's op, for the log (PROTOCOL.md, Programs and Cells): `run
 * server.py 9000`, `run the cell kernel`, `stop p1`, `input to p1`,
 * `cell accept.1 in p1`.
 */
function programCall(op, req) {
  switch (op) {
    case 'run':
      if (req?.kernel) return t('py.run.kernel');
      return ['run', req?.name ?? 'program.py', ...(req?.args ?? [])].join(' ');
    case 'stop':
      return `stop ${req?.program ?? t('render.lane.program')}`;
    case 'input':
      return t(req?.eof ? 'py.input.eof' : 'py.input', { program: req?.program ?? t('render.lane.program') });
    default:
      return req?.cell ? t('py.cell', { cell: req.cell, program: req.program }) : 'cell';
  }
}

/**
 * An exercise check, for the log (a playground operation, not Python):
 * `check udp-upper → ('127.0.0.1', 9000)`, `check tcp-client, listening on ('127.0.0.1', 0)`.
 */
function checkCall(req) {
  if (!req?.exercise) return 'check';
  if (Array.isArray(req.target)) return `check ${req.exercise} → ${pyAddr(req.target)}`;
  if (Array.isArray(req.listen)) return t('py.check.listen', { exercise: req.exercise, addr: pyAddr(req.listen) });
  return `check ${req.exercise}`;
}

/** Ops whose Python call takes no argument. */
const NO_ARGS = new Set(['accept', 'close', 'getsockname', 'getpeername']);

/**
 * An address as the program writes it: an expression for one it must not
 * hard-code (a port a port-0 bind returned: `('127.0.0.1', s1.getsockname()[1])`),
 * else null (the address as it is).
 * @typedef {(addr: any[]) => string|null} AddrName
 */

/** The Python argument list of a request, without the parentheses. */
function pyArgs(op, req, name) {
  const addr = (a) => (Array.isArray(a) && name?.(a)) || pyAddr(a);
  const withFlags = (first) => (req.flags?.length ? `${first}, ${pyFlags(req.flags)}` : first);
  switch (op) {
    case 'socket':
      return `socket.${req.family ?? 'AF_INET'}, socket.${req.type ?? 'SOCK_STREAM'}`;
    case 'bind':
    case 'connect':
      return addr(req.addr);
    case 'listen':
      return req.backlog == null ? '' : String(req.backlog);
    case 'send':
      return withFlags(pyPayload(req.data));
    case 'sendall':
      return pyPayload(req.data);
    case 'sendto':
      return `${pyPayload(req.data)}, ${addr(req.addr)}`;
    case 'recv':
    case 'recvfrom':
      return withFlags(String(req.bufsize));
    case 'setsockopt':
      return `socket.${req.level}, socket.${req.option}, ${pyOptValue(req.value)}`;
    case 'getsockopt':
      return `socket.${req.level}, socket.${req.option}`;
    case 'settimeout':
      return pyTimeout(req.timeout);
    case 'setblocking':
      return req.flag ? 'True' : 'False';
    case 'shutdown':
      return `socket.${req.how}`;
    default:
      return '';
  }
}

function pyOptValue(v) {
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/** Ops that need their request's arguments to be written as Python. */
const NEEDS_REQUEST = new Set([
  'send', 'sendall', 'sendto', 'recv', 'recvfrom', 'send_frame', 'recv_frame',
  'setsockopt', 'getsockopt', 'shutdown', 'setblocking',
]);

/** Ops with no Python equivalent: they get no transcript line. */
const NOT_PYTHON = new Set(['cancel', 'resume', 'encoding', 'stat', 'check', 'segments', 'watch', 'attach', 'attach_revoke', 'run', 'stop', 'input', 'cell', 'select', 'packets']);

/**
 * What the lines of a result use besides `socket`.
 * @returns {{imports: string[], helpers: string[]}}
 */
export function pythonNeeds(res, req) {
  if (res.ok && peerCode(res, req)) return { imports: ['sockplay'], helpers: [] };
  if (!res.ok || !req || (res.op !== 'send_frame' && res.op !== 'recv_frame')) return { imports: [], helpers: [] };
  return frameNeeds(res.op, req.framing);
}

/**
 * The comment above `import sockplay`: a transcript that starts built-in
 * peers runs only on sockplay's module (plain CPython has no sockplay);
 * one without peers runs on plain CPython.
 */
export const SOCKPLAY_NOTE = t('py.note');

/** The line(s) that import module name, with the note for sockplay's module. */
export function importLines(name) {
  return name === 'sockplay' ? `${SOCKPLAY_NOTE}\nimport sockplay` : `import ${name}`;
}

/**
 * Whether a spawn or kill is written as sockplay's Python (sockplay.spawn,
 * sockplay.kill): its request is known, and a spawn is not on a lab host
 * (sockplay.spawn has no host).
 */
function peerCode(res, req) {
  if (res.op === 'spawn') return Boolean(req?.peer) && !req.host;
  return res.op === 'kill' && Boolean(req?.peer);
}

/**
 * A spawn as Python: `p1, p1_addr = sockplay.spawn('udp-echo', ('127.0.0.1', 0))`,
 * options as keyword arguments, the address it got in a comment.
 */
function spawnLine(res, req) {
  if (!peerCode(res, req)) {
    return t('py.peer', { peer: res.peer, name: res.name, addr: pyAddr(res.addr) });
  }
  const args = [pyStr(req.peer), pyAddr(req.addr ?? ['127.0.0.1', 0]), ...pyKeywords(req.options)];
  return `${res.peer}, ${res.peer}_addr = sockplay.spawn(${args.join(', ')})  # ${t('py.runningat', { addr: pyAddr(res.addr) })}`;
}

/** Options as Python keyword arguments (`count=3`); a key that is no identifier goes in `**{…}`. */
function pyKeywords(options) {
  const words = [];
  const others = [];
  for (const [key, value] of Object.entries(options ?? {})) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) words.push(`${key}=${pyValue(value)}`);
    else others.push(`${pyStr(key)}: ${pyValue(value)}`);
  }
  return others.length ? [...words, `**{${others.join(', ')}}`] : words;
}

/**
 * The transcript line (or lines) for one successful result, or null when the op has
 * no Python equivalent (resume, cancel, encoding) or the result failed.
 * @param {object} res a `result` message
 * @param {object} [req] the request, as the result echoes it
 * @param {AddrName} [name] writes the addresses the program must not hard-code (pyprogram.js)
 * @returns {string|null}
 */
export function pythonLine(res, req, name) {
  if (!res.ok) return null;
  const { op, sock } = res;
  if (NOT_PYTHON.has(op) || !op || op.startsWith('room_')) return null; // room ops are the classroom's, not the program's
  if (op === 'spawn') return spawnLine(res, req);
  if (op === 'lab') {
    return res.hosts?.length
      ? t('py.lab.hosts', { subnet: res.subnet ?? '', hosts: res.hosts.map((x) => `${x.name} ${x.addr}`).join(', ') })
      : t('py.lab.torndown');
  }
  if (op === 'kill') return peerCode(res, req) ? `sockplay.kill(${req.peer})` : t('py.peer.stopped');
  if (op === 'reset') return t('py.reset', { summary: resetSummary(res) });
  if (!req && NEEDS_REQUEST.has(op)) {
    return t('py.norepeat', { call: callExpr(op, sock) });
  }
  if (req?.data?.omitted) {
    return t(res.n != null ? 'py.toolarge.sent' : 'py.toolarge', { call: callExpr(op, sock, req), n: res.n });
  }
  if (op === 'send_frame' || op === 'recv_frame') return frameLines(res, req);
  const call = callExpr(op, sock, req ?? {}, name);
  const note = (text) => `  # ${text}`;
  switch (op) {
    case 'socket': {
      const family = req?.family ?? res.family ?? 'AF_INET';
      const type = req?.type ?? res.type ?? 'SOCK_STREAM';
      const on = req?.host ? `  # ${t('py.onhost', { host: req.host })}` : '';
      return `${res.sock} = socket.socket(socket.${family}, socket.${type})${on}`;
    }
    case 'bind': {
      const asked = req?.addr ? pyAddr(req.addr) : pyAddr(res.addr);
      const bound = pyAddr(res.addr);
      const written = (req?.addr && name?.(req.addr)) || asked;
      return `${sock}.bind(${written})` + (asked === bound ? '' : note(t('py.boundto', { addr: bound })));
    }
    case 'listen':
      return req ? call : `${sock}.listen(${res.backlog ?? ''})`;
    case 'accept':
      return `${res.conn}, addr = ${sock}.accept()` + note(`addr = ${pyAddr(res.addr)}`);
    case 'connect':
      return req ? call : `${sock}.connect(${pyAddr(res.peer)})`;
    case 'send':
      return call + note(`→ ${res.n}`);
    case 'sendto':
      return call + note(`→ ${res.n}`);
    case 'sendall':
      return call;
    case 'recv':
      return `data = ${call}` + note(pyData(res.data));
    case 'recvfrom': {
      const trunc = res.truncated ? t('py.trunc', { n: res.size }) : '';
      return `data, addr = ${call}` + note(`${pyData(res.data)}, ${pyAddr(res.addr)}${trunc}`);
    }
    case 'setsockopt':
      return res.value == null || pyOptValue(req.value) === pyOptValue(res.value)
        ? call
        : call + note(t('py.readsback', { value: res.value }));
    case 'getsockopt':
      return call + note(`→ ${res.value}`);
    case 'settimeout':
      return `${sock}.settimeout(${pyTimeout(req ? req.timeout : res.timeout)})`;
    case 'getsockname':
    case 'getpeername':
      return call + note(`→ ${pyAddr(res.addr)}`);
    default:
      return call;
  }
}

/** What a reset did, in words: "closed s1, s2; stopped p1". */
export function resetSummary(res) {
  const closed = res.sockets?.length ? t('py.reset.closed', { list: res.sockets.join(', ') }) : t('py.reset.nosocket');
  const stopped = res.peers?.length ? t('py.reset.stopped', { list: res.peers.join(', ') }) : t('py.reset.nopeer');
  return t('py.reset.summary', { closed, stopped });
}
