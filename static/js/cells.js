// cells.js — a lesson's Python cells on the session's kernel, as
// templates/lessons/FORMAT.md says: the page starts one kernel (op run
// {"kernel": true}) the first time a cell runs, and each Run sends op cell
// with the cell's code. The kernel runs cells in order, each in its own
// thread in one namespace; a cell that blocks (accept, recv) is reported
// waiting and the next one runs. Output, cell_start, cell_waiting and
// cell_done messages (web/PROTOCOL.md, "Cells") update the cell's run.
//
// This knows nothing of the page: it reports each run's changes to an
// onChange callback, and the page draws them.

import { runLang, server, t } from './i18n.js';

/**
 * One run of one cell.
 *
 * state: 'starting' (the kernel is starting) | 'queued' (sent; earlier cells
 * still run) | 'running' | 'waiting' | 'ok' | 'fail'.
 */
export class CellRun {
  /**
   * @param {string} cell the lesson's cell id
   * @param {string} wire the kernel's name for this run
   */
  constructor(cell, wire) {
    this.cell = cell;
    this.wire = wire;
    this.state = 'starting';
    /** @type {{stream: string, text: string}[]} what it printed, in order */
    this.output = [];
    /** the exception's last line (state fail), or why the run broke */
    this.error = '';
    /** true when the run failed without running (no kernel, the kernel ended) */
    this.broken = false;
    /** @type {string[]} the socket handles the cell's code names */
    this.sockets = [];
    this.finished = deferred();
  }

  get done() {
    return this.state === 'ok' || this.state === 'fail';
  }
}

export class CellKernel {
  #send;
  #onChange;
  /** @type {string|null} the kernel's program id */
  program = null;
  /** @type {Promise<string>|null} */
  #starting = null;
  /** @type {Map<number, (msg: object) => void>} results awaited, by request id */
  #awaiting = new Map();
  /** @type {Map<string, CellRun>} runs by wire name */
  #runs = new Map();
  #count = 0;

  /**
   * @param {(op: string, args: object) => number} send sends a request, returns its id
   * @param {(run: CellRun) => void} onChange called whenever a run changes
   */
  constructor(send, onChange) {
    this.#send = send;
    this.#onChange = onChange;
  }

  /** Feeds the session's messages to the runs they are about. */
  onMessages(msgs) {
    for (const msg of msgs) {
      if (msg.kind === 'result' && this.#awaiting.has(msg.id)) {
        const resolve = this.#awaiting.get(msg.id);
        this.#awaiting.delete(msg.id);
        resolve(msg);
        continue;
      }
      if (!this.program || msg.program !== this.program) continue;
      if (msg.kind === 'exit') {
        this.#ended(msg.reason ? t('cells.kernelended.why', { why: `${msg.reason}${msg.limit ? `: ${msg.limit}` : ''}` }) : t('cells.kernelended'));
        continue;
      }
      const run = msg.cell == null ? undefined : this.#runs.get(msg.cell);
      if (!run) continue;
      switch (msg.kind) {
        case 'output':
          run.output.push({ stream: msg.stream, text: msg.text });
          break;
        case 'cell_start':
          if (!run.done) run.state = 'running';
          run.sockets = msg.sockets ?? [];
          break;
        case 'cell_waiting':
          if (!run.done) run.state = 'waiting';
          break;
        case 'cell_done':
          run.state = msg.ok ? 'ok' : 'fail';
          run.error = msg.error ?? '';
          if (msg.sockets) run.sockets = msg.sockets;
          run.finished.resolve(run);
          break;
        default:
          continue;
      }
      this.#onChange(run);
    }
  }

  /** Forgets the kernel (the session changed: its programs are gone). */
  reset() {
    this.#ended(t('cells.sessionchanged'));
  }

  /**
   * Runs a cell's code. The run reports its changes to onChange; its
   * `finished` resolves when the cell ends. With rerun true (a lesson's
   * cell), the runs of one cell id replace each other: the kernel closes
   * what the cell's earlier runs made and left open before the code runs,
   * and says so in the first line of its output (PROTOCOL.md, Cells).
   * @param {string} cell
   * @param {string} code
   * @param {{rerun?: boolean}} [opts]
   * @returns {CellRun}
   */
  run(cell, code, { rerun = false } = {}) {
    const run = new CellRun(cell, `${cell}.${++this.#count}`);
    this.#runs.set(run.wire, run);
    this.#onChange(run);
    this.#start().then(async (program) => {
      const result = await this.#request('cell', { program, cell: run.wire, code, ...(rerun ? { rerun_key: cell } : {}) });
      if (run.done) return;
      if (result.ok) {
        if (run.state === 'starting') run.state = 'queued';
      } else {
        this.#fail(run, server(result.error?.message) ?? t('cells.notsent'));
      }
      this.#onChange(run);
    }, (err) => {
      this.#fail(run, String(err.message ?? err));
      this.#onChange(run);
    });
    return run;
  }

  /** Starts the kernel once; resolves to its program id. */
  #start() {
    if (!this.#starting) {
      this.#starting = this.#request('run', { kernel: true, ...runLang }).then((result) => {
        if (!result.ok) {
          this.#starting = null;
          throw new Error(server(result.error?.message) ?? t('cells.nostart'));
        }
        this.program = result.program;
        return result.program;
      });
    }
    return this.#starting;
  }

  /** Sends a request; resolves to its result message. */
  #request(op, args) {
    return new Promise((resolve) => this.#awaiting.set(this.#send(op, args), resolve));
  }

  #fail(run, why) {
    run.state = 'fail';
    run.error = why;
    run.broken = true;
    run.finished.resolve(run);
  }

  /** The kernel is gone: every run not done fails with why. */
  #ended(why) {
    this.program = null;
    this.#starting = null;
    for (const run of this.#runs.values()) {
      if (run.done) continue;
      this.#fail(run, why);
      this.#onChange(run);
    }
    this.#runs.clear();
  }
}

/** A promise with its resolve function. */
function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}
