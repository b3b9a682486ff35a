// conn.js — the WebSocket connection to one sockplay session (sockplay.v1).
//
// It keeps the page's view of the session's log gapless and duplicate-free
// across dropped connections and reloads:
//   - after every (re)connect it waits for `hello`, then sends
//     `resume {after: lastSeq}` as the first request (lastSeq is 0 after a
//     reload, so the page rebuilds from the whole log), then any requests
//     queued while it was disconnected;
//   - a frame holds one message or an array of them;
//   - a message with seq ≤ lastSeq is a duplicate and dropped (the hello that
//     opens a resumed connection restates the latest seq; it is connection
//     information, not a log entry);
//   - a seq that skips ahead is a gap: the connection is dropped and
//     reopened, and the resume fetches what was missed (a `snapshot` may jump;
//     a gap that comes back at the same place after the resume is accepted);
//   - a hello that names another session (the old one ended) resets the view;
//   - reconnects back off exponentially with jitter;
//   - a connection that fails to open asks the server why, with a plain GET
//     of the same URL (a page cannot see a refused upgrade's HTTP status):
//     when a limit refused it ("the server is full, try again in a minute")
//     the status says so and the next try waits the server's retry_after.
//
// Request ids start at the time the page loaded (ms), so they stay unique
// across reloads and tabs: an id still waiting on the server is never reused.

import { server, t } from './i18n.js';

/** Connection states, shown by the page's status indicator. */
export const Status = Object.freeze({
  CONNECTING: 'connecting',
  LIVE: 'live',
  RECONNECTING: 'reconnecting',
  /** The server refused a new session (it is full); detail.message says why. */
  REFUSED: 'refused',
});

/** First reconnect delay (ms); it doubles per failed attempt up to MAX_DELAY. */
const BASE_DELAY = 250;
/** Longest reconnect delay (ms). */
const MAX_DELAY = 8000;
/** WebSocket close code the page uses when it drops a connection over a seq gap. */
const CLOSE_GAP = 4000;
/** Close code for a frame that is not JSON. */
const CLOSE_UNREADABLE = 4001;

/**
 * @typedef {object} Handlers
 * @property {(msgs: object[]) => void} onMessages new log messages, in seq order
 * @property {(hello: object) => void} [onHello] every connection's hello
 * @property {(hello: object) => void} [onReset] the session changed: forget everything
 * @property {(status: string, detail?: {delay?: number, code?: number, message?: string}) => void} [onStatus]
 */

/** The absolute WebSocket URL for a path, on the page's own host. */
export function wsURL(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  return url.href;
}

export class Connection {
  #url;
  /** @type {Handlers} */
  #on;
  /** @type {WebSocket|null} */
  #ws = null;
  /** Whether the current connection has had its hello (and sent resume). */
  #ready = false;
  #lastSeq = 0;
  #session = null;
  #nextId;
  #resumeId = null;
  /** The lastSeq at the last gap, so a gap that a resume cannot fill is not chased forever. */
  #gapAfter = -1;
  /** Requests made while not connected, sent after the next resume. */
  #outbox = [];
  #attempt = 0;
  #timer = 0;
  #stopped = false;
  #replay = true;

  /**
   * @param {string} url absolute ws:// or wss:// URL
   * @param {Handlers} handlers
   * @param {{firstId?: number, replay?: boolean}} [options] replay false:
   * start from the session's latest message, without the log before it
   * (a page that only wants what happens from now on, such as room.js)
   */
  constructor(url, handlers, { firstId = Date.now(), replay = true } = {}) {
    this.#url = url;
    this.#on = handlers;
    this.#nextId = firstId;
    this.#replay = replay;
  }

  /** The seq of the last log message delivered. */
  get lastSeq() {
    return this.#lastSeq;
  }

  /** Opens the connection; it reconnects by itself until stop(). */
  start() {
    addEventListener('online', () => this.#reconnectSoon());
    this.#open(Status.CONNECTING);
  }

  /** Closes the connection for good. */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#ws?.close(1000, 'page closed');
    this.#ws = null;
  }

