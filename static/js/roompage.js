// roompage.js — the instructor's room page (/rooms/CODE): the live roster
// from `roster` messages, and the controls, on room.js's connection (the
// page's room is in the cookie the server set with the page). On /rooms,
// the create form (POST /rooms as JSON, its refusals shown on the page).
//
// DOM contract (stable; browser tests rely on it):
//   #room-page[data-room][data-lesson]
//   #roster-rows tr.member[data-member="m2"][data-online][data-stuck]
//                                  one per student, in the roster's order;
//                                  .stuck when stuck (with .stuck-why)
//     .member-name .member-addr (on the class network) .member-online .member-where .member-sockets
//     .member-passed .member-checks span[data-exercise][data-verdict]
//     .member-error
//     button[data-observe] [data-hint] [data-reset]
//   #roster-count                  "(2 students, 1 online)"
//   #room-drive[aria-pressed]      drive on / off (room_drive)
//   #room-reset-all #room-end      a first click arms, a second within 4 s acts
//   form#room-peers form#room-check   room_peers, room_check for everyone
//   form#room-hint                 the hint for one student (room_hint)
//   form#room-create #room-create-error   /rooms: the form, and why it was refused
//   #room-result[data-ok]          what the last control did; after Observe,
//     a#observe-link               the read-only workbench's URL

import { roomLink } from './room.js';
import { h } from './dom.js';
import { server, t, tn } from './i18n.js';

/** How long an armed destructive button waits for its second click (ms). */
const ARM_TIME = 4000;

/** Where a member is, in words. */
function where(m) {
  if (m.lesson) return m.step ? `${m.lesson} · ${m.step}` : m.lesson;
  return m.page || '—';
}

/** A check's verdict (running, pass, fail) in words. */
function verdictText(v) {
  const text = t(`roompage.verdict.${v}`);
  return text.startsWith('roompage.') ? v : text;
}

/** One roster row's cells for member m. */
function rowCells(m) {
  const checks = Object.entries(m.checks ?? {}).map(([x, v]) =>
    h('span', { class: `check-${v}`, dataset: { exercise: x, verdict: v } }, `${x}: ${verdictText(v)} `));
  return [
    h('td', {}, h('span', { class: 'member-name' }, m.name),
      m.addr ? h('span', { class: 'member-addr', title: t('roompage.lan') }, m.addr) : null,
      m.stuck ? h('span', { class: 'stuck-why' }, t('roompage.stuck', { why: server(m.stuck) })) : null),
    h('td', { class: 'member-online' }, t(m.online ? 'roompage.online' : 'roompage.offline')),
    // Plain text, not a link: the instructor's page going there would drive the class there.
    h('td', { class: 'member-where', title: m.page ?? '' }, where(m), m.following === false ? t('roompage.notfollowing') : ''),
    h('td', { class: 'member-sockets' }, String(m.sockets ?? 0)),
    h('td', { class: 'member-passed' }, (m.passed ?? []).join(', ')),
    h('td', { class: 'member-checks' }, ...checks),
    h('td', { class: 'member-error' }, server(m.last_error ?? '')),
    h('td', { class: 'member-actions' },
      h('button', { type: 'button', class: 'secondary', 'data-observe': true, title: t('roompage.observe.title') }, t('roompage.observe')), ' ',
      h('button', { type: 'button', class: 'secondary', 'data-hint': true }, t('roompage.hint')), ' ',
      h('button', { type: 'button', class: 'danger', 'data-reset': true, title: t('roompage.reset.title') }, t('roompage.reset'))),
  ];
}

