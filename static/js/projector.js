// projector.js — a lesson page's current step, and its projector view.
//
// The current step is the cell the learner is at: the one the URL's
// #cell-<id> names, the one clicked or run, or (in the ordinary view) the
// topmost cell in sight once the step has scrolled out of sight. Each
// change is announced as a `sockplay:step` event on document ({detail: {lesson, step}}), which
// room.js turns into room_at, and written to #lesson[data-step].
//
// The projector view (?view=projector, or the toggle, remembered in
// localStorage) is one screen: the current step's text and cell (its code
// and output) on the left, and on the right the workbench's cards of the
// sockets the cell is about (the highlighted ones; all when none is), their
// stream maps and kernel state, and the packets of those sockets. Large
// type with a font-size control (A− / A+, remembered); ◀ ▶ and Page Up /
// Page Down move between steps.
//
// Also in the ordinary view: when a cell highlights a card, the workbench
// column scrolls to keep that card in view.
//
// DOM contract (stable; browser tests rely on it):
//   html.projector                    the projector view is on
//   #projector-toggle[aria-pressed]   the toggle
//   button[data-step-move="-1|1"]     the step before / after
//   button[data-projector-font="-1|1"] smaller / larger text
//   #projector-step                   "Step 2 of 5: title"
//   #lesson[data-step="<id>"]         the current step's cell id
//   section.cell.current-step         its cell
//   .lesson-body > [data-step-of="<id>"]  every part of the lesson text, by
//                                     the step it belongs to (the text
//                                     before a cell is that cell's); the
//                                     current step's parts have .step-part
//   .sock-card.highlighted            the cards the step is about (lesson.js)
//   .pk-conv.about-step               their packets' conversations

import { t } from './i18n.js';

const VIEW_KEY = 'sockplay.view';
const FONT_KEY = 'sockplay.projectorFont';
/** Projector font sizes (px): the default, the bounds and one click's step. */
const FONT = { base: 22, min: 14, max: 40, step: 2 };

/** Reads localStorage, which a browser may refuse (private mode). */
function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // not remembered; the view still changes
  }
}

/** Whether the projector view starts on: the URL's ?view (remembered), else what was chosen last. */
function projectorWanted() {
  const view = new URLSearchParams(location.search).get('view');
  if (view) store(VIEW_KEY, view === 'projector' ? 'projector' : null);
  return stored(VIEW_KEY) === 'projector';
}

/** Files the lesson text's parts under the cell each leads to (the text after the last cell is the last cell's). */
function assignParts(body, cells) {
  let pending = [];
  for (const el of body.children) {
    const id = el.matches('section.cell[data-cell]') ? el.dataset.cell : el.querySelector('section.cell[data-cell]')?.dataset.cell;
    pending.push(el);
    if (!id) continue;
    for (const p of pending) p.dataset.stepOf = id;
    pending = [];
  }
  const last = cells.at(-1)?.dataset.cell;
  if (last) for (const p of pending) p.dataset.stepOf = last;
}

/** Scrolls box (when it scrolls) so that el is in sight. */
function keepInView(box, el) {
  if (!box || box.scrollHeight <= box.clientHeight) return;
  const b = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  if (r.top >= b.top && r.bottom <= b.bottom) return;
  box.scrollTop += r.top - b.top - 8;
}

