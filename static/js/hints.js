// hints.js — an exercise's hints, revealed one at a time: every
// ol li[data-hint] starts hidden, and each click on the button shows the
// next one; the button says which hint comes next ("Show a hint (2 of 4)")
// and goes away once all are shown.

import { t } from './i18n.js';

/**
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} list the <ol> of hints
 */
export function setupHints(button, list) {
  const items = /** @type {HTMLElement[]} */ ([...list.querySelectorAll('li[data-hint]')]);
  const update = () => {
    const shown = items.filter((li) => !li.hidden).length;
    button.hidden = shown >= items.length;
    button.textContent = t(shown === 0 ? 'hints.first' : 'hints.next', { n: shown + 1, total: items.length });
  };
  button.addEventListener('click', () => {
    const next = items.find((li) => li.hidden);
    if (!next) return;
    next.hidden = false;
    update();
    if (button.hidden) {
      // The button had the focus: hand it to the last hint.
      next.tabIndex = -1;
      next.focus();
    }
  });
  update();
}
