// progress.js — which lesson cells have passed (the progress store and its
// URL call them steps). The server keeps them: a
// lesson page posts every finished run of a cell to the URL the page names
// (<script id="lesson-progress">{"url": "/progress/steps", "passed": [ids]}),
// as JSON {lesson, step, ok}, under the browser's learner cookie, and renders
// the cells that passed into its pages.
//
// localStorage is only the fallback, for passes the server did not take (it
// could not be reached, or it saves no progress: url is ""): under
// "sockplay.step.<slug>.<step id>" (the time of the pass, ISO 8601). A later
// page load sends them to the server, and forgets each one it took. Storage
// that is full or forbidden (private windows) is ignored: progress is a
// convenience, never a reason for a page to fail.

const PREFIX = 'sockplay.step.';

const key = (slug, step) => `${PREFIX}${slug}.${step}`;

/** Records a pass in this browser only. */
function keepLocally(slug, step) {
  try {
    localStorage.setItem(key(slug, step), new Date().toISOString());
  } catch {
    // no storage: nothing remembered
  }
}

function forgetLocally(slug, step) {
  try {
    localStorage.removeItem(key(slug, step));
  } catch {
    // no storage
  }
}

/** @returns {boolean} whether the step has passed in this browser (fallback only) */
export function passedLocally(slug, step) {
  try {
    return localStorage.getItem(key(slug, step)) !== null;
  } catch {
    return false;
  }
}

/** @returns {string[]} ids of the lesson's steps kept in this browser's fallback */
function localPasses(slug) {
  const ids = [];
  try {
    const prefix = `${PREFIX}${slug}.`;
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k?.startsWith(prefix)) ids.push(k.slice(prefix.length));
    }
  } catch {
    // no storage
  }
  return ids;
}

/**
 * Posts one finished run to the server.
 * @returns {Promise<'saved'|'refused'|'failed'>} refused: the server will
 *   never take it (400, 403: the lesson or step is not the server's);
 *   failed: try again later
 */
async function post(url, lesson, step, ok) {
  if (!url) return 'failed';
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ lesson, step, ok }),
    });
    if (res.ok) return 'saved';
    return res.status === 400 || res.status === 403 ? 'refused' : 'failed';
  } catch {
    return 'failed'; // offline, or the server is gone
  }
}

/** One lesson's step progress, as its page sees it. */
export class LessonProgress {
  /**
   * @param {string} slug
   * @param {{url?: string, passed?: string[]}} server what the page was rendered with
   */
  constructor(slug, server) {
    this.slug = slug;
    this.url = server?.url ?? '';
    /** @type {Set<string>} steps the server says passed, plus those passed since */
    this.passedSet = new Set(server?.passed ?? []);
  }

  /** Reads the page's <script id="lesson-progress"> (absent: nothing saved). */
  static fromPage(slug, doc = document) {
    const el = doc.getElementById('lesson-progress');
    let data = null;
    try {
      data = el ? JSON.parse(el.textContent) : null;
    } catch {
      data = null;
    }
    return new LessonProgress(slug, data);
  }

  /** @returns {boolean} whether the step has passed, on the server or here */
  passed(step) {
    return this.passedSet.has(step) || passedLocally(this.slug, step);
  }

  /**
   * Records a finished run of step. A pass the server does not take is kept
   * in this browser. Resolves once recorded (never rejects).
   */
  async record(step, ok) {
    if (ok) this.passedSet.add(step);
    const outcome = await post(this.url, this.slug, step, ok);
    if (ok && outcome === 'failed') keepLocally(this.slug, step);
  }

  /**
   * Sends the passes kept in this browser to the server, forgetting each
   * one it takes. Resolves to how many it took.
   */
  async sync() {
    if (!this.url) return 0;
    let n = 0;
    for (const step of localPasses(this.slug)) {
      const outcome = await post(this.url, this.slug, step, true);
      if (outcome === 'failed') break; // the server is not there: later
      forgetLocally(this.slug, step);
      if (outcome === 'saved') {
        this.passedSet.add(step);
        n++;
      }
    }
    return n;
  }
}

/**
 * A lesson's progress on the index: the steps the server rendered as passed
 * plus those kept in this browser.
 * @param {string} slug
 * @param {string[]} steps the lesson's step ids
 * @param {string[]} serverPassed the ids the server says passed
 * @returns {{passed: number, total: number, done: boolean}} done: every step passed
 */
export function lessonProgress(slug, steps, serverPassed = []) {
  const server = new Set(serverPassed);
  const n = steps.filter((s) => server.has(s) || passedLocally(slug, s)).length;
  return { passed: n, total: steps.length, done: steps.length > 0 && n === steps.length };
}
