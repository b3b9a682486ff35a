// pyframing.js — the Python for send_frame and recv_frame: what a learner
// writes by hand to frame messages on a TCP stream, with struct, json and
// two small helpers (recv_exactly, recv_until) that the transcript defines
// once, the first time a line needs them.

import { structSize, delimiterRepr, framingArg } from './framing.js';
import { pyData, pyPayload, pyStr, pyValue } from './pyrepr.js';
import { t } from './i18n.js';

/** Helper functions, by name, as Python source (each ends with a blank line). */
export const HELPERS = {
  recv_exactly: `def recv_exactly(sock, n):
    """Read exactly n bytes: one recv() may return fewer than asked."""
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f'peer closed after {len(buf)} of {n} bytes')
        buf += chunk
    return buf
`,
  recv_until: `def recv_until(sock, delim):
    """Read through the next delim and return what came before it."""
    buf = b''
    while True:
        peek = sock.recv(4096, socket.MSG_PEEK)  # look, without taking
        if not peek:
            raise ConnectionError(f'peer closed after {len(buf)} bytes, before {delim!r}')
        i = (buf + peek).find(delim, max(0, len(buf) - len(delim) + 1))
        if i >= 0:
            buf += recv_exactly(sock, i + len(delim) - len(buf))
            return buf[:-len(delim)]
        buf += recv_exactly(sock, len(peek))
`,
};

/** The call of a framing op, for the log: s2.send_frame(b'hi', length='!I'). */
export function frameCall(op, sock, req) {
  const framing = framingArg(req?.framing);
  if (op === 'send_frame') {
    const header = req?.header ? `, header=${pyValue(req.header)}` : '';
    return `${sock}.send_frame(${req ? pyPayload(req.data) : '…'}, ${framing}${header})`;
  }
  return `${sock}.recv_frame(${framing})`;
}

/**
 * What a framing line needs defined first.
 * @returns {{imports: string[], helpers: string[]}}
 */
export function frameNeeds(op, framing) {
  const kind = framing?.kind;
  const imports = [];
  if (kind === 'length' || kind === 'json_header') imports.push('struct');
  if (kind === 'json_header') imports.push('json');
  const helpers = [];
  if (op === 'recv_frame') helpers.push('recv_exactly');
  if (op === 'recv_frame' && kind === 'delimiter') helpers.push('recv_until');
  return { imports, helpers };
}

/**
 * The transcript lines for a successful send_frame / recv_frame result.
 * @param {object} res the result
 * @param {object} req its request (the echo)
 * @returns {string}
 */
export function frameLines(res, req) {
  const s = res.sock;
  const framing = req.framing ?? {};
  if (res.op === 'send_frame') return sendLines(s, framing, req);
  return recvLines(s, framing, res);
}

function sendLines(s, framing, req) {
  const body = pyPayload(req.data);
  switch (framing.kind) {
    case 'length':
      return `body = ${body}\n${s}.sendall(struct.pack(${pyStr(framing.format)}, len(body)) + body)`;
    case 'delimiter':
      return `${s}.sendall(${body} + ${delimiterRepr(framing.delimiter)})`;
    case 'fixed':
      return `${s}.sendall(${body})  # ${t('pyf.fixed', { n: framing.size })}`;
    case 'json_header': {
      const fields = Object.entries(req.header ?? {}).filter(([k]) => k !== 'data_size')
        .map(([k, v]) => `${pyStr(k)}: ${pyValue(v)}`);
      fields.push("'data_size': len(body)");
      // The server writes compact JSON with sorted keys, and does not escape non-ASCII.
      // eslint-disable-next-line no-control-regex
      const ascii = /^[\x00-\x7f]*$/.test(JSON.stringify(req.header ?? {}));
      return [
        `body = ${body}`,
        `header = json.dumps({${fields.join(', ')}}, separators=(',', ':'), sort_keys=True${ascii ? '' : ', ensure_ascii=False'}).encode()`,
        `${s}.sendall(struct.pack(${pyStr(framing.format || 'i')}, len(header)) + header + body)`,
      ].join('\n');
    }
    default:
      return `# ${s}.send_frame(…): ${t('pyf.unknown')}`;
  }
}

function recvLines(s, framing, res) {
  const got = `  # ${pyData(res.data)}`;
  switch (framing.kind) {
    case 'length': {
      const fmt = framing.format;
      return `(n,) = struct.unpack(${pyStr(fmt)}, recv_exactly(${s}, ${structSize(fmt) ?? '…'}))\n`
        + `data = recv_exactly(${s}, n)${got}`;
    }
    case 'delimiter':
      return `data = recv_until(${s}, ${delimiterRepr(framing.delimiter)})${got}`;
    case 'fixed':
      return `data = recv_exactly(${s}, ${framing.size})${got}`;
    case 'json_header': {
      const fmt = framing.format || 'i';
      return [
        `(n,) = struct.unpack(${pyStr(fmt)}, recv_exactly(${s}, ${structSize(fmt) ?? '…'}))`,
        `header = json.loads(recv_exactly(${s}, n))  # ${pyValue(res.header ?? {})}`,
        `data = recv_exactly(${s}, header['data_size'])${got}`,
      ].join('\n');
    }
    default:
      return `# ${s}.recv_frame(…): ${t('pyf.unknown')}`;
  }
}
