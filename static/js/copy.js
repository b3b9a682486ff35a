// copy.js — copying text to the clipboard from a button: the Clipboard API
// where the page may use it, else a selected textarea and execCommand, else
// the text is selected for the reader to copy by hand. status gets the
// outcome in words for a moment.

import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * @param {string} text
 * @param {HTMLElement} source the element holding the text (selected as a last resort)
 * @param {HTMLElement|null} status where "Copied." is announced
 */
export async function copyText(text, source, status) {
  const say = (words) => {
    if (!status) return;
    status.textContent = words;
    setTimeout(() => { if (status.textContent === words) status.textContent = ''; }, 4000);
  };
  try {
    await navigator.clipboard.writeText(text);
    return say(t('copy.copied'));
  } catch {
    // no Clipboard API here (plain http on another host, or denied)
  }
  const area = h('textarea', { class: 'copy-buffer', readonly: true, 'aria-hidden': 'true' });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  if (ok) return say(t('copy.copied'));
  getSelection()?.selectAllChildren(source);
  return say(t('copy.selected'));
}
