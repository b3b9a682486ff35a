// transcript.mjs — the workbench's transcript of a recorded session, for
// TestTranscriptRuns: reads the session's messages (a JSON array, in seq
// order) on stdin and writes the Python the workbench's pane would hold
// once every held line is released, put together as Transcript.text()
// puts it (import socket, the other imports, the helpers, the lines).
//
//   SOCKPLAY_I18N='<catalog JSON>' node --experimental-default-type=module transcript.mjs < messages.json
//
// The page scripts' catalog (templates/i18n, JSCatalog: the comments the
// transcript writes) comes in SOCKPLAY_I18N, as a page embeds it.

import { readFileSync } from 'node:fs';

globalThis.document = {
  getElementById: (id) => (id === 'i18n-messages' && process.env.SOCKPLAY_I18N ? { textContent: process.env.SOCKPLAY_I18N } : null),
  documentElement: { lang: 'en' },
};
const { Program } = await import('../../static/js/pyprogram.js');
const { HELPERS } = await import('../../static/js/pyframing.js');
const { importLines } = await import('../../static/js/python.js');

const msgs = JSON.parse(readFileSync(0, 'utf8'));
const program = new Program();
const lines = [];
for (const msg of msgs) lines.push(...program.note(msg));
lines.push(...program.release());

const imports = [importLines('socket')];
const helpers = [];
for (const { needs } of lines) {
  for (const name of needs.imports) if (!imports.includes(importLines(name))) imports.push(importLines(name));
  for (const name of needs.helpers) if (!helpers.includes(name)) helpers.push(name);
}
let out = imports.join('\n') + '\n';
for (const name of helpers) out += `\n${HELPERS[name]}\n`;
for (const { text } of lines) out += text + '\n';
process.stdout.write(out);
