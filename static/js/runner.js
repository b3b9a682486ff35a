// runner.js — runs lesson steps on the session, as templates/lessons/FORMAT.md
// says: each line is sent with a fresh id; the runner goes on at its result or
// at `waiting`; a result that came at once is checked at once (a mismatch
// stops the step); at the end it waits up to 5 s for the rest, checks them,
// and cancels what is still waiting (except lines that expect to wait).
//
// The runner knows nothing of the page: it reports each line's progress to
// an onChange callback, and the page draws it.
//
// A result that came at once is checked once the variables its expect names
// are all defined: a line that names a variable whose defining line is still
// waiting (accept before connect, connect's own result) waits for that
// result first, up to 5 s.

import { applyResult, check, expectsWaiting, markPending, resolve, ResolveError } from './steps.js';

/** How long the end of a step waits for outstanding results (ms). */
export const END_WAIT = 5000;
/** How long a line waits for its first answer, result or waiting (ms). */
export const ANSWER_WAIT = 10000;

/**
 * One line of one run of a step.
 *
 * state: 'pending' (not sent) | 'sent' | 'waiting' | 'ok' | 'fail' | 'skipped'.
 * A line that expects to wait is 'ok' once the step ended with it waiting;
 * its result, if it comes later, is kept in `result` (late = true).
 */
export class LineRun {
  /** @param {import('./steps.js').Line} line */
  constructor(line) {
    this.line = line;
    this.state = 'pending';
    /** @type {number|null} */
    this.id = null;
    /** @type {object|null} the request as sent */
    this.request = null;
    /** @type {object|null} */
    this.waiting = null;
    /** @type {object|null} */
    this.result = null;
    this.why = '';
    this.checked = false;
    this.late = false;
    this.answered = deferred();
    this.resulted = deferred();
  }
}

export class Runner {
  #send;
  #onChange;
  #hint;
  /** @type {Map<string, import('./steps.js').Variable>} */
  vars = new Map();
  /** @type {Map<number, LineRun>} every line run sent, by request id */
  #byId = new Map();

  /**
   * @param {(op: string, args: object) => number} send sends a request, returns its id
   * @param {(run: LineRun) => void} onChange called whenever a line run changes
   * @param {(name: string) => string} [hint] more words for an undefined variable
   */
  constructor(send, onChange, hint = () => '') {
    this.#send = send;
    this.#onChange = onChange;
    this.#hint = hint;
  }

  /** Forgets every variable and request (the session changed). */
  reset() {
    this.vars.clear();
    this.#byId.clear();
  }

  /** Feeds the session's messages to the line runs they answer. */
  onMessages(msgs) {
    for (const msg of msgs) {
      if (msg.kind !== 'waiting' && msg.kind !== 'result') continue;
      const run = msg.id == null ? undefined : this.#byId.get(msg.id);
      if (!run || run.result) continue;
      if (msg.kind === 'waiting') {
        run.waiting = msg;
        if (run.state === 'sent') run.state = 'waiting';
        run.answered.resolve();
      } else {
        run.result = msg;
        applyResult(this.vars, run, msg);
        if (run.checked) run.late = true; // a line that expected to wait: shown, not checked
        run.answered.resolve();
        run.resulted.resolve();
      }
      this.#onChange(run);
    }
  }

  /**
   * Runs one step's lines; resolves to true when every line passed.
   * @param {import('./steps.js').Line[]} lines
   * @param {(runs: LineRun[]) => void} [started] gets the runs before anything is sent
   * @returns {Promise<boolean>}
   */
  async run(lines, started) {
    const runs = lines.map((l) => new LineRun(l));
    started?.(runs);
    let stopped = false;
    for (const run of runs) {
      if (stopped) {
        this.#set(run, 'skipped', 'not sent: an earlier line failed');
        continue;
      }
      let request;
      try {
        request = await this.#resolveRequest(run.line.request);
      } catch (e) {
        this.#set(run, 'fail', e.message);
        stopped = true;
        continue;
      }
      markPending(this.vars, run);
      const { op, ...args } = request;
      run.request = request;
      run.id = this.#send(op, args);
      this.#byId.set(run.id, run);
      this.#set(run, 'sent');
      if (!(await within(run.answered.promise, ANSWER_WAIT))) {
        this.#set(run, 'fail', `no answer from the server within ${ANSWER_WAIT / 1000} s`);
        stopped = true;
        continue;
      }
      if (run.result && !run.checked) {
        if (expectsWaiting(run.line)) {
          run.checked = true;
          this.#set(run, 'fail', 'waiting: it was expected to still be waiting, but its result came');
        } else {
          await this.#awaitVariables(run.line.expect);
          this.#check(run);
        }
        if (run.state === 'fail') stopped = true;
      }
    }

    const end = Date.now() + END_WAIT;
    for (const run of runs) {
      if (run.id != null && !run.result && !expectsWaiting(run.line)) {
        await within(run.resulted.promise, end - Date.now());
      }
    }
    for (const run of runs) {
      if (run.id == null || run.checked) continue;
      if (expectsWaiting(run.line)) {
        run.checked = true;
        if (run.result) {
          this.#set(run, 'fail', 'waiting: it was expected to still be waiting, but its result came');
        } else {
          this.#set(run, 'ok', 'still waiting, as expected');
        }
      } else if (run.result) {
        this.#check(run);
      } else {
        run.checked = true;
        this.#set(run, 'fail', `no result within ${END_WAIT / 1000} s: cancelled`);
        this.#send('cancel', { target: run.id });
      }
    }
    return runs.every((r) => r.state === 'ok');
  }

  /** Resolves a request's variables, first waiting for those still being defined. */
  async #resolveRequest(request) {
    const deadline = Date.now() + END_WAIT;
    for (;;) {
      try {
        return resolve(request, this.vars);
      } catch (e) {
        if (!(e instanceof ResolveError)) throw e;
        if (!e.pending) {
          const hint = e.message.endsWith('not defined yet') ? this.#hint(e.name) : '';
          throw new Error(hint ? `${e.message}: ${hint}` : e.message);
        }
        if (!(await within(e.pending.resulted.promise, deadline - Date.now()))) {
          throw new Error(`${e.message} after ${END_WAIT / 1000} s`);
        }
      }
    }
  }

  /**
   * Waits (up to END_WAIT) until no variable that value names is still being
   * defined by a line without its result, so an expect that names it is not
   * checked against its earlier value.
   */
  async #awaitVariables(value) {
    const deadline = Date.now() + END_WAIT;
    for (;;) {
      try {
        resolve(value, this.vars);
        return;
      } catch (e) {
        if (!(e instanceof ResolveError) || !e.pending) return;
        if (!(await within(e.pending.resulted.promise, deadline - Date.now()))) return;
      }
    }
  }

  #check(run) {
    run.checked = true;
    let expect;
    try {
      expect = run.line.expect ? resolve(run.line.expect, this.vars, { pendingOK: true }) : undefined;
    } catch (e) {
      return this.#set(run, 'fail', `expect: ${e.message}`);
    }
    const why = check(expect, run.result);
    this.#set(run, why ? 'fail' : 'ok', why);
  }

  #set(run, state, why = '') {
    run.state = state;
    run.why = why;
    this.#onChange(run);
  }
}

/** A promise with its resolve function. */
export function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

/** Resolves to true if p settles within ms (a promise already settled counts, even at 0), else false. */
function within(p, ms) {
  let timer;
  return Promise.race([
    p.then(() => true),
    new Promise((r) => { timer = setTimeout(() => r(false), Math.max(0, ms)); }),
  ]).finally(() => clearTimeout(timer));
}
