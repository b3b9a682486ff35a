// progress.js — which lesson steps have passed in this browser, kept in
// localStorage under "sockplay.step.<slug>.<step id>" (the time of the last
// run that passed, ISO 8601). A failed run does not erase an earlier pass.
// Storage that is full or forbidden (private windows) is ignored: progress
// is a convenience, never a reason for a page to fail.

const PREFIX = 'sockplay.step.';

const key = (slug, step) => `${PREFIX}${slug}.${step}`;

/** Records that a step passed. */
export function markPassed(slug, step) {
  try {
    localStorage.setItem(key(slug, step), new Date().toISOString());
  } catch {
    // no storage: nothing remembered
  }
}

/** @returns {boolean} whether the step has passed in this browser */
export function passed(slug, step) {
  try {
    return localStorage.getItem(key(slug, step)) !== null;
  } catch {
    return false;
  }
}

/**
 * @param {string} slug
 * @param {string[]} steps the lesson's step ids
 * @returns {{passed: number, total: number, done: boolean}} done: every step passed
 */
export function lessonProgress(slug, steps) {
  const n = steps.filter((s) => passed(slug, s)).length;
  return { passed: n, total: steps.length, done: steps.length > 0 && n === steps.length };
}
