// pyprogram.js — the transcript as a program that runs: which lines the
// session's messages give, in an order a Python script can run them in.
//
// Two things a session does that a script written line by line in the
// order of the results would get wrong:
//
// - Ports the kernel chose. A port-0 bind (or a socket the kernel bound
//   implicitly, on connect or a first sendto) gets a port that another run
//   will not get: the lines that use that port name it through the socket,
//   `s2.connect(('127.0.0.1', s1.getsockname()[1]))`, never as a number.
//   A built-in peer spawned at port 0 is named through the address
//   sockplay.spawn returned: `s2.sendto(b'hi', p1_addr)`.
// - Calls that waited. An `accept` that waited until a later `connect`, or a
//   `recv` until a later `send`, cannot come first in a script that runs one
//   line at a time: it would wait forever. Its line is held back; the
//   result of a later request that touches none of the held lines' sockets
//   (the connect, the send) goes before it, and the held lines follow the
//   first result that does touch them (or that an earlier request gave) —
//   the kernel queues the connection (or the data), so the script's accept
//   (or recv) finds it at once. Calls that finished together may come in
//   either order in the log; the script comes out the same. Only the calls
//   that wait for the peer are held (accept, recv, recvfrom, recv_frame): a
//   connect or send that waited waited for the kernel, and what came after
//   it may need it done. A page releases held lines after a quiet moment
//   (release).

import { pythonLine, pythonNeeds } from './python.js';
import { pyStr } from './pyrepr.js';

/**
 * @typedef {{text: string, seq: number, needs: {imports: string[], helpers: string[]}}} Line
 */

/**
 * Ops whose wait a later request of the session ends (the connect that an
 * accept waits for, the send a recv waits for): the lines held back. A
 * connect or a send that waited waits for the kernel alone.
 */
const WAITS_FOR_PEER = new Set(['accept', 'recv', 'recvfrom', 'recv_frame']);

/** Ops that take an address the program may have to write by name. */
const ADDR_OPS = new Set(['bind', 'connect', 'sendto']);

export class Program {
  /** @type {Map<number, {owner: string, addr?: any[]}>} port → the socket (or the peer, with its address) whose port it is, for ports the kernel chose */
  #named = new Map();
  /** @type {Set<string>} sockets bound to a port the learner chose */
  #chosen = new Set();
  /** @type {Set<number>} the ports the learner chose */
  #chosenPorts = new Set();
  /** @type {Set<string>} sockets made by accept (they share the listener's port) */
  #accepted = new Set();
  /** @type {Set<string>} sockets a program made (run, sockplay run): its own code, not the transcript's */
  #programs = new Set();
  /** @type {Set<string>} ids of requests that waited */
  #waited = new Set();
  /** @type {{id: number, socks: Set<string>, lines: Line[]}|null} the waited results held back: the highest id, their sockets, their lines */
  #held = null;

  /** Starts over (a new session). */
  reset() {
    this.#named.clear();
    this.#chosen.clear();
    this.#chosenPorts.clear();
    this.#accepted.clear();
    this.#waited.clear();
    this.#programs.clear();
    this.#held = null;
  }

  /**
   * Takes one message of the session, in seq order.
   * @param {object} msg
   * @returns {Line[]} the lines it lets the transcript write, in order
   */
  note(msg) {
    switch (msg.kind) {
      case 'waiting':
        this.#waited.add(String(msg.id));
        return [];
      case 'socket':
        this.#noteSocket(msg);
        return [];
      case 'result':
        return this.#noteResult(msg);
      default:
        return [];
    }
  }

  /** @returns {Line[]} the held line, released (none held: []) */
  release() {
    const held = this.#held;
    this.#held = null;
    return held ? held.lines : [];
  }

  /** Whether a line is held back. */
  get holding() {
    return this.#held != null;
  }

  /** The lines still held, for a copy of the whole program (they stay held). */
  pending() {
    return this.#held ? this.#held.lines : [];
  }

