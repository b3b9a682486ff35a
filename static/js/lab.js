// lab.js — the LAN panel: what the session's `lab` results say of its lab
// (hosts and their addresses, the subnet, what sockets there may bind to
// and reach), the teardown form while a lab exists, and the lab hosts in
// the new-socket form's host select (empty: the session's own network).
//
// DOM (stable hooks for tests):
//   form#lab-build[data-op="lab"]     input[name="hosts"] (2–8): builds a lab
//   form#lab-teardown[data-op="lab"]  hosts 0; hidden without a lab
//   #lab-hosts li[data-host][data-addr]  one per host
//   #lab-facts                         subnet, broadcast, bind and connect
//   #socket-host select[name="host"]   in form#new-socket; its label
//                                      (#socket-host-label) hidden without a lab

import { h } from './dom.js';
import { server, t } from './i18n.js';

export class Lab {
  #parts;

  /**
   * @param {{build: HTMLFormElement, teardown: HTMLFormElement, hosts: HTMLElement,
   *          facts: HTMLElement, select: HTMLSelectElement, selectLabel: HTMLElement}} parts
   */
  constructor(parts) {
    this.#parts = parts;
    this.#show([], null);
  }

  /** A `lab` result: the lab built (its hosts) or torn down (none). */
  apply(res) {
    if (res.ok) this.#show(res.hosts ?? [], res);
  }

  /** Forgets the lab (the session changed). */
  reset() {
    this.#show([], null);
  }

  /** @param {{name: string, addr: string}[]} hosts */
  #show(hosts, res) {
    const p = this.#parts;
    const on = hosts.length > 0;
    p.build.hidden = on;
    p.teardown.hidden = !on;
    p.hosts.replaceChildren(...hosts.map((x) => h('li', { dataset: { host: x.name, addr: x.addr } },
      h('strong', {}, x.name), ' ', h('code', {}, x.addr))));
    p.facts.replaceChildren(...(on ? [
      h('p', {}, t('lab.facts', { subnet: res.subnet ?? '?', broadcast: res.broadcast ?? '?' })),
      res.bind ? h('p', { class: 'detail' }, `bind: ${server(res.bind)}`) : null,
      res.connect ? h('p', { class: 'detail' }, `connect, sendto: ${server(res.connect)}`) : null,
    ] : [h('p', { class: 'empty' }, t('lab.none'))]));
    const chosen = p.select.value;
    p.select.replaceChildren(h('option', { value: '' }, t('lab.own')),
      ...hosts.map((x) => h('option', { value: x.name }, `${x.name} (${x.addr})`)));
    p.select.value = hosts.some((x) => x.name === chosen) ? chosen : '';
    p.selectLabel.hidden = !on;
  }
}
