// steps.js — the lesson step language of templates/lessons/FORMAT.md, without
// the DOM: reading a step's lines, resolving $variables, checking a result
// against its `expect`. web/lessons_test.go runs the same rules in Go; keep
// the two in step.

/** A step line's runner-only keys: never sent to the server. */
const RUNNER_KEYS = ['as', 'expect'];
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A string that names a variable: "$name" or "$name.field". */
const REF = /^\$([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_]+))?$/;
const FIELDS = new Set(['', 'addr', 'port', 'peer']);

/**
 * @typedef {object} Line
 * @property {object} request the request without id and runner keys
 * @property {string} [as] the variable its result defines
 * @property {object} [expect]
 * @property {number} line its line in the step's text, from 1
 * @property {string} raw the line as written
 */

/**
 * Reads a step's text: one JSON request per non-empty line.
 * @param {string} text
 * @returns {{lines: Line[], error: string|null}} error names the first bad line
 */
export function parseStep(text) {
  const lines = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const raw = rows[i].trim();
    if (raw === '') continue;
    const n = i + 1;
    let obj;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      return { lines, error: `line ${n}: not valid JSON (${e.message})` };
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return { lines, error: `line ${n}: a step line is one JSON object, {"op": …}` };
    }
    if (typeof obj.op !== 'string' || obj.op === '') return { lines, error: `line ${n}: the request has no "op"` };
    if ('id' in obj) return { lines, error: `line ${n}: leave out "id": the runner numbers the requests` };
    if ('as' in obj && (typeof obj.as !== 'string' || !NAME.test(obj.as))) {
      return { lines, error: `line ${n}: "as" must be a name of letters, digits and _` };
    }
    if ('expect' in obj && (obj.expect === null || typeof obj.expect !== 'object' || Array.isArray(obj.expect))) {
      return { lines, error: `line ${n}: "expect" must be a JSON object` };
    }
    const request = { ...obj };
    for (const k of RUNNER_KEYS) delete request[k];
    lines.push({ request, as: obj.as, expect: obj.expect, line: n, raw });
  }
  if (lines.length === 0) return { lines, error: 'the step has no requests: write one JSON request per line' };
  return { lines, error: null };
}

/** @returns {boolean} whether a line expects its request to be still waiting at the end of the step */
export function expectsWaiting(line) {
  return line.expect?.waiting === true;
}

/** The names of the variables a text's lines define with "as". */
export function definedNames(text) {
  const out = [];
  for (const row of text.split('\n')) {
    try {
      const obj = JSON.parse(row);
      if (typeof obj?.as === 'string') out.push(obj.as);
    } catch {
      // not a line that defines anything
    }
  }
  return out;
}

/** A variable reference that cannot be resolved (yet). */
export class ResolveError extends Error {
  /**
   * @param {string} message
   * @param {string} name the variable
   * @param {object} [pending] the line run that will define it, when it is still waiting
   */
  constructor(message, name, pending) {
    super(message);
    this.name = name;
    this.pending = pending;
  }
}

/**
 * @typedef {object} Variable
 * @property {string} [handle] the socket, connection or peer handle
 * @property {Array} [addr]
 * @property {Array} [peer]
 * @property {object|null} [pending] the run of a line that is defining it now
 */

/**
 * Returns value with every "$name", "$name.addr", "$name.port" and
 * "$name.peer" string replaced, at any depth.
 * @param {any} value
 * @param {Map<string, Variable>} vars
 * @param {{pendingOK?: boolean}} [opts] pendingOK: use a pending variable's
 *   earlier value instead of throwing
 */
