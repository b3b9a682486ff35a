// dom.js — one tiny helper to build elements without innerHTML.
//
// h('li', {class: 'x', dataset: {seq: 3}}, 'text', child) creates an element;
// string children become text nodes, so payload text can never become markup.

/**
 * Creates an element with attributes and children.
 * Attribute values null, undefined and false are skipped; true sets an empty
 * attribute; `class` sets className and `dataset` fills data-* attributes.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|number|null|undefined|false|Array)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v != null) el.dataset[k] = String(v);
    } else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}
