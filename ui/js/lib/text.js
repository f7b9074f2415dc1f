// @ts-check
/**
 * Text helpers for the UI. `fold` mirrors the core's search normalisation (lower case, no
 * diacritics, đ -> d) so the register can highlight what matched; the search itself runs in the core.
 * @module text
 */

/**
 * @param {string} s
 * @returns {string}
 */
export function fold(s) {
  return (s || '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
}

/**
 * Trims and collapses inner whitespace: "  Nông   Thị  " -> "Nông Thị".
 * @param {string} s
 */
export function tidy(s) {
  return (s || '').trim().replace(/\s+/g, ' ');
}

/**
 * Empty or whitespace-only text becomes null (optional fields of the core's input structs).
 * @param {string|null|undefined} s
 * @returns {string|null}
 */
export function optional(s) {
  const t = tidy(s || '');
  return t === '' ? null : t;
}
