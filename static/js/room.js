// room.js — the classroom on every page of a browser that is in a room.
//
// The room a browser is in is the cookie sockplay_room (its code; and
// sockplay_name, the student's display name). On a page of such a browser
// this module opens a connection of its own to the session (from the
// session's latest message on: no replay of the log), sends room_join
// (idempotent) after every connect, and then:
//   - shows the room bar: "Room CODE · following <instructor>", with one
//     click to stop following or follow again, and to leave the room
//     (the instructor's bar links to the room page and turns driving on
//     and off);
//   - follows the instructor: a `follow` message moves the page to the
//     instructor's page and step (#cell-<step>, scrolled into view);
//   - shows hints (`room_hint`) and notes (`note`) as toasts;
//   - shows an instructor's `room_show` (their cell and its output, not run
//     here) and offers a `room_push` (a cell to run: Run it puts the code
//     into the cell and runs it) under the cell;
//   - tells the room where this page is (room_at: page, lesson, step, as
//     projector.js announces the step), which from the instructor drives
//     the followers (so the instructor's room_at comes only from a lesson
//     or the workbench, never from the room page);
//   - on the instructor's lesson pages, adds "Show my output to the class"
//     and "Push this cell" to each cell.
// The join page (/r/CODE, form#room-join) joins with the name given, then
// goes to the room's page (data-next). room_end, room_leave, or a room that
// is gone clears the cookies.
//
// DOM contract (stable; browser tests rely on it):
//   #room-bar[data-room][data-following="true|false"][data-instructor]
//     .room-code, .room-following   the code, "following <name>" | "not following"
//     button[data-room-follow="false|true"]  stop following / follow again
//     button[data-room-leave]       leave the room
//     button[data-room-drive="false|true"]   the instructor's drive toggle
//   #room-toasts .room-toast[data-kind="room_hint|note|room_end|…"] .toast-text
//   section.cell .room-offer[data-kind="room_show|room_push"][data-ok]
//     .room-offer-code .room-offer-output, button[data-room-run]
//   section.cell button[data-room-show-cell] button[data-room-push-cell]
//                                   the instructor's (with .room-cell-status)
//   form#room-join[data-room][data-next] input[name="name"] #room-join-error

import { Connection, wsURL } from './conn.js';
import { h } from './dom.js';
import { server, t } from './i18n.js';

const ROOM_COOKIE = 'sockplay_room';
const NAME_COOKIE = 'sockplay_name';
/** How long the room cookies last without a visit (s). */
const COOKIE_AGE = 12 * 3600;
/** How long a request may take to answer (ms). */
const ANSWER_WAIT = 10000;
/** How long a toast stays (ms); a hint stays until closed. */
const TOAST_TIME = 8000;

/** The value of cookie name, or ''. */
export function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

function setCookie(name, value) {
  document.cookie = `${name}=${encodeURIComponent(value)}; Path=/; SameSite=Lax; Max-Age=${value ? COOKIE_AGE : 0}`;
}

/** Forgets the room (this browser is in none). */
function forgetRoom() {
  setCookie(ROOM_COOKIE, '');
}

/**
 * The room's connection: requests answered by promises, messages to
 * listeners by kind.
 */
class RoomLink {
  /** @type {Map<number, (result: object|null) => void>} */
  #awaited = new Map();
  /** @type {Map<string, Set<(msg: object) => void>>} */
  #listeners = new Map();
  /** @type {(() => void)|null} */
  onConnect = null;

