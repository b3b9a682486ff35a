// checkview.js — what an exercise check looks like: one line per `check`
// message (a step begins, the checker listens, a socket call, a step ends),
// for the exercise page's list and the event log, and the verdict of a
// check's `result`. Every piece of server text goes in as text (dom.js).

import { h } from './dom.js';
import { server, t } from './i18n.js';

/** The words of one `check` message, on one line. */
export function checkEventText(msg) {
  switch (msg.event) {
    case 'step':
      return t('check.step', { n: msg.n, text: msg.text });
    case 'step_done': {
      const st = msg.step ?? {};
      return `${st.pass ? '✓' : '✗'} ${t('check.stepdone', { n: msg.n, name: st.name ?? msg.text, received: st.received ?? '' })}`;
    }
    default: // listening, call
      return msg.text ?? '';
  }
}

/**
 * One `check` message as a list item:
 * li.check-event[data-event][data-n] (step_done also [data-pass]).
 */
export function checkEventItem(msg) {
  const pass = msg.event === 'step_done' ? String(!!msg.step?.pass) : undefined;
  const body = msg.event === 'call' || msg.event === 'listening'
    ? h('code', {}, checkEventText(msg))
    : checkEventText(msg);
  return h('li', { class: 'check-event', dataset: { event: msg.event, n: msg.n, pass } }, body);
}

/**
 * What a check's result says, in a few words: "✓ Passed: 3/3 datagrams
 * answered", "✗ Failed at step 2 (datagram 2)", "Cancelled", or why the
 * check did not run.
 */
export function verdictLine(res) {
  if (res.ok && res.pass) return t('check.passed', { summary: res.summary });
  if (res.ok) return res.failed ? t('check.failedat', { n: res.failed.n, name: res.failed.name }) : t('check.failed');
  const err = res.error ?? {};
  if (err.type === 'cancelled') return t('check.cancelled');
  return t('check.notrun', { why: server(err.message ?? err.type ?? 'error') });
}

/**
 * The verdict of a check's result, for div#check-verdict: the verdict line,
 * for a failure the failing step (what the checker did, expected and
 * received, and what to do), every step, and the text a terminal prints.
 * @returns {{state: string, children: HTMLElement[]}} state is pass | fail |
 *   cancelled | error
 */
export function verdictView(res) {
  const state = res.ok ? (res.pass ? 'pass' : 'fail') : res.error?.type === 'cancelled' ? 'cancelled' : 'error';
  const children = [h('p', { class: 'verdict-head' }, verdictLine(res))];
  if (!res.ok && state === 'error' && res.error?.hint) children.push(h('p', { class: 'hint' }, server(res.error.hint)));
  const f = res.failed;
  if (f && state !== 'pass') {
    children.push(h('dl', { class: 'failed-step', dataset: { n: f.n } },
      h('dt', {}, t('check.did')), h('dd', { dataset: { field: 'did' } }, h('code', {}, f.did)),
      h('dt', {}, t('check.expected')), h('dd', { dataset: { field: 'expected' } }, f.expected),
      h('dt', {}, t('check.received')), h('dd', { dataset: { field: 'received' } }, f.received),
      f.advice ? [h('dt', {}, t('check.advice')), h('dd', { dataset: { field: 'advice' } }, f.advice)] : null));
  }
  if (res.steps?.length) {
    children.push(h('ol', { class: 'verdict-steps' }, res.steps.map((st) => h('li', {
      dataset: { n: st.n, pass: String(!!st.pass) },
    }, `${st.pass ? '✓' : '✗'} ${st.name}: `, h('span', { class: 'received' }, st.received)))));
  }
  if (res.verdict) {
    children.push(h('details', { class: 'verdict-text' },
      h('summary', {}, t('check.terminal')),
      h('pre', { class: 'code' }, h('code', {}, res.verdict))));
  }
  return { state, children };
}