/** @param {HTMLElement} page */
function main(page, link) {
  const rows = document.getElementById('roster-rows');
  const table = document.getElementById('roster');
  const empty = document.getElementById('roster-empty');
  const count = document.getElementById('roster-count');
  const result = document.getElementById('room-result');
  const drive = document.getElementById('room-drive');
  const hintForm = /** @type {HTMLFormElement} */ (document.getElementById('room-hint'));
  /** @type {Map<string, {el: HTMLElement, key: string, member: object}>} */
  const shown = new Map();
  let hintFor = '';

  const say = (text, ok = true, ...more) => {
    result.replaceChildren(text, ...more);
    result.dataset.ok = String(ok);
  };
  /** Sends op; says what came of it. */
  const act = async (op, args, done) => {
    say(`${op}…`);
    const r = await link.request(op, args);
    if (!r) return say(t('roompage.noanswer', { op }), false);
    if (!r.ok) return say(t('roompage.refused', { op, why: server(r.error?.message) ?? t('room.refused') }), false);
    say(done(r));
    return r;
  };
  const many = (r) => tn('roompage.students', r.members?.length ?? 0);

  const drawRoster = (msg) => {
    const students = (msg.members ?? []).filter((m) => !m.instructor);
    const seen = new Set();
    for (const m of students) {
      seen.add(m.id);
      const key = JSON.stringify(m);
      let row = shown.get(m.id);
      if (!row) {
        row = { el: h('tr', { class: 'member', dataset: { member: m.id } }), key: '', member: m };
        shown.set(m.id, row);
      }
      row.member = m;
      if (row.key !== key) {
        row.key = key;
        row.el.dataset.online = String(!!m.online);
        row.el.dataset.stuck = m.stuck ?? '';
        row.el.classList.toggle('stuck', !!m.stuck);
        row.el.replaceChildren(...rowCells(m));
      }
      rows.append(row.el); // in the roster's order
    }
    for (const [id, row] of shown) {
      if (!seen.has(id)) {
        row.el.remove();
        shown.delete(id);
      }
    }
    const online = students.filter((m) => m.online).length;
    count.textContent = t('roompage.count', { students: tn('roompage.students', students.length), online });
    table.hidden = students.length === 0;
    empty.hidden = students.length > 0;
  };

  const drawDrive = (on) => {
    drive.setAttribute('aria-pressed', String(on));
    drive.dataset.drive = String(on);
    drive.textContent = t(on ? 'roompage.drive.on' : 'roompage.drive.off');
  };

  /** A destructive button acts on its second click within ARM_TIME. */
  const armed = (button) => {
    if (button.dataset.armed === 'true') {
      delete button.dataset.armed;
      button.textContent = button.dataset.label;
      return true;
    }
    button.dataset.label = button.textContent;
    button.dataset.armed = 'true';
    button.textContent = t('roompage.confirm');
    setTimeout(() => {
      if (button.dataset.armed !== 'true') return;
      delete button.dataset.armed;
      button.textContent = button.dataset.label;
    }, ARM_TIME);
    return false;
  };

  link.on('roster', drawRoster);
  link.on('room_state', (m) => drawDrive(m.drive !== false));
  link.on('room_end', () => {
    say(t('roompage.ended'), true);
    for (const b of page.querySelectorAll('.room-controls button, #roster button')) /** @type {HTMLButtonElement} */ (b).disabled = true;
  });

  page.addEventListener('click', async (ev) => {
    const button = /** @type {Element} */ (ev.target).closest('button');
    if (!button) return;
    const member = button.closest('tr.member')?.getAttribute('data-member') ?? '';
    const name = shown.get(member)?.member.name ?? member;
    if (button.hasAttribute('data-observe')) {
      // Opened now, in the click, so no popup blocker stops it; pointed at the workbench once the token comes.
      const tab = window.open('about:blank', `observe-${member}`);
      const r = await act('room_observe', { member }, () => t('roompage.watching', { name }));
      const url = r?.url?.startsWith('/') ? r.url : '';
      if (url && tab) tab.location.href = url;
      else tab?.close();
      if (url) say(t('roompage.watching.again', { name }), true, h('a', { id: 'observe-link', href: url, target: `observe-${member}` }, t('roompage.openagain')));
    } else if (button.hasAttribute('data-hint')) {
      hintFor = member;
      document.getElementById('room-hint-name').textContent = name;
      hintForm.hidden = false;
      /** @type {HTMLInputElement} */ (hintForm.elements.namedItem('text')).focus();
    } else if (button.hasAttribute('data-hint-cancel')) {
      hintForm.hidden = true;
    } else if (button.hasAttribute('data-reset')) {
      act('room_reset', { member }, () => t('roompage.reset.one', { name }));
    } else if (button.id === 'room-reset-all' && armed(button)) {
      act('room_reset', {}, (r) => t('roompage.reset.all', { students: many(r) }));
    } else if (button.id === 'room-end' && armed(button)) {
      act('room_end', {}, () => t('roompage.ended'));
    } else if (button.id === 'room-drive') {
      const on = drive.dataset.drive !== 'true';
      const r = await act('room_drive', { flag: on }, () => t(on ? 'roompage.drive.done.on' : 'roompage.drive.done.off'));
      if (r) drawDrive(on);
    }
  });

  page.addEventListener('submit', (ev) => {
    const form = /** @type {HTMLFormElement} */ (ev.target);
    ev.preventDefault();
    const data = new FormData(form);
    if (form === hintForm) {
      const text = String(data.get('text') ?? '');
      act('room_hint', { member: hintFor, text }, () => t('roompage.hint.sent', { name: shown.get(hintFor)?.member.name ?? hintFor }))
        .then((r) => {
          if (r) {
            form.reset();
            form.hidden = true;
          }
        });
    } else if (form.id === 'room-peers') {
      act('room_peers', { lesson: String(data.get('lesson') ?? '') }, (r) => t('roompage.peers.done', { students: many(r) }));
    } else if (form.id === 'room-check') {
      const select = /** @type {HTMLSelectElement} */ (form.elements.namedItem('exercise'));
      const role = select.selectedOptions[0]?.dataset.role;
      const addr = ['127.0.0.1', Number(data.get('port'))];
      const args = { exercise: select.value, ...(role === 'client' ? { listen: addr } : { target: addr }) };
      act('room_check', args, (r) => t('roompage.check.done', { students: many(r) }));
    }
  });
}

/**
 * /rooms: the create form posts JSON, so that a refusal (a title too long,
 * too many rooms) is shown on the page as the server's sentence.
 * @param {HTMLFormElement} form
 */
function createForm(form) {
  const error = document.getElementById('room-create-error');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector('button');
    button.disabled = true;
    error.hidden = true;
    try {
      const resp = await fetch(form.action, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: String(data.get('title') ?? ''), lesson: String(data.get('lesson') ?? '') }),
      });
      const body = await resp.json().catch(() => ({}));
      if (resp.status === 201 && body.room) {
        location.assign(`/rooms/${encodeURIComponent(body.room)}`);
        return;
      }
      error.textContent = body.error ? server(body.error) : t('roompage.create.status', { status: resp.status });
    } catch (err) {
      error.textContent = t('roompage.create.unreachable', { err });
    }
    error.hidden = false;
    button.disabled = false;
  });
}

const page = document.getElementById('room-page');
if (page && roomLink) main(page, roomLink);
const create = /** @type {HTMLFormElement|null} */ (document.getElementById('room-create'));
if (create) createForm(create);