  constructor() {
    this.conn = new Connection(wsURL('/ws'), {
      onMessages: (msgs) => msgs.forEach((m) => this.#deliver(m)),
      onHello: () => queueMicrotask(() => this.onConnect?.()),
    }, { replay: false });
  }

  start() {
    this.conn.start();
  }

  /** Sends a request; resolves to its result, or null when none came in time. */
  request(op, args = {}) {
    return new Promise((resolve) => {
      const id = this.conn.request(op, args);
      const timer = setTimeout(() => done(null), ANSWER_WAIT);
      const done = (result) => {
        clearTimeout(timer);
        this.#awaited.delete(id);
        resolve(result);
      };
      this.#awaited.set(id, done);
    });
  }

  /** Calls fn with every message of kind. */
  on(kind, fn) {
    if (!this.#listeners.has(kind)) this.#listeners.set(kind, new Set());
    this.#listeners.get(kind).add(fn);
  }

  #deliver(msg) {
    if (msg.kind === 'result' && this.#awaited.has(msg.id)) this.#awaited.get(msg.id)(msg);
    for (const fn of this.#listeners.get(msg.kind) ?? []) fn(msg);
  }
}

/** A one-line toast; sticky ones stay until closed. */
function toast(kind, from, text, { sticky = false } = {}) {
  const box = document.getElementById('room-toasts');
  if (!box) return;
  const close = h('button', { type: 'button', 'aria-label': t('room.close') }, '×');
  const el = h('div', { class: 'room-toast', dataset: { kind } },
    h('span', { class: 'toast-text' }, from ? h('span', { class: 'toast-from' }, `${from}${t('check.colon').trim()}`) : '', text), close);
  close.addEventListener('click', () => el.remove());
  box.append(el);
  if (!sticky) setTimeout(() => el.remove(), TOAST_TIME);
}

/**
 * The instructor's name as the page shows it: the server's default names
 * ("Instructor", "the instructor") in the page's language, the message
 * fallback when there is none.
 */
function instructor(name, fallback = 'room.theinstructor') {
  return name ? server(name) : t(fallback);
}

/** Where this page is, as room_at says it. */
function here() {
  const lesson = document.getElementById('lesson');
  return { page: location.pathname, lesson: lesson?.dataset.lesson ?? '', step: lesson?.dataset.step ?? '' };
}

/** Whether this page is one the instructor leads the class to: a lesson, or the (own) workbench. */
function leads() {
  return !!document.getElementById('lesson') || (location.pathname === '/workbench' && !new URLSearchParams(location.search).has('observe'));
}

/** A same-site path from a message (never another origin). */
function safePath(page) {
  return typeof page === 'string' && page.startsWith('/') && !page.startsWith('//') ? page : '';
}

/** Moves the page to where the instructor is. */
function follow(msg) {
  const page = safePath(msg.page);
  if (!page) return;
  const hash = msg.step ? `#cell-${msg.step}` : '';
  if (page !== location.pathname) {
    location.assign(page + hash);
    return;
  }
  if (!hash) return;
  if (location.hash !== hash) {
    location.hash = hash; // lesson.js scrolls to the cell, projector.js makes it the step
    return;
  }
  document.getElementById(hash.slice(1))?.scrollIntoView({ block: 'start' });
}

/** Shows what the instructor showed or pushed, under the cell it is about. */
function offer(msg, onRun) {
  const cell = document.getElementById(`cell-${msg.cell}`);
  if (!cell?.matches('section.cell')) {
    toast(msg.kind, msg.from ? server(msg.from) : '', t(msg.kind === 'room_push' ? 'room.offer.push.missing' : 'room.offer.show.missing'));
    return;
  }
  cell.querySelector(`.room-offer[data-kind="${msg.kind}"]`)?.remove();
  const dismiss = h('button', { type: 'button', class: 'secondary', 'data-room-dismiss': true }, t('room.offer.dismiss'));
  const push = msg.kind === 'room_push';
  const run = push ? h('button', { type: 'button', 'data-room-run': true }, t('room.offer.run')) : null;
  const el = h('div', { class: 'room-offer', dataset: { kind: msg.kind, ok: msg.ok == null ? null : String(msg.ok) } },
    h('p', { class: 'room-offer-head' },
      t(push ? 'room.offer.push' : 'room.offer.show', { from: msg.from ? server(msg.from) : t('room.theinstructor') }),
      h('span', { class: 'buttons' }, run, dismiss)),
    h('pre', { class: 'room-offer-code' }, msg.code ?? ''),
    push ? null : h('pre', { class: 'room-offer-output' }, msg.output || t('room.offer.nooutput')));
  dismiss.addEventListener('click', () => el.remove());
  run?.addEventListener('click', () => {
    onRun(cell, msg.code ?? '');
    el.remove();
  });
  cell.append(el);
  if (!push) cell.scrollIntoView({ block: 'nearest' });
}

/** Puts code into a cell and runs it with the cell's own Run button. */
function runInCell(cell, code) {
  const area = /** @type {HTMLTextAreaElement|null} */ (cell.querySelector('[data-cell-code]'));
  if (area) area.value = code;
  /** @type {HTMLButtonElement|null} */ (cell.querySelector('[data-run-cell]'))?.click();
}

/** The room bar's content for state (a room_join result or room_state message). */
function drawBar(bar, state) {
  bar.hidden = false;
  bar.dataset.room = state.room;
  bar.dataset.following = String(!!state.following);
  bar.dataset.instructor = String(!!state.instructor);
  const parts = [h('span', {}, t('room.bar.room'), h('span', { class: 'room-code' }, state.room))];
  if (state.title && state.title !== `Room ${state.room}`) parts.push(h('span', { class: 'room-title' }, state.title));
  const actions = [];
  if (state.instructor) {
    parts.push(h('span', { class: 'room-following' }, t(state.drive ? 'room.bar.driving' : 'room.bar.notdriving')));
    actions.push(h('a', { class: 'button', href: `/rooms/${encodeURIComponent(state.room)}` }, t('room.bar.page')));
    actions.push(h('button', { type: 'button', class: 'secondary', dataset: { roomDrive: String(!state.drive) } },
      t(state.drive ? 'room.bar.stopdriving' : 'room.bar.drive')));
  } else {
    const who = instructor(state.instructor_name, 'room.instructor');
    parts.push(h('span', { class: 'room-following' }, t(state.following ? 'room.bar.following' : 'room.bar.notfollowing', { who })));
    actions.push(h('button', { type: 'button', class: 'secondary', dataset: { roomFollow: String(!state.following) } },
      t(state.following ? 'room.bar.stopfollowing' : 'room.bar.follow')));
  }
  if (state.lan?.addr) parts.push(h('span', { class: 'room-lan', title: t('room.bar.lan') }, `${state.lan.addr}/${state.lan.prefix}`));
  else if (state.lan_note) parts.push(h('span', { class: 'room-where', title: server(state.lan_note) }, t('room.bar.nolan')));
  actions.push(h('button', { type: 'button', class: 'secondary', 'data-room-leave': true }, t('room.bar.leave')));
  bar.replaceChildren(...parts.flatMap((p, i) => (i ? [' · ', p] : [p])), h('span', { class: 'room-actions' }, ...actions));
}

/** What a room_show or room_push reached: n followers, or the followers. */
function sentTo(n) {
  return n == null ? t('room.cell.sent.all') : t('room.cell.sent', { n });
}

/** The instructor's buttons on each cell of a lesson page. */
function addCellButtons(link) {
  for (const cell of document.querySelectorAll('section.cell[data-cell]')) {
    const buttons = cell.querySelector('.cell-buttons');
    if (!buttons || buttons.querySelector('[data-room-show-cell]')) continue;
    const status = h('span', { class: 'room-cell-status', role: 'status' });
    const show = h('button', { type: 'button', class: 'secondary', 'data-room-show-cell': true, title: t('room.cell.show.title') }, t('room.cell.show'));
    const push = h('button', { type: 'button', class: 'secondary', 'data-room-push-cell': true, title: t('room.cell.push.title') }, t('room.cell.push'));
    buttons.append(h('span', { class: 'room-cell-buttons' }, show, push, status));
    const send = async (op) => {
      const code = /** @type {HTMLTextAreaElement} */ (cell.querySelector('[data-cell-code]')).value;
      const args = { cell: cell.dataset.cell, code };
      if (op === 'room_show') {
        args.output = cell.querySelector('[data-cell-output]')?.textContent ?? '';
        const state = /** @type {HTMLElement} */ (cell).dataset.state;
        if (state === 'ok' || state === 'fail') args.ok = state === 'ok';
      }
      status.textContent = '…';
      const r = await link.request(op, args);
      status.textContent = !r ? t('room.noanswer') : r.ok ? sentTo(r.followers ?? r.members?.length) : server(r.error?.message) ?? t('room.refused');
    };
    show.addEventListener('click', () => send('room_show'));
    push.addEventListener('click', () => send('room_push'));
  }
}

/** The join page: a name, room_join, then into the room. */
function joinPage(form, link) {
  const error = document.getElementById('room-join-error');
  const name = /** @type {HTMLInputElement} */ (form.elements.namedItem('name'));
  if (name && !name.value) name.value = cookie(NAME_COOKIE);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button');
    if (button) button.disabled = true;
    if (error) error.textContent = '';
    const r = await link.request('room_join', { room: form.dataset.room, name: name?.value ?? '' });
    if (button) button.disabled = false;
    if (!r?.ok) {
      if (error) error.textContent = r ? server(r.error?.message) ?? t('room.join.failed') : t('room.join.noanswer');
      return;
    }
    setCookie(ROOM_COOKIE, r.room);
    setCookie(NAME_COOKIE, r.name ?? name?.value ?? '');
    location.assign(safePath(form.dataset.next) || '/workbench');
  });
}

function main() {
  const form = /** @type {HTMLFormElement|null} */ (document.getElementById('room-join'));
  const bar = document.getElementById('room-bar');
  const code = cookie(ROOM_COOKIE);
  if (!code && !form) return null;
  const link = new RoomLink();
  /** The room as the server last said (room_join's result, room_state). */
  let state = null;
  let at = '';

  /** Tells the room where this page is, when that changed (the instructor's only from a place followers can go). */
  const sendAt = () => {
    if (!state || (state.instructor && !leads())) return;
    const place = here();
    const key = JSON.stringify(place);
    if (key === at) return;
    at = key;
    link.request('room_at', place);
  };
  const setState = (s) => {
    if (!s.room) return left();
    state = s;
    if (bar) drawBar(bar, s);
    if (s.instructor) addCellButtons(link);
  };
  const left = (why) => {
    state = null;
    forgetRoom();
    if (bar) bar.hidden = true;
    if (why) toast('room_end', '', why, { sticky: true });
  };

  link.onConnect = async () => {
    const room = cookie(ROOM_COOKIE);
    if (!room) return;
    const r = await link.request('room_join', { room, name: cookie(NAME_COOKIE) });
    if (!r) return;
    if (!r.ok) {
      // The room is gone (ended, or the server restarted): this browser is in none.
      if (r.error?.type === 'not_found') left(t('room.ended', { room }));
      return;
    }
    setState({ following: true, ...state, ...r });
    at = '';
    sendAt();
  };
  link.on('room_state', (m) => setState(m));
  link.on('follow', (m) => {
    if (state && !state.instructor && state.following !== false) follow(m);
  });
  link.on('room_hint', (m) => toast('room_hint', instructor(m.from, 'room.instructor.name'), m.text ?? '', { sticky: true }));
  link.on('note', (m) => toast('note', m.from ? server(m.from) : '', server(m.text ?? '')));
  link.on('room_show', (m) => offer(m, runInCell));
  link.on('room_push', (m) => offer(m, runInCell));
  link.on('room_end', (m) => left(m.by ? t('room.ended.by', { room: m.room ?? '', by: server(m.by) }) : t('room.ended', { room: m.room ?? '' })));
  document.addEventListener('sockplay:step', () => sendAt());

  bar?.addEventListener('click', async (ev) => {
    const button = /** @type {Element} */ (ev.target).closest('button');
    if (!button) return;
    if (button.dataset.roomFollow) {
      const flag = button.dataset.roomFollow === 'true';
      const r = await link.request('room_follow', { flag });
      if (r?.ok && state) setState({ ...state, following: flag });
    } else if (button.dataset.roomDrive) {
      const flag = button.dataset.roomDrive === 'true';
      const r = await link.request('room_drive', { flag, ...(flag ? here() : {}) });
      if (r?.ok && state) setState({ ...state, drive: flag });
    } else if (button.hasAttribute('data-room-leave')) {
      await link.request('room_leave', {});
      left('');
    }
  });
  if (form) joinPage(form, link);
  link.start();
  return link;
}

/** The room's connection on this page, or null outside a room (roompage.js uses it). */
export const roomLink = main();
