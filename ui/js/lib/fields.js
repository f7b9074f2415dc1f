// @ts-check
/**
 * Field-message mapping: the core names a field like "address" or "members[1].id_number"; the
 * form shows the message next to the input whose `data-field` has that name. Pure: no DOM.
 * @module fields
 */

/**
 * @typedef {{field: string, message: string, severity?: string}} Issue
 * @typedef {{field: string, message: string, severity: 'error'|'warning'}} Placed
 */

/**
 * Splits "members[1].id_number" into {member: 1, name: "id_number"}; "address" into
 * {member: null, name: "address"}; "members[2]" into {member: 2, name: ""}.
 * @param {string} field
 */
export function parseField(field) {
  const m = /^members\[(\d+)\](?:\.(.+))?$/.exec(field || '');
  if (m) return { member: Number(m[1]), name: m[2] || '' };
  return { member: null, name: field || '' };
}

/**
 * Builds the field name used in `data-field` attributes.
 * @param {number|null} member
 * @param {string} name
 */
export function fieldName(member, name) {
  if (member === null) return name;
  return name ? `members[${member}].${name}` : `members[${member}]`;
}

/**
 * Groups issues by field. Save errors (no severity) count as errors. Within one field errors
 * come before warnings and duplicates are dropped.
 * @param {Issue[]} issues
 * @returns {Map<string, Placed[]>}
 */
export function groupIssues(issues) {
  /** @type {Map<string, Placed[]>} */
  const out = new Map();
  for (const i of issues || []) {
    const sev = i.severity === 'warning' ? 'warning' : 'error';
    const list = out.get(i.field) || [];
    if (!list.some((x) => x.message === i.message && x.severity === sev)) list.push({ field: i.field, message: i.message, severity: sev });
    out.set(i.field, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return out;
}

/**
 * Splits grouped issues into those that have a place in the form (`known` field names) and the
 * rest, which the form shows in a summary at the top so no message is ever lost.
 * @param {Map<string, Placed[]>} grouped
 * @param {Set<string>} known
 * @returns {{placed: Map<string, Placed[]>, unplaced: Placed[]}}
 */
export function placeIssues(grouped, known) {
  /** @type {Map<string, Placed[]>} */
  const placed = new Map();
  /** @type {Placed[]} */
  const unplaced = [];
  for (const [field, list] of grouped) {
    if (known.has(field)) placed.set(field, list);
    else unplaced.push(...list);
  }
  return { placed, unplaced };
}

/**
 * True if any issue is an error (saving would be refused).
 * @param {Issue[]} issues
 */
export function hasErrors(issues) {
  return (issues || []).some((i) => i.severity !== 'warning');
}

/**
 * Converts the member index in a save error after rows were removed: the form keeps the order it
 * sent, so index i of the sent list maps to the i-th row still shown. Returns -1 if out of range.
 * @param {number} index
 * @param {number} rows
 */
export function memberRow(index, rows) {
  return Number.isInteger(index) && index >= 0 && index < rows ? index : -1;
}
