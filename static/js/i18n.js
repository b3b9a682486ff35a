// i18n.js — the page's language and its messages. The layout embeds the
// page scripts' catalog in the page's language once, as JSON in
// <script id="i18n-messages"> (templates/i18n, JSCatalog); t(key, args)
// looks a message up and fills its {name} placeholders from args. Every
// string a script shows is written with t and a catalog key; the Go test TestJSKeys
// checks that each key is in the catalog, in both languages.

/** @type {{m: Record<string, string>, s: [string, string][]}|null} */
let catalog = null;

function load() {
  if (catalog === null) {
    const data = document.getElementById('i18n-messages');
    try {
      catalog = data ? JSON.parse(data.textContent) : null;
    } catch {
      catalog = null;
    }
    catalog = { m: catalog?.m ?? {}, s: catalog?.s ?? [] };
  }
  return catalog;
}

function messages() {
  return load().m;
}

/**
 * The message key in the page's language, its {name}s filled from args.
 * An unknown key comes back as itself, so a missing message shows.
 * @param {string} key
 * @param {Record<string, unknown>} [args]
 * @returns {string}
 */
export function t(key, args) {
  const s = messages()[key];
  if (s === undefined) return key;
  if (!args) return s;
  return s.replace(/\{([a-zA-Z0-9_]+)\}/g, (m, name) => (name in args ? String(args[name]) : m));
}

/**
 * t for a count: the message key + '.one' when n is 1, else key, with n in
 * args as {n} ("1 byte", "5 bytes"; Chinese has one form for both).
 * @param {string} key
 * @param {number} n
 * @param {Record<string, unknown>} [args]
 */
export function tn(key, n, args) {
  return t(n === 1 ? `${key}.one` : key, { n, ...args });
}

/** The page's language: 'zh' or 'en' (from <html lang>). */
export const lang = document.documentElement.lang.startsWith('zh') ? 'zh' : 'en';

/**
 * The lang field of op run on this page: a Chinese page asks for sockplay's
 * own sentences in the program's exceptions in Chinese (a PolicyError's
 * message, PROTOCOL.md "Programs"); an English page sends none.
 * @type {{lang?: string}}
 */
export const runLang = lang === 'zh' ? { lang } : {};

/** @type {{re: RegExp, names: string[], zh: string}[]|null} */
let sentences = null;

/** The server's sentences (templates/i18n/server.go) as regular expressions. */
function patterns() {
  if (sentences === null) {
    sentences = load().s.map(([en, zh]) => {
      const names = [];
      const source = en.split(/(\{[a-zA-Z0-9_]+\})/).map((part) => {
        const m = /^\{([a-zA-Z0-9_]+)\}$/.exec(part);
        if (m) {
          names.push(m[1]);
          return '(.+?)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }).join('');
      return { re: new RegExp(`^${source}$`, 's'), names, zh };
    });
  }
  return sentences;
}

/**
 * How deep server() translates a sentence's parts, as templates/i18n's
 * Server does: a check step's actions and a log of requests nest one level
 * for each part.
 */
const maxDepth = 8;

/**
 * A sentence the server wrote in English (an error's message or hint, a
 * limit), in the page's language: the server's sentences the catalog
 * knows, with their {name} parts filled from the English (each part
 * translated too when it is such a sentence). Python's own exception
 * text and anything unknown come back as they are.
 * @param {string} text
 * @returns {string}
 */
export function server(text, depth = 0) {
  if (typeof text !== 'string' || text === '' || depth > maxDepth) return text;
  for (const p of patterns()) {
    const m = p.re.exec(text);
    if (!m) continue;
    const args = {};
    p.names.forEach((name, i) => { args[name] = server(m[i + 1], depth + 1); });
    return p.zh.replace(/\{([a-zA-Z0-9_]+)\}/g, (all, name) => (name in args ? args[name] : all));
  }
  return text;
}
