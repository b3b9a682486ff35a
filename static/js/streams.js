// streams.js — what the page knows of each TCP byte stream: the send calls
// that wrote it and the recv calls that read it, on one byte axis.
//
// Offsets come from the server (`stream: [start, end]` on send, recv and
// framing results; `sends` on recv results names the send calls a chunk
// holds). The sending socket of a connection is paired with the receiving
// one when one's local address is the other's peer address, so sends that
// have not been read yet can be shown waiting above the receiver's axis.
//
// view(receiver) gives a window of that stream for streammap.js to draw.
// Nothing here touches the DOM.

import { hexToBytes, payloadBytes } from './bytes.js';

/** The map shows at most this many recv chunks (the latest). */
const MAX_CHUNKS = 6;
/** …and at most this many send brackets. */
const MAX_SENDS = 8;
/** Ops whose results write to a stream. */
const SEND_OPS = new Set(['send', 'sendall', 'send_frame']);
/** Ops whose results read from a stream. */
const RECV_OPS = new Set(['recv', 'recvfrom', 'recv_frame']);

/**
 * @typedef {object} Send one send call, by its range in the stream
 * @property {number} start
 * @property {number} end
 * @property {number|null} index the n-th send on its socket, from 1 (null if unknown)
 * @property {number|null} id its request id, if made in this session
 * @property {string} [op]
 * @property {Uint8Array|null} [bytes] what it wrote, when the page knows
 *
 * @typedef {object} Chunk one recv call's bytes
 * @property {number} start
 * @property {number} end
 * @property {number|null} id the request id
 * @property {string} call e.g. "recv(1024)"
 * @property {boolean} peek read with MSG_PEEK: shown, not consumed
 * @property {Uint8Array|null} bytes
 * @property {number[]|null} sends the indexes of the send calls it holds, as the server named them
 */

export class Streams {
  /** @type {Map<string, Send[]>} send calls by sending socket */
  #out = new Map();
  /** @type {Map<string, Chunk[]>} recv chunks by receiving socket */
  #in = new Map();
  /** @type {Map<string, Map<number, Send>>} sends named in a receiver's recv results, by start */
  #named = new Map();
  /** @type {Map<string, string>} the other end of each paired socket */
  #peer = new Map();
  /** @type {Map<string, {type: string, laddr: any, raddr: any}>} */
  #socks = new Map();
  /** @type {Map<string, number>} where a receiver saw the peer close (b'') */
  #eof = new Map();

