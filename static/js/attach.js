// attach.js — the "Your program" pane: the command that attaches a program
// running on the learner's own machine to this session (sockplay run), with
// the session's attach code (ops attach and attach_revoke), Copy and Revoke.

import { copyText } from './copy.js';
import { lang, server, t } from './i18n.js';

/**
 * The command with --server: the server's own (its public URL or listen
 * address) when it named one, else this page's origin, which the
 * learner's machine reaches (the browser runs there). On a Chinese page it
 * asks for Chinese (--lang zh): sockplay run's sentences and sockplay's in
 * the program's exceptions, whatever the terminal's locale.
 */
function withServer(command) {
  const langFlag = lang === 'zh' ? ' --lang zh' : '';
  if (/ --server /.test(command)) return command + langFlag;
  return command.replace(/^(sockplay run \S+)/, `$1 --server ${location.origin}`) + langFlag;
}

export class Attach {
  #conn;
  #el;

  /**
   * @param {{request: (op: string, args?: object) => number}} conn
   * @param {{show: HTMLElement, copy: HTMLElement, revoke: HTMLElement, command: HTMLElement, code: HTMLElement, status: HTMLElement}} el
   */
  constructor(conn, el) {
    this.#conn = conn;
    this.#el = el;
  }

  /** Handles a click in the pane; false when the click was not for it. */
  click(target) {
    if (target.closest('#attach-show')) this.#conn.request('attach');
    else if (target.closest('#attach-revoke')) this.#conn.request('attach_revoke');
    else if (target.closest('#attach-copy')) copyText(this.#el.code.textContent ?? '', this.#el.code, this.#el.status);
    else return false;
    return true;
  }

  /** Shows an attach or attach_revoke result. */
  apply(res) {
    const el = this.#el;
    if (!res.ok) {
      el.status.textContent = server(res.error?.message ?? t('attach.nocode'));
      return;
    }
    el.code.textContent = withServer(res.command);
    el.command.hidden = false;
    el.copy.hidden = false;
    el.revoke.hidden = false;
    el.show.hidden = true;
    el.command.dataset.code = res.code;
    el.status.textContent = res.revoked ? t('attach.revoked') : '';
  }

  /** Forgets the command (a new session has another code). */
  reset() {
    const el = this.#el;
    el.code.textContent = '';
    el.command.hidden = el.copy.hidden = el.revoke.hidden = true;
    el.show.hidden = false;
    el.status.textContent = '';
  }
}
