// forms.js — turns a submitted action form into a protocol request.
//
// Every action is a <form data-op="…">. A form with several submit buttons
// (send / sendall, recvfrom / recv, …) lets the button's data-op choose the
// op. Input names are the protocol's field names (host, port, bufsize, text,
// encoding, flags, option, value, timeout, how, backlog); the socket is the
// data-sock of the enclosing card. Plain HTML validation (required, min, max,
// pattern) runs before the submit event, so values here are well formed; the
// framing fields are checked by framing.js, which reports on the field and
// makes this return null.

import { framingFromForm } from './framing.js';

/**
 * @param {HTMLFormElement} form
 * @param {HTMLElement|null} submitter the button that submitted it, if any
 * @returns {{op: string, args: object}|null} null when the form is not an
 *   action, or its fields do not make a request
 */
export function requestFromForm(form, submitter) {
  const op = submitter?.dataset.op || form.dataset.op;
  if (!op) return null;
  const fields = new FormData(form);
  const str = (name) => String(fields.get(name) ?? '').trim();
  const num = (name) => Number(str(name));
  const args = {};
  const sock = form.closest('[data-sock]')?.dataset.sock;
  if (sock) args.sock = sock;

  switch (op) {
    case 'socket':
      if (!submitter?.dataset.family) return null;
      args.family = submitter.dataset.family;
      args.type = submitter.dataset.type;
      if (str('host') !== '') args.host = str('host'); // a lab host
      break;
    case 'lab':
      args.hosts = num('hosts');
      break;
    case 'encoding':
      args.encoding = str('encoding');
      break;
    case 'bind':
    case 'connect':
      args.addr = [str('host'), num('port')];
      break;
    case 'listen':
      if (str('backlog') !== '') args.backlog = num('backlog');
      break;
    case 'sendto':
      args.addr = [str('host'), num('port')];
      args.data = payload(fields);
      break;
    case 'send':
    case 'sendall':
      args.data = payload(fields);
      break;
    case 'recv':
    case 'recvfrom': {
      args.bufsize = num('bufsize');
      const flags = fields.getAll('flags').map(String);
      if (flags.length) args.flags = flags;
      break;
    }
    case 'setsockopt':
    case 'getsockopt': {
      const option = form.elements.namedItem('option');
      args.level = option.selectedOptions[0].dataset.level;
      args.option = option.value;
      if (op === 'setsockopt') args.value = optionValue(str('value'));
      break;
    }
    case 'send_frame':
    case 'recv_frame': {
      const framed = framingFromForm(form);
      if (!framed) return null;
      args.framing = framed.framing;
      if (op === 'send_frame') {
        args.data = payload(fields);
        if (framed.header) args.header = framed.header;
      }
      break;
    }
    case 'settimeout':
      args.timeout = str('timeout') === '' ? null : num('timeout');
      break;
    case 'shutdown':
      args.how = str('how');
      break;
    default:
      break; // accept, close, getsockname, getpeername, stat: just the socket
  }
  return { op, args };
}

/** The request payload from a form's `text` and `encoding` (utf-8, gbk or hex). */
function payload(fields) {
  const text = String(fields.get('text') ?? '');
  const encoding = String(fields.get('encoding') ?? 'utf-8');
  return encoding === 'hex' ? { hex: text } : { text, encoding };
}

/** An option value as the protocol wants it: an integer, or true/false. */
function optionValue(s) {
  const lower = s.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return Number.parseInt(s, 10);
}