  /** Notes the port the kernel gave a socket the learner did not bind, and forgets a closed one's. */
  #noteSocket(msg) {
    const sock = msg.sock;
    if (msg.program) this.#programs.add(sock);
    if (msg.state === 'CLOSED') {
      this.#forget(sock);
      return;
    }
    const port = Array.isArray(msg.laddr) ? msg.laddr[1] : 0;
    if (!port || this.#chosen.has(sock) || this.#accepted.has(sock) || this.#chosenPorts.has(port) || this.#named.has(port)) return;
    this.#named.set(port, { owner: sock });
  }

  /** Forgets the ports the kernel chose for a closed socket or a stopped peer. */
  #forget(owner) {
    for (const [port, v] of this.#named) if (v.owner === owner) this.#named.delete(port);
  }

  /** Notes a peer's port when the kernel chose it (a spawn at port 0), and the learner's port otherwise. */
  #notePeer(res) {
    const asked = res.request?.addr ?? ['127.0.0.1', 0];
    const port = Array.isArray(res.addr) ? res.addr[1] : 0;
    if (!port) return;
    if (asked[1]) this.#chosenPorts.add(port);
    else if (!this.#named.has(port)) this.#named.set(port, { owner: res.peer, addr: res.addr });
  }

  /** @returns {Line[]} */
  #noteResult(res) {
    const req = res.request;
    // A program's request (a negative id: PROTOCOL.md, Programs) is its own
    // code, even one with no socket (spawn, kill).
    if (res.program || this.#programs.has(res.sock) || Number(res.id) < 0) {
      for (const sock of [res.sock, res.conn]) if (sock) this.#programs.add(sock);
      return []; // a program's own call: its code is the program's, not the workbench's
    }
    if (res.ok && res.op === 'bind' && Array.isArray(req?.addr)) {
      if (req.addr[1]) {
        this.#chosen.add(res.sock);
        this.#chosenPorts.add(req.addr[1]);
      }
      else if (Array.isArray(res.addr) && res.addr[1] && !this.#named.has(res.addr[1])) this.#named.set(res.addr[1], { owner: res.sock });
    }
    if (res.ok && res.op === 'spawn' && res.peer) this.#notePeer(res);
    if (res.ok && res.op === 'kill' && req?.peer) this.#forget(req.peer);
    if (res.ok && res.op === 'accept' && res.conn) this.#accepted.add(res.conn);
    const text = pythonLine(res, req, ADDR_OPS.has(res.op) ? (addr) => this.#name(addr, res.sock) : undefined);
    if (text == null) return [];
    const line = { text, seq: res.seq, needs: pythonNeeds(res, req) };
    const id = Number(res.id);
    const waited = this.#waited.delete(String(res.id)) && WAITS_FOR_PEER.has(res.op);
    const held = this.#held;
    // A later request's result that touches none of the held lines'
    // sockets goes before them: it is what they waited for, or unrelated.
    const before = held != null && id > held.id && !held.socks.has(res.sock);
    if (waited) {
      const socks = [res.sock, res.conn].filter(Boolean);
      if (before) {
        for (const s of socks) held.socks.add(s);
        held.id = id;
        held.lines.unshift(line);
        return [];
      }
      this.#held = { id, socks: new Set(socks), lines: [line] };
      return held ? held.lines : [];
    }
    if (!held) return [line];
    this.#held = null;
    return before ? [line, ...held.lines] : [...held.lines, line];
  }

  /**
   * The expression for addr when its port is one the kernel chose for
   * another socket than self, `('127.0.0.1', s1.getsockname()[1])`, or for
   * a peer: `p1_addr` (`('localhost', p1_addr[1])` at another host name).
   */
  #name(addr, self) {
    const named = this.#named.get(addr[1]);
    if (!named || named.owner === self) return null;
    if (named.addr && addr.length === 2 && addr[0] === named.addr[0]) return `${named.owner}_addr`;
    const parts = addr.map((v) => (typeof v === 'string' ? pyStr(v) : String(v)));
    parts[1] = named.addr ? `${named.owner}_addr[1]` : `${named.owner}.getsockname()[1]`;
    return `(${parts.join(', ')})`;
  }
}
