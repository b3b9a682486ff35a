// cards.js — one card per socket, cloned from the page's
// <template id="sock-card-template"> and kept up to date from `socket`
// messages (several in one animation frame make one update, at flush). A
// card also lists its socket's waiting requests, each with a Cancel button
// (and, for a recv_frame, its live progress), and has places that other
// modules fill: its kernel state (kernel.js) and its stream map
// (streammap.js). A closed socket's card stays, greyed, its forms disabled.

import { h } from './dom.js';
import { showFraming } from './framing.js';
import { progressView } from './frameview.js';
import { pyAddr, pyTimeout } from './python.js';
import { cancelButton } from './render.js';
import { t } from './i18n.js';

const TYPE_NAMES = { SOCK_STREAM: 'TCP', SOCK_DGRAM: 'UDP' };
const FAMILY_NAMES = { AF_INET: 'IPv4', AF_INET6: 'IPv6' };
/** The default host of a new card's address fields, by family. */
const LOOPBACK = { AF_INET: '127.0.0.1', AF_INET6: '::1' };

export class Cards {
  #container;
  #template;
  #emptyNote;
  /** @type {Map<string, {el: HTMLElement, msg: object}>} by handle */
  #cards = new Map();
  /** @type {Map<number, {sock: string, call: string, item: HTMLElement|null}>} by request id */
  #waiting = new Map();
  /** @type {Set<{el: HTMLElement, msg: object}>} cards whose facts changed since the last flush */
  #dirty = new Set();

  /**
   * @param {HTMLElement} container where cards go, in creation order
   * @param {HTMLTemplateElement} template the card markup
   * @param {HTMLElement} emptyNote shown while there is no card
   */
  constructor(container, template, emptyNote) {
    this.#container = container;
    this.#template = template;
    this.#emptyNote = emptyNote;
  }

  /** @returns {object|undefined} the last `socket` message for that handle */
  get(handle) {
    return handle ? this.#cards.get(handle)?.msg : undefined;
  }

