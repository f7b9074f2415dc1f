// @ts-check
/**
 * A tiny DOM builder. Text always goes through textContent; there is deliberately no way to
 * set innerHTML, so data from the ledger can never become markup.
 * @module dom
 */

/**
 * @typedef {string|number|Node|null|undefined|false} Child
 */

/**
 * Creates an element. `attrs` keys: `class`, `id`, `text`, `dataset`-style `data-*`, `on*` for
 * listeners (e.g. `onclick`), boolean properties (`disabled`, `checked`, `selected`), `value`,
 * anything else as an attribute.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Child|Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k === 'class') el.className = String(v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') /** @type {any} */ (el).value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' || k === 'required') /** @type {any} */ (el)[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} el
 * @param {(Child|Child[])[]} children
 */
function append(el, children) {
  for (const c of children.flat(3)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/**
 * Removes every child of `el`.
 * @param {Node} el
 */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/**
 * A <select> from a list of {code,label}.
 * @param {Record<string, any>} attrs
 * @param {{code: string, label: string}[]} items
 * @param {string|null|undefined} selected
 * @param {string} [emptyLabel] adds a first empty option with this text
 */
export function select(attrs, items, selected, emptyLabel) {
  const opts = [];
  if (emptyLabel !== undefined) opts.push(h('option', { value: '', selected: !selected, text: emptyLabel }));
  for (const it of items) opts.push(h('option', { value: it.code, selected: it.code === selected, text: it.label }));
  return h('select', attrs, opts);
}
