// checkview.js — what an exercise check looks like: one line per `check`
// message (a step begins, the checker listens, a socket call, a step ends),
// for the exercise page's list and the event log, and the verdict of a
// check's `result`. Every piece of server text goes in as text (dom.js).

import { h } from './dom.js';
import { lang, server, t } from './i18n.js';

/** The words of one `check` message, on one line. */
export function checkEventText(msg) {
  switch (msg.event) {
    case 'step':
      return t('check.step', { n: msg.n, text: server(msg.text) });
    case 'step_done': {
      const st = msg.step ?? {};
      return `${st.pass ? '✓' : '✗'} ${t('check.stepdone', { n: msg.n, name: server(st.name ?? msg.text), received: server(st.received ?? '') })}`;
    }
    case 'listening':
      return server(msg.text ?? '');
    default: // call
      return callText(msg.text ?? '');
  }
}

/**
 * A socket call the checker made, "recv(1024) → nothing came within 2 s":
 * the call stays as Python writes it, its outcome in the page's language.
 */
function callText(text) {
  const i = text.indexOf(' → ');
  return i < 0 ? text : text.slice(0, i + 3) + server(text.slice(i + 3));
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
  if (res.ok && res.pass) return t('check.passed', { summary: server(res.summary) });
  if (res.ok) return res.failed ? t('check.failedat', { n: res.failed.n, name: server(res.failed.name) }) : t('check.failed');
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
      h('dt', {}, t('check.did')), h('dd', { dataset: { field: 'did' } }, h('code', {}, server(f.did))),
      h('dt', {}, t('check.expected')), h('dd', { dataset: { field: 'expected' } }, server(f.expected)),
      h('dt', {}, t('check.received')), h('dd', { dataset: { field: 'received' } }, server(f.received)),
      f.advice ? [h('dt', {}, t('check.advice')), h('dd', { dataset: { field: 'advice' } }, server(f.advice))] : null));
  }
  if (res.steps?.length) {
    children.push(h('ol', { class: 'verdict-steps' }, res.steps.map((st) => h('li', {
      dataset: { n: st.n, pass: String(!!st.pass) },
    }, `${st.pass ? '✓' : '✗'} ${server(st.name)}${t('check.colon')}`, h('span', { class: 'received' }, server(st.received))))));
  }
  if (res.verdict) {
    children.push(h('details', { class: 'verdict-text' },
      h('summary', {}, t('check.terminal')),
      h('pre', { class: 'code' }, h('code', {}, lang === 'zh' ? terminalText(res) : res.verdict))));
  }
  return { state, children };
}

/**
 * A check's verdict as `sockplay check --lang zh` prints it, from its
 * steps: what res.verdict says in English (exercises.Verdict.Text), in the
 * page's language.
 */
function terminalText(res) {
  const lines = [];
  const f = res.failed;
  if (res.pass) lines.push(t('check.term.pass', { x: res.exercise, summary: server(res.summary) }));
  else if (f) {
    lines.push(t('check.term.failat', { x: res.exercise, n: f.n, name: server(f.name), did: server(f.did), received: server(f.received) })
      + (f.advice ? t('check.term.advice', { advice: server(f.advice) }) : ''));
  } else lines.push(t('check.term.fail', { x: res.exercise }));
  for (const st of res.steps ?? []) {
    if (st.pass) {
      lines.push(t('check.term.passed', { n: st.n, name: server(st.name), did: server(st.did), received: server(st.received) }));
      continue;
    }
    lines.push(t('check.term.failed', { n: st.n, name: server(st.name) }),
      t('check.term.did', { did: server(st.did) }),
      t('check.term.expected', { expected: server(st.expected) }),
      t('check.term.received', { received: server(st.received) }));
  }
  return `${lines.join('\n')}\n`;
}