  /**
   * Sends a request now, or after the next resume if not connected.
   * @param {string} op
   * @param {object} [args] the op's arguments
   * @returns {number} the request id its `waiting` and `result` will carry
   */
  request(op, args = {}) {
    const req = { ...args, id: this.#nextId++, op };
    if (this.#ready) this.#send(req);
    else this.#outbox.push(req);
    return req.id;
  }

  #open(status) {
    this.#on.onStatus?.(status);
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    this.#ready = false;
    ws.onmessage = (ev) => {
      if (ws === this.#ws) this.#receive(ws, ev.data);
    };
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onclose = (ev) => {
      if (ws !== this.#ws) return;
      if (opened) this.#lost(ev.code);
      else this.#failedOpen(ev.code);
    };
  }

  /** A connection that never opened: refused by a limit, or just lost. */
  async #failedOpen(code) {
    this.#ws = null;
    this.#ready = false;
    const why = await admission(this.#url);
    if (this.#stopped || this.#ws) return; // reopened meanwhile
    if (why?.admitted !== false) return this.#lost(code);
    const delay = (Number(why.retry_after) || 60) * 1000;
    this.#on.onStatus?.(Status.REFUSED, { delay, code, message: server(String(why.message ?? t('conn.refused'))) });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#open(Status.RECONNECTING), delay);
  }

  #send(req) {
    this.#ws.send(JSON.stringify(req));
  }

  #receive(ws, text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.#drop(ws, CLOSE_UNREADABLE, 'unreadable frame');
    }
    const delivered = [];
    let caughtUp = false;
    for (const msg of Array.isArray(frame) ? frame : [frame]) {
      if (!this.#ready) {
        if (msg.kind !== 'hello') continue; // nothing precedes the hello
        this.#hello(msg, delivered);
        continue;
      }
      if (msg.kind === 'result' && msg.id != null && msg.id === this.#resumeId) {
        this.#resumeId = null;
        caughtUp = true;
      }
      if (typeof msg.seq !== 'number') {
        delivered.push(msg);
        continue;
      }
      if (msg.seq <= this.#lastSeq) continue;
      if (msg.seq !== this.#lastSeq + 1 && msg.kind !== 'snapshot') {
        if (this.#gapAfter !== this.#lastSeq) {
          this.#gapAfter = this.#lastSeq;
          if (delivered.length) this.#on.onMessages(delivered);
          return this.#drop(ws, CLOSE_GAP, `seq gap after ${this.#lastSeq}`);
        }
        // The same gap again after a resume: the server does not have those
        // messages, so reconnecting cannot help. Go on from here.
        console.warn(`sockplay: messages ${this.#lastSeq + 1}–${msg.seq - 1} are missing`);
      }
      this.#lastSeq = msg.seq;
      delivered.push(msg);
    }
    if (delivered.length) this.#on.onMessages(delivered);
    if (caughtUp) this.#on.onStatus?.(Status.LIVE);
  }

  #hello(hello, delivered) {
    if (this.#session !== null && hello.session !== this.#session) {
      this.#lastSeq = 0;
      this.#on.onReset?.(hello);
    }
    if (!this.#replay && this.#session === null) this.#lastSeq = Number(hello.last_seq ?? hello.seq) || 0;
    this.#session = hello.session;
    // A new session's hello is its first log entry; a resumed one is not.
    if (!hello.resumed && hello.seq === this.#lastSeq + 1) {
      this.#lastSeq = hello.seq;
      delivered.push(hello);
    }
    this.#on.onHello?.(hello);
    this.#attempt = 0;
    this.#ready = true;
    this.#resumeId = this.#nextId++;
    this.#send({ id: this.#resumeId, op: 'resume', after: this.#lastSeq });
    for (const req of this.#outbox.splice(0)) this.#send(req);
  }

  /** Gives up on a connection the page no longer trusts, and reconnects. */
  #drop(ws, code, reason) {
    ws.close(code, reason);
    this.#lost(code);
  }

  #lost(code) {
    this.#ws = null;
    this.#ready = false;
    this.#resumeId = null;
    if (this.#stopped) return;
    const delay = Math.round(
      Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.#attempt++) * (0.5 + Math.random() / 2),
    );
    this.#on.onStatus?.(Status.RECONNECTING, { delay, code });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#open(Status.RECONNECTING), delay);
  }

  /** Skips the rest of the backoff delay (the network came back). */
  #reconnectSoon() {
    if (this.#ws || this.#stopped) return;
    clearTimeout(this.#timer);
    this.#open(Status.RECONNECTING);
  }
}

/**
 * Asks the server whether it would admit a new session: a plain GET of the
 * WebSocket's own URL answers {admitted, reason, message, retry_after}
 * (PROTOCOL.md, Connection). Null when it cannot tell.
 * @param {string} wsUrl
 * @returns {Promise<{admitted: boolean, reason?: string, message?: string, retry_after?: number}|null>}
 */
async function admission(wsUrl) {
  try {
    const resp = await fetch(wsUrl.replace(/^ws/, 'http'), { cache: 'no-store' });
    return await resp.json();
  } catch {
    return null;
  }
}