/** @param {HTMLElement} page #lesson */
function main(page) {
  const root = document.documentElement;
  const body = /** @type {HTMLElement} */ (page.querySelector('.lesson-body'));
  const bench = /** @type {HTMLElement|null} */ (page.querySelector('.lesson-bench'));
  const cells = /** @type {HTMLElement[]} */ ([...page.querySelectorAll('section.cell[data-cell]')]);
  const toggle = document.getElementById('projector-toggle');
  const label = document.getElementById('projector-step');
  if (!body || cells.length === 0) {
    if (toggle) toggle.hidden = true;
    return;
  }
  assignParts(body, cells);

  let current = -1;
  let announced = '';
  let announceTimer = 0;

  /** Announces the current step once it has stayed for a moment (scrolling passes many). */
  const announce = (delay) => {
    clearTimeout(announceTimer);
    announceTimer = setTimeout(() => {
      const step = cells[current]?.dataset.cell;
      if (!step || step === announced) return;
      announced = step;
      document.dispatchEvent(new CustomEvent('sockplay:step', { detail: { lesson: page.dataset.lesson, step } }));
    }, delay);
  };

  /** Makes cells[i] the current step; in the projector view, shows it. */
  const setStep = (i, { delay = 0 } = {}) => {
    if (i < 0 || i >= cells.length) return;
    const changed = i !== current;
    current = i;
    const cell = cells[i];
    const id = cell.dataset.cell;
    page.dataset.step = id;
    for (const c of cells) c.classList.toggle('current-step', c === cell);
    for (const el of body.children) el.classList.toggle('step-part', /** @type {HTMLElement} */ (el).dataset.stepOf === id);
    const title = cell.querySelector('.cell-title')?.textContent.trim() ?? id;
    if (label) label.textContent = t('projector.step', { n: i + 1, total: cells.length, title });
    if (root.classList.contains('projector')) showStep();
    if (changed) announce(delay);
  };

  /** In the projector view: the step's text scrolled so its cell's end is at the bottom, the text before it above. */
  const showStep = () => {
    scrollToCell();
    showAbout();
  };
  const scrollToCell = () => {
    const cell = cells[current];
    if (!cell || !root.classList.contains('projector')) return;
    const c = cell.getBoundingClientRect();
    const b = body.getBoundingClientRect();
    // A cell taller than the column shows from its head.
    body.scrollTop += c.height > b.height ? c.top - b.top : c.bottom - b.bottom;
  };

  /** Marks the conversations of the highlighted cards' sockets. */
  const showAbout = () => {
    const ports = [...page.querySelectorAll('.sock-card.highlighted [data-field="laddr"][data-port]')]
      .map((el) => /** @type {HTMLElement} */ (el).dataset.port);
    for (const conv of page.querySelectorAll('.pk-conv')) {
      const ends = [...conv.querySelectorAll('.pk-end')].map((e) => e.textContent);
      conv.classList.toggle('about-step', ports.some((p) => ends.some((e) => e.endsWith(`:${p}`))));
    }
  };

  const indexOfHash = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    return cells.findIndex((c) => c.id === id);
  };

  const setProjector = (on, { remember = false } = {}) => {
    root.classList.toggle('projector', on);
    if (toggle) {
      toggle.setAttribute('aria-pressed', String(on));
      toggle.textContent = t(on ? 'projector.exit' : 'projector.view');
    }
    applyFont();
    if (remember) {
      store(VIEW_KEY, on ? 'projector' : null);
      const url = new URL(location.href);
      if (on) url.searchParams.set('view', 'projector');
      else url.searchParams.delete('view');
      history.replaceState(history.state, '', url);
    }
    if (on) showStep();
    else if (remember) cells[current]?.scrollIntoView({ block: 'start' }); // back in the lesson where the projector was
  };

  const applyFont = () => {
    const px = Number(stored(FONT_KEY)) || FONT.base;
    root.style.setProperty('--projector-font', `${px}px`);
  };
  const changeFont = (dir) => {
    const px = Number(stored(FONT_KEY)) || FONT.base;
    store(FONT_KEY, String(Math.min(FONT.max, Math.max(FONT.min, px + dir * FONT.step))));
    applyFont();
    showStep();
  };

  const move = (dir) => {
    const next = cells[current + dir];
    if (next) location.hash = next.id; // lesson.js scrolls to it; hashchange sets the step
  };

  document.addEventListener('click', (ev) => {
    const target = /** @type {Element} */ (ev.target);
    const button = target.closest('button');
    if (button?.hasAttribute('data-projector-toggle')) setProjector(!root.classList.contains('projector'), { remember: true });
    else if (button?.dataset.stepMove) move(Number(button.dataset.stepMove));
    else if (button?.dataset.projectorFont) changeFont(Number(button.dataset.projectorFont));
    else {
      const cell = target.closest('section.cell[data-cell]');
      if (cell) setStep(cells.indexOf(/** @type {HTMLElement} */ (cell)));
    }
  });
  document.addEventListener('focusin', (ev) => {
    const cell = /** @type {Element} */ (ev.target).closest?.('section.cell[data-cell]');
    if (cell) setStep(cells.indexOf(/** @type {HTMLElement} */ (cell)));
  });
  document.addEventListener('keydown', (ev) => {
    if (!root.classList.contains('projector') || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const t = /** @type {Element} */ (ev.target);
    if (t.closest('textarea, input, select, [contenteditable]')) return;
    const dir = { PageDown: 1, ArrowRight: 1, PageUp: -1, ArrowLeft: -1 }[ev.key];
    if (dir) {
      ev.preventDefault();
      move(dir);
    }
  });
  addEventListener('hashchange', () => {
    const i = indexOfHash();
    if (i >= 0) setStep(i);
  });

  // In the ordinary view the step follows the reading: the topmost cell
  // in sight, once scrolling has settled.
  const inSight = new Set();
  const observer = new IntersectionObserver((entries) => {
    if (root.classList.contains('projector')) return;
    for (const e of entries) {
      if (e.isIntersecting) inSight.add(e.target);
      else inSight.delete(e.target);
    }
    // The step stays while it is in sight; once it has scrolled away,
    // the topmost cell in sight is the step.
    if (inSight.has(cells[current])) return;
    const top = cells.find((c) => inSight.has(c));
    if (top) setStep(cells.indexOf(top), { delay: 400 });
  }, { rootMargin: '0px 0px -40% 0px' });
  for (const c of cells) observer.observe(c);

  // The card a cell is about stays in view in the workbench column.
  const cards = document.getElementById('cards');
  if (cards) {
    let shown = null;
    new MutationObserver(() => {
      const hl = cards.querySelector('.sock-card.highlighted');
      if (root.classList.contains('projector')) showAbout();
      if (!hl || hl === shown) return;
      shown = hl;
      keepInView(root.classList.contains('projector') ? hl.closest('.panes') : bench, hl);
    }).observe(cards, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
  }
  // A run's output (or a larger font) changes the step's height: keep its end in sight.
  new ResizeObserver(scrollToCell).observe(body);
  for (const c of cells) new ResizeObserver(() => c === cells[current] && scrollToCell()).observe(c);
  const packets = document.getElementById('packets');
  if (packets) new MutationObserver(() => root.classList.contains('projector') && showAbout()).observe(packets, { childList: true });

  setStep(Math.max(0, indexOfHash()));
  setProjector(projectorWanted());
}

const page = document.getElementById('lesson');
if (page) main(page);
