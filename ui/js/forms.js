// @ts-check
/**
 * Showing the core's field messages inside a form. Every input lives in a `.field` container
 * whose `data-field` is the core's field name ("address", "members[1].id_number"); messages go
 * right under the input, anything without a place goes to the form's summary box.
 * @module forms
 */
import { h, clear } from './dom.js';
import { groupIssues, placeIssues } from './lib/fields.js';

/**
 * A labelled field container.
 * @param {string} field  the core's field name
 * @param {string} label  Vietnamese label
 * @param {HTMLElement} input
 * @param {{wide?: boolean, inline?: boolean, alias?: string[]}} [opts]
 */
export function field(field, label, input, opts = {}) {
  if (!input.id) input.id = 'f-' + field.replace(/[^a-zA-Z0-9_]+/g, '-');
  input.setAttribute('data-testid', input.getAttribute('data-testid') || input.id);
  const cls = 'field' + (opts.wide ? ' wide' : '') + (opts.inline ? ' inline' : '');
  const lab = h('label', { for: input.id, class: 'label-for' }, h('span', { class: 'label', text: label }));
  const alias = opts.alias && opts.alias.length ? opts.alias.join(' ') : undefined;
  return opts.inline
    ? h('div', { class: cls, 'data-field': field, 'data-alias': alias }, input, h('label', { for: input.id, text: label }))
    : h('div', { class: cls, 'data-field': field, 'data-alias': alias }, lab, input);
}

/**
 * Removes earlier messages and shows these. Returns the number of errors shown.
 * @param {HTMLElement} form
 * @param {HTMLElement} summary
 * @param {{field: string, message: string, severity?: string}[]} issues
 * @param {string} [headline]  text for the summary when there are errors
 */
export function showIssues(form, summary, issues, headline) {
  for (const m of form.querySelectorAll('.msg')) m.remove();
  for (const el of form.querySelectorAll('.invalid, .warned')) el.classList.remove('invalid', 'warned');
  clear(summary);
  summary.hidden = true;
  summary.className = 'summary';
  const containers = new Map();
  for (const c of form.querySelectorAll('[data-field]')) {
    containers.set(c.getAttribute('data-field'), c);
    // A container can also take messages for other names (e.g. birth_date and birth_year share one input).
    for (const alias of (c.getAttribute('data-alias') || '').split(' ').filter(Boolean)) containers.set(alias, c);
  }
  const { placed, unplaced } = placeIssues(groupIssues(issues), new Set(containers.keys()));
  let errors = 0;
  for (const [name, list] of placed) {
    const c = containers.get(name);
    const input = c.querySelector('input, select, textarea');
    for (const m of list) {
      if (m.severity === 'error') errors++;
      c.appendChild(h('p', { class: `msg ${m.severity}`, 'data-testid': `msg-${name}`, role: m.severity === 'error' ? 'alert' : undefined, text: m.message }));
    }
    if (input) input.classList.add(list.some((m) => m.severity === 'error') ? 'invalid' : 'warned');
  }
  for (const m of unplaced) if (m.severity === 'error') errors++;
  if (unplaced.length || (errors && headline)) {
    summary.hidden = false;
    summary.classList.add(errors ? 'error' : 'ok');
    if (errors && headline) summary.appendChild(h('p', { class: 'msg', text: headline }));
    for (const m of unplaced) summary.appendChild(h('p', { class: `msg ${m.severity}`, text: m.message }));
  }
  return errors;
}

/**
 * Moves focus to the first input that has an error message.
 * @param {HTMLElement} form
 */
export function focusFirstError(form) {
  const el = /** @type {HTMLElement|null} */ (form.querySelector('.invalid'));
  if (el) el.focus();
}