  /** Forgets everything (the session changed). */
  reset() {
    for (const m of [this.#out, this.#in, this.#named, this.#peer, this.#socks, this.#eof]) m.clear();
  }

  /**
   * Notes a socket's addresses and pairs it with the other end of its
   * connection if that is a socket of this session.
   * @returns {string[]} the receivers whose view changed
   */
  noteSocket(msg) {
    if (msg.type !== 'SOCK_STREAM') return [];
    this.#socks.set(msg.sock, { type: msg.type, laddr: msg.laddr, raddr: msg.raddr });
    if (this.#peer.has(msg.sock) || !msg.laddr || !msg.raddr) return [];
    for (const [other, s] of this.#socks) {
      if (other !== msg.sock && sameAddr(s.laddr, msg.raddr) && sameAddr(s.raddr, msg.laddr)) {
        this.#peer.set(msg.sock, other);
        this.#peer.set(other, msg.sock);
        return [msg.sock, other].filter((h) => this.has(h));
      }
    }
    return [];
  }

  /** @returns {string|undefined} the socket at the other end, if paired */
  peerOf(sock) {
    return this.#peer.get(sock);
  }

  /**
   * Takes a result.
   * @returns {string[]} the receivers whose view changed
   */
  noteResult(res) {
    if (res.op === 'recv_frame' && res.reads?.length) {
      // Its reads consumed bytes even if it then failed (a bad length, a timeout).
      const chunks = frameChunks(res);
      if (chunks.length) listIn(this.#in, res.sock).push(...chunks);
      return chunks.length ? [res.sock] : [];
    }
    if (!res.ok || !Array.isArray(res.stream)) return [];
    const req = res.request ?? {};
    const [start, end] = res.stream;
    if (SEND_OPS.has(res.op)) {
      if (end <= start) return [];
      const list = listIn(this.#out, res.sock);
      const bytes = res.op === 'send_frame' ? dataBytes(res.frame) : payloadBytes(req.data)?.subarray(0, end - start) ?? null;
      list.push({ start, end, index: list.length + 1, id: res.id ?? null, op: res.op, bytes });
      const peer = this.#peer.get(res.sock);
      return peer ? [peer] : [];
    }
    if (!RECV_OPS.has(res.op)) return [];
    const chunks = listIn(this.#in, res.sock);
    if (end > start) {
      chunks.push({
        start, end, id: res.id ?? null,
        call: `${res.op}(${req.bufsize ?? '…'})`,
        peek: (req.flags ?? []).includes('MSG_PEEK'),
        bytes: dataBytes(res.data),
        sends: res.sends?.map((s) => s.index) ?? null,
      });
    } else if (res.data?.size === 0) {
      this.#eof.set(res.sock, end);
    }
    const named = mapIn(this.#named, res.sock);
    for (const s of res.sends ?? []) {
      named.set(s.range[0], { start: s.range[0], end: s.range[1], index: s.index, id: s.id ?? null });
    }
    return [res.sock];
  }

  /** Whether a socket has anything to show as a receiver. */
  has(sock) {
    if (this.#in.get(sock)?.length) return true;
    const peer = this.#peer.get(sock);
    return !!(peer && this.#out.get(peer)?.length);
  }

  /** How many send calls a socket made (successful, with stream offsets). */
  sendCount(sock) {
    return this.#out.get(sock)?.length ?? 0;
  }

  /** How many recv calls consumed bytes on a socket. */
  recvCount(sock) {
    return (this.#in.get(sock) ?? []).filter((c) => !c.peek).length;
  }

  /**
   * The window of a receiver's stream to draw: the latest chunks, the sends
   * over them, and any sends not read yet.
   * @returns {StreamView|null}
   */
  view(sock) {
    if (!this.has(sock)) return null;
    const all = this.#in.get(sock) ?? [];
    const consumed = all.filter((c) => !c.peek);
    const sends = this.#sendsInto(sock);
    const readTo = consumed.length ? consumed[consumed.length - 1].end : 0;
    const peeks = all.filter((c) => c.peek && c.start >= readTo).slice(-1); // the latest, if nothing was read since
    const shown = consumed.slice(-MAX_CHUNKS);
    let lo = shown[0]?.start ?? sends[0]?.start ?? peeks[0]?.start ?? 0;
    const hi = Math.max(readTo, ...[...sends, ...shown, ...peeks].map((x) => x.end));
    const inWindow = sends.filter((s) => s.end > lo);
    if (inWindow.length > MAX_SENDS) lo = inWindow[inWindow.length - MAX_SENDS].start;
    const clip = (x) => ({ ...x, from: Math.max(x.start, lo), to: Math.min(x.end, hi) });
    const chunks = consumed.filter((c) => c.end > lo).map(clip);
    const brackets = sends.filter((s) => s.end > lo).map(clip);
    for (const c of chunks) c.sends = c.sends ?? brackets.filter((b) => overlaps(b, c)).map((b) => b.index);
    for (const b of brackets) {
      b.chunks = chunks.filter((c) => overlaps(b, c)).length;
      b.read = Math.max(0, Math.min(b.end, readTo) - b.start);
    }
    return {
      sock,
      peer: this.#peer.get(sock) ?? null,
      lo, hi, readTo,
      earlier: consumed.length - shown.length,
      brackets,
      chunks,
      peeks: peeks.filter((c) => c.end > lo).map(clip),
      eof: this.#eof.get(sock) ?? null,
      byteAt: (off) => this.#byteAt(sock, sends, off),
    };
  }

  /** The sends whose bytes go into a receiver's stream, by start offset. */
  #sendsInto(sock) {
    const byStart = new Map();
    const peer = this.#peer.get(sock);
    for (const s of (peer && this.#out.get(peer)) ?? []) byStart.set(s.start, { ...s });
    for (const s of this.#named.get(sock)?.values() ?? []) {
      const known = byStart.get(s.start);
      byStart.set(s.start, known ? { ...known, index: s.index, id: s.id ?? known.id } : { ...s, bytes: null });
    }
    return [...byStart.values()].sort((a, b) => a.start - b.start);
  }

  /** The byte at a stream offset, from what was read or what was sent; null if unknown. */
  #byteAt(sock, sends, off) {
    for (const c of this.#in.get(sock) ?? []) {
      if (c.bytes && off >= c.start && off < c.end && off - c.start < c.bytes.length) return c.bytes[off - c.start];
    }
    for (const s of sends) {
      if (s.bytes && off >= s.start && off < s.end && off - s.start < s.bytes.length) return s.bytes[off - s.start];
    }
    return null;
  }
}

/**
 * @typedef {object} StreamView
 * @property {string} sock the receiver
 * @property {string|null} peer the sender, when it is a socket of this session
 * @property {number} lo first offset shown
 * @property {number} hi end of what is shown
 * @property {number} readTo how far the receiver has read
 * @property {number} earlier chunks before the window, not shown
 * @property {(Send & {from: number, to: number, chunks: number, read: number})[]} brackets
 * @property {(Chunk & {from: number, to: number})[]} chunks
 * @property {(Chunk & {from: number, to: number})[]} peeks
 * @property {number|null} eof where recv returned b''
 * @property {(off: number) => number|null} byteAt
 */

/**
 * The chunks of a recv_frame result: each real recv it made, by its own
 * stream range (the server gives one for every read that got bytes). The
 * bytes of a read are shown only in part when it was large.
 */
function frameChunks(res) {
  const out = [];
  for (const r of res.reads ?? []) {
    if (!Array.isArray(r.stream) || r.stream[1] <= r.stream[0]) continue;
    out.push({
      start: r.stream[0], end: r.stream[1], id: res.id ?? null,
      call: `recv(${r.bufsize})`, peek: !!r.peek, bytes: dataBytes(r.data), sends: null, frame: true,
    });
  }
  return out;
}

function dataBytes(data) {
  try {
    return data?.hex != null ? hexToBytes(data.hex) : null;
  } catch {
    return null;
  }
}

function overlaps(a, b) {
  return a.start < b.end && b.start < a.end;
}

function sameAddr(a, b) {
  return Array.isArray(a) && Array.isArray(b) && a[0] === b[0] && a[1] === b[1];
}

function listIn(map, key) {
  if (!map.has(key)) map.set(key, []);
  return map.get(key);
}

function mapIn(map, key) {
  if (!map.has(key)) map.set(key, new Map());
  return map.get(key);
}