export function resolve(value, vars, opts = {}) {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    if (!m) return value;
    const [, name, field = ''] = m;
    if (!FIELDS.has(field)) throw new ResolveError(`${value}: a variable has .addr, .port and .peer, not .${field}`, name);
    const v = vars.get(name);
    if (v?.pending && !opts.pendingOK) {
      throw new ResolveError(`${value}: the line that defines $${name} has no result yet`, name, v.pending);
    }
    if (!v || v.handle === undefined) throw new ResolveError(`$${name} is not defined yet`, name);
    let out;
    if (field === '') out = v.handle;
    else if (field === 'addr') out = v.addr;
    else if (field === 'port') out = Array.isArray(v.addr) ? v.addr[1] : undefined;
    else out = v.peer;
    if (out === undefined || out === null) {
      throw new ResolveError(`${value} is not known yet: no result has reported it`, name);
    }
    return structuredClone(out);
  }
  if (Array.isArray(value)) return value.map((x) => resolve(x, vars, opts));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, resolve(x, vars, opts)]));
  }
  return value;
}

/** Ops whose result reports the socket's own address, which updates its variables. */
const ADDRESS_OPS = new Set(['bind', 'connect', 'sendto', 'getsockname']);

/**
 * Applies a step line's result to the variables: the results of bind,
 * connect, sendto and getsockname update every variable of that socket; an
 * ok result of a line with "as" defines that variable (a failed one leaves
 * it as it was). run.line is the line; only the run that is defining a
 * variable may define it.
 * @param {Map<string, Variable>} vars
 * @param {{line: Line}} run
 * @param {object} msg the result
 */
export function applyResult(vars, run, msg) {
  if (msg.ok && ADDRESS_OPS.has(msg.op) && msg.sock && Array.isArray(msg.addr)) {
    for (const v of vars.values()) {
      if (v.handle !== msg.sock) continue;
      v.addr = msg.addr;
      if (msg.op === 'connect' && Array.isArray(msg.peer)) v.peer = msg.peer;
    }
  }
  const name = run.line.as;
  if (!name) return;
  const v = vars.get(name);
  if (!v || v.pending !== run) return;
  v.pending = null;
  if (!msg.ok) return;
  v.handle = msg.op === 'accept' ? msg.conn : msg.op === 'spawn' ? msg.peer : msg.sock;
  v.addr = msg.addr ?? undefined;
  v.peer = msg.op === 'connect' ? msg.peer : undefined;
}

/** Marks a variable as being defined by run (its earlier value stays until the result). */
export function markPending(vars, run) {
  const name = run.line.as;
  if (!name) return;
  const v = vars.get(name) ?? {};
  v.pending = run;
  vars.set(name, v);
}

/**
 * Checks a result against a line's expectation (variables already
 * resolved). Without expect the result must be ok; unless expect names ok or
 * error, ok must be true too.
 * @param {object|undefined} expect
 * @param {object} result
 * @returns {string} what does not match ("" when everything does)
 */
export function check(expect, result) {
  const want = expect ? { ...expect } : {};
  const wantOK = !expect || !('ok' in expect || 'error' in expect);
  if (wantOK) {
    delete want.ok;
    if (result.ok !== true) {
      const e = result.error;
      const why = e ? ` (${e.exception ? `${e.exception}: ` : `${e.type ?? 'error'}: `}${e.message ?? ''})` : '';
      return `ok: got ${json(result.ok)}, want true${why}`;
    }
  }
  return match(want, result, '');
}

/** The first mismatch of want in got, as "path: got …, want …". */
function match(want, got, path) {
  if (want === null) return got == null ? '' : `${path || 'result'}: got ${json(got)}, want null`;
  if (isObject(want)) {
    if (!isObject(got)) return `${path || 'result'}: got ${json(got)}, want an object like ${json(want)}`;
    for (const key of Object.keys(want).sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0))) {
      const m = match(want[key], got[key], path ? `${path}.${key}` : key);
      if (m) return m;
    }
    return '';
  }
  return equal(want, got) ? '' : `${path || 'result'}: got ${json(got)}, want ${json(want)}`;
}

/** Keys are checked in sorted order, "ok" first, so both runners name the same first mismatch. */
function order(key) {
  return key === 'ok' ? 0 : 1;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Exact JSON equality (numbers by value). */
export function equal(a, b) {
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return a === b;
}

/** JSON text for messages ("undefined" for a missing value). */
export function json(v) {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
