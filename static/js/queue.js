// queue.js — the render queue between the connection and the page: what
// conn.js delivers (messages already checked for seq order, and status
// changes) waits here and is applied in order; the page writes the DOM once
// per animation frame (the frame handler).
//
// Each run is bounded by a time budget (BUDGET_MS) while the page is
// visible, so a flood never makes a long task: clicks are answered between
// runs. A backlog is applied in short tasks between frames as well, so it
// drains quickly and a click's own result does not wait behind it for long.
// At each frame the queue says how many queued messages will (most likely)
// become log entries, so the page need not build entries the log would drop
// before anyone could see them.
//
// A hidden page gets no animation frames; there a timer runs the queue, with
// no budget (nothing is painted).

/** Work per run while the page is visible (ms). */
const BUDGET_MS = 8;
/** During a backlog, the DOM is written at most this often (ms). */
const FLOOD_FRAME_MS = 100;
/** A hidden page's queue runs on this timer (ms); browsers throttle it further. */
const HIDDEN_DELAY_MS = 200;

/**
 * @typedef {object} QueueHandlers
 * @property {(msg: object) => void} message applies one message
 * @property {(status: string, detail?: object) => void} status a status change
 *   (applied after every message delivered before it)
 * @property {() => void} begin the start of a frame's work, before any message
 *   is applied: the moment to read the layout
 * @property {(msgs: object[], ahead: number) => void} frame the end of a frame's
 *   work, with the messages applied in it and how many queued messages after
 *   them count as log entries: the moment to write what was batched to the DOM
 * @property {() => boolean} more whether the page has work left for another
 *   frame even with no message queued (entries still to build)
 * @property {(msg: object) => boolean} counts whether a message will most likely
 *   be a log entry
 */

export class RenderQueue {
  /** @type {QueueHandlers} */
  #on;
  /** @type {Array<{msgs: object[], i: number}|{status: string, detail?: object}>} */
  #items = [];
  #head = 0;
  /** Queued messages that count as log entries. */
  #ahead = 0;
  #frame = 0;
  #timer = 0;
  /** Whether a run between frames is scheduled. */
  #task = false;
  #channel = new MessageChannel();
  /** When the frame handler last ran (performance.now(), ms). */
  #lastFrame = 0;
  /** @type {object[]} messages applied since the last frame */
  #applied = [];

  /** @param {QueueHandlers} handlers */
  constructor(handlers) {
    this.#on = handlers;
    this.#channel.port1.onmessage = () => this.#run(false);
  }

  /** Messages the connection delivered, in order. */
  push(msgs) {
    if (msgs.length === 0) return;
    for (const m of msgs) if (this.#on.counts(m)) this.#ahead++;
    this.#items.push({ msgs, i: 0 });
    this.#schedule();
  }

  /** A status change, applied once everything delivered before it is. */
  pushStatus(status, detail) {
    this.#items.push({ status, detail });
    this.#schedule();
  }

  /** Forgets everything queued (the session changed). */
  clear() {
    this.#items = [];
    this.#head = 0;
    this.#ahead = 0;
    this.#applied = [];
  }

  /** How many messages wait to be applied. */
  get pending() {
    let n = 0;
    for (let k = this.#head; k < this.#items.length; k++) {
      const item = this.#items[k];
      if ('msgs' in item) n += item.msgs.length - item.i;
    }
    return n;
  }

  #schedule() {
    if (!this.#frame && !this.#timer) {
      if (document.hidden) this.#timer = setTimeout(() => this.#run(true), HIDDEN_DELAY_MS);
      else this.#frame = requestAnimationFrame(() => this.#run(true));
    }
    // A backlog is applied between frames too, in tasks as short as a
    // frame's share, so input is handled between them.
    if (!this.#task && this.#head < this.#items.length && 'msgs' in this.#items[this.#head]) {
      this.#task = true;
      this.#channel.port2.postMessage(0);
    }
  }

  /**
   * Applies queued messages for one time budget. A frame run (atFrame) also
   * applies status changes and ends with the frame handler; a run between
   * frames stops at a status change and leaves the DOM to the next frame.
   */
  #run(atFrame) {
    if (atFrame) {
      cancelAnimationFrame(this.#frame);
      clearTimeout(this.#timer);
      this.#frame = 0;
      this.#timer = 0;
      this.#on.begin();
    } else {
      this.#task = false;
    }
    const budget = document.hidden ? Infinity : BUDGET_MS;
    const start = performance.now();
    const applied = this.#applied;
    let outOfTime = false;
    while (this.#head < this.#items.length && !outOfTime) {
      const item = this.#items[this.#head];
      if ('status' in item) {
        if (!atFrame) break;
        this.#flush(applied);
        this.#on.status(item.status, item.detail);
        this.#head++;
        continue;
      }
      const first = item.i;
      while (item.i < item.msgs.length) {
        // At least one message per run, however slow.
        if (item.i > first && performance.now() - start > budget) {
          outOfTime = true;
          break;
        }
        const msg = item.msgs[item.i++];
        if (this.#on.counts(msg)) this.#ahead--;
        this.#on.message(msg);
        applied.push(msg);
      }
      if (!outOfTime) this.#head++;
    }
    if (this.#head > 256 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    // While a backlog lasts, the DOM is written at most every FLOOD_FRAME_MS:
    // the cost of a frame's style, layout and paint hardly depends on how
    // many entries changed, and nobody reads a log that fast.
    const backlog = this.#head < this.#items.length;
    if (atFrame && (!backlog || start - this.#lastFrame >= FLOOD_FRAME_MS)) {
      this.#lastFrame = start;
      this.#flush(applied, true);
    }
    if (backlog || applied.length || this.#on.more()) this.#schedule();
  }

  /** Ends a stretch of applied messages (before a status, or the frame's end). */
  #flush(applied, last = false) {
    if (applied.length === 0 && !last) return;
    this.#on.frame(applied.splice(0), this.#ahead);
  }
}