  /** @returns {string[]} the handles of the cards, in creation order */
  handles() {
    return [...this.#cards.keys()];
  }

  /**
   * Marks the cards of the handles as the ones the running lesson cell is
   * about (class .highlighted), and no others.
   * @param {string[]} handles
   */
  highlight(handles) {
    for (const [handle, { el }] of this.#cards) el.classList.toggle('highlighted', handles.includes(handle));
  }

  /**
   * A part of a socket's card that another module fills, by its data-field
   * ("kernel", "stream").
   * @returns {HTMLElement|null}
   */
  part(handle, field) {
    return this.#cards.get(handle)?.el.querySelector(`[data-field="${field}"]`) ?? null;
  }

  /**
   * Creates the card of a `socket` message, or notes its update; the card's
   * facts are written at the next flush, once for all the messages since.
   */
  apply(msg) {
    let card = this.#cards.get(msg.sock);
    if (!card) {
      card = { el: this.#create(msg), msg };
      this.#cards.set(msg.sock, card);
      this.#container.append(card.el);
      this.#emptyNote.hidden = true;
    }
    card.msg = msg;
    this.#dirty.add(card);
  }

  /** Writes the facts of the cards updated since the last flush (once per animation frame). */
  flush() {
    for (const card of this.#dirty) fill(card.el, card.msg);
    this.#dirty.clear();
  }

  /** Replaces every card with the sockets of a snapshot, and the waiting list with its pending requests. */
  replace(sockets, pending, callOf) {
    this.reset();
    for (const s of sockets ?? []) this.apply(s);
    for (const p of pending ?? []) this.addWaiting(p.id, p.sock, callOf(p));
  }

  /** Shows a waiting request on its socket's card. */
  addWaiting(id, sock, call) {
    this.clearWaiting(id);
    const card = this.#cards.get(sock);
    const item = card
      ? h('li', { class: 'waiting-item', dataset: { id } }, h('code', {}, call), ` ${t('cards.waiting')} `, cancelButton(id))
      : null;
    if (item) card.el.querySelector('[data-field="waiting"]').append(item);
    this.#waiting.set(id, { sock, call, item });
  }

  /**
   * Shows a `frame` progress message on its waiting recv_frame (listing the
   * call as waiting if no `waiting` message did).
   * @param {object} msg
   * @param {string} call the recv_frame call, for a new waiting item
   */
  progress(msg, call) {
    if (!this.#waiting.has(msg.id)) this.addWaiting(msg.id, msg.sock, call);
    const item = this.#waiting.get(msg.id)?.item;
    if (!item) return;
    item.querySelector('.frame-progress')?.remove();
    item.append(progressView(msg));
  }

  /** Removes a request from the waiting list (its result came). */
  clearWaiting(id) {
    this.#waiting.get(id)?.item?.remove();
    this.#waiting.delete(id);
  }

  /** @returns {string|undefined} the call of a waiting request */
  waitingCall(id) {
    return this.#waiting.get(id)?.call;
  }

  /** @returns {number[]} the ids of the waiting requests */
  waitingIds() {
    return [...this.#waiting.keys()];
  }

  /** Removes every card. */
  reset() {
    for (const { el } of this.#cards.values()) el.remove();
    this.#cards.clear();
    this.#waiting.clear();
    this.#dirty.clear();
    this.#emptyNote.hidden = false;
  }

  #create(msg) {
    const el = /** @type {HTMLElement} */ (this.#template.content.firstElementChild.cloneNode(true));
    el.dataset.sock = msg.sock;
    el.dataset.type = msg.type;
    el.dataset.family = msg.family;
    for (const part of el.querySelectorAll('[data-types]')) {
      if (!part.dataset.types.split(' ').includes(msg.type)) part.remove();
    }
    for (const part of el.querySelectorAll('[data-families]')) {
      if (!part.dataset.families.split(' ').includes(msg.family)) part.remove();
    }
    for (const input of el.querySelectorAll('input[data-host]')) {
      input.value = LOOPBACK[msg.family] ?? input.value;
    }
    for (const form of el.querySelectorAll('form[data-op]')) {
      form.setAttribute('aria-label', `${msg.sock} ${form.dataset.op}`);
    }
    for (const picker of el.querySelectorAll('select[data-framing-picker]')) showFraming(picker.form);
    el.setAttribute('aria-label', t('cards.label', { sock: msg.sock }));
    return el;
  }
}

/** Writes a `socket` message into its card. */
function fill(el, msg) {
  const field = (name) => el.querySelector(`[data-field="${name}"]`);
  const row = (name, shown) => {
    el.querySelector(`[data-row="${name}"]`).hidden = !shown;
  };
  el.dataset.state = msg.state;
  el.classList.toggle('closed', msg.state === 'CLOSED');
  field('sock').textContent = msg.sock;
  field('kind').textContent = `${TYPE_NAMES[msg.type] ?? msg.type} · ${FAMILY_NAMES[msg.family] ?? msg.family}`;
  field('state').textContent = msg.state;
  field('fd').textContent = msg.fd == null || msg.fd < 0 ? '—' : String(msg.fd);
  if (msg.program) {
    // A program's socket (run, sockplay run): it says so for good.
    el.dataset.program = msg.program;
    field('program').textContent = msg.program;
    field('program').hidden = false;
  }
  address(field('laddr'), msg.laddr);
  address(field('raddr'), msg.raddr);
  field('timeout').textContent = timeoutText(msg.timeout);

  const options = Object.entries(msg.options ?? {});
  field('options').textContent = options.map(([k, v]) => `${k}=${v}`).join(', ');
  row('options', options.length > 0);

  const shut = msg.shut_rd && msg.shut_wr ? 'SHUT_RDWR' : msg.shut_rd ? 'SHUT_RD' : msg.shut_wr ? 'SHUT_WR' : '';
  field('shutdown').textContent = shut;
  row('shutdown', shut !== '');

  field('listener').textContent = msg.listener ?? '';
  row('listener', !!msg.listener);

  for (const button of el.querySelectorAll('button[data-toggle-option]')) {
    const value = msg.options?.[button.dataset.toggleOption];
    const on = value != null && value !== 0 && value !== false;
    button.setAttribute('aria-pressed', String(on));
    button.querySelector('[data-option-state]').textContent = value == null ? t('cards.notset') : on ? t('cards.on', { value }) : t('cards.off', { value });
  }

  el.querySelector('fieldset.actions').disabled = msg.state === 'CLOSED';
}

/** An address as Python prints it, with data-host / data-port for scripts and tests. */
function address(dd, addr) {
  dd.textContent = Array.isArray(addr) ? pyAddr(addr) : '—';
  if (Array.isArray(addr)) {
    dd.dataset.host = addr[0];
    dd.dataset.port = addr[1];
  } else {
    delete dd.dataset.host;
    delete dd.dataset.port;
  }
}

function timeoutText(secs) {
  if (secs == null) return t('cards.blocking');
  if (secs === 0) return t('cards.nonblocking');
  return t('cards.seconds', { s: pyTimeout(secs) });
}
