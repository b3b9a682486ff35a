// watch.js — tells the server which socket cards the page shows, so that it
// reads the kernel state of those sockets only (the `watch` op, PROTOCOL.md):
// the cards in or near the viewport (every card where the browser has no
// IntersectionObserver), and none while the tab is hidden. The server keeps
// a watch per connection and forgets it when the connection closes, so the
// page sends it again after every reconnect (connected()).
//
// DOM contract: the cards' container gets data-watch, the watch the server
// last confirmed for this page: the handles separated by spaces ("" for
// none), or "hidden".

/** How long the shown cards must stay the same before a watch is sent (ms). */
const SETTLE = 150;
/** How far outside the viewport a card still counts as shown. */
const MARGIN = '200px';

export class Watch {
  #conn;
  #container;
  /** @type {IntersectionObserver|null} */
  #observer = null;
  /** @type {Set<string>} handles of the cards in or near the viewport */
  #inView = new Set();
  /** The last watch sent on this connection ("hidden" or the handles), null for none. */
  #sent = null;
  /** The id of the last watch request, whose result confirm() shows. */
  #id = null;
  #timer = 0;

  /**
   * @param {{request: (op: string, args?: object) => number}} conn
   * @param {HTMLElement} container the cards' container (.sock-card[data-sock] children)
   */
  constructor(conn, container) {
    this.#conn = conn;
    this.#container = container;
    if (typeof IntersectionObserver === 'function') {
      this.#observer = new IntersectionObserver((entries) => {
        for (const en of entries) {
          const sock = /** @type {HTMLElement} */ (en.target).dataset.sock;
          if (en.isIntersecting) this.#inView.add(sock);
          else this.#inView.delete(sock);
        }
        this.#schedule();
      }, { rootMargin: MARGIN });
    }
    new MutationObserver(() => this.#cardsChanged()).observe(container, { childList: true });
    document.addEventListener('visibilitychange', () => this.#schedule());
    this.#cardsChanged();
  }

  /** A new connection: the server watches nothing for it yet. */
  connected() {
    this.#sent = null;
    this.#schedule();
  }

  /** Shows the outcome of a `watch` result if it answers this page's last one. */
  confirm(msg) {
    if (msg.id !== this.#id) return;
    this.#container.dataset.watch = !msg.ok ? 'error' : msg.hidden ? 'hidden' : msg.socks.join(' ');
  }

  /** Cards came or went: observe the ones there are now. */
  #cardsChanged() {
    if (!this.#observer) return this.#schedule();
    this.#inView.clear();
    this.#observer.disconnect();
    for (const el of this.#cards()) this.#observer.observe(el); // each reports in, then #schedule
    if (!this.#container.firstElementChild) this.#schedule();
  }

  /** @returns {HTMLElement[]} */
  #cards() {
    return [...this.#container.querySelectorAll(':scope > .sock-card[data-sock]')];
  }

  #schedule() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#send(), SETTLE);
  }

  #send() {
    const hidden = document.visibilityState === 'hidden';
    const socks = this.#cards().map((el) => el.dataset.sock)
      .filter((sock) => !this.#observer || this.#inView.has(sock));
    const key = hidden ? 'hidden' : socks.join(' ');
    if (key === (this.#sent ?? '')) return; // a new connection watches nothing
    this.#sent = key;
    this.#id = this.#conn.request('watch', hidden ? { hidden: true } : { socks });
  }
}
