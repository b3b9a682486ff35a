// lessons-index.js — the server renders each lesson's progress on /lessons
// (read mark, "2 of 5 cells passed", data-done); this adds the passes kept
// only in this browser, while the server could not take them (progress.js).
// Each item is
//   li.lesson-item[data-lesson="<slug>"][data-steps="<id> <id> …"]
//                              (the ids of its cells; progress calls them steps)
//     [data-passed="<id> …"]   the cells the server says passed
//     [data-progress]          "N cells" → "2 of 5 cells passed" | "done ✓"
// and has data-done="true" when every cell passed.

import { lessonProgress } from './progress.js';
import { t } from './i18n.js';

const ids = (s) => (s ?? '').split(' ').filter(Boolean);

for (const item of document.querySelectorAll('.lesson-item[data-lesson]')) {
  const server = ids(item.dataset.passed);
  const { passed, total, done } = lessonProgress(item.dataset.lesson, ids(item.dataset.steps), server);
  const mark = item.querySelector('[data-progress]');
  if (!mark || passed <= server.length) continue; // the server's view is complete
  item.dataset.done = String(done);
  mark.textContent = done ? t('lessons.done') : t('lessons.passed', { passed, total });
  mark.classList.toggle('done', done);
}
