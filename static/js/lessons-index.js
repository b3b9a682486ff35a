// lessons-index.js — marks the lessons on /lessons whose steps have passed in
// this browser (progress.js). Each item is
//   li.lesson-item[data-lesson="<slug>"][data-steps="<id> <id> …"]
//     [data-progress]   "N steps" → "2 of 5 steps passed" | "done ✓"
// and gets data-done="true" when every step passed.

import { lessonProgress } from './progress.js';

for (const item of document.querySelectorAll('.lesson-item[data-lesson]')) {
  const steps = (item.dataset.steps ?? '').split(' ').filter(Boolean);
  const { passed, total, done } = lessonProgress(item.dataset.lesson, steps);
  const mark = item.querySelector('[data-progress]');
  item.dataset.done = String(done);
  if (!mark || passed === 0) continue;
  mark.textContent = done ? 'done ✓' : `${passed} of ${total} steps passed`;
  mark.classList.toggle('done', done);
}
