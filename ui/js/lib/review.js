// @ts-check
/**
 * Pure helpers of the review screens (rà soát): Vietnamese labels for the core's codes, reading
 * typed numbers and dates, the meeting percentage as the core rounds it, and which household
 * comes next when keying in from paper. No DOM, no IPC: tested with `node --test`. The rules
 * themselves (who is poor, whether a meeting passed) are the core's; these only display.
 * @module review
 */
import { parseDate } from './format.js';

/**
 * Label and CSS class of a household class code.
 * @param {string|null|undefined} code
 * @returns {{text: string, css: string}}
 */
export function classInfo(code) {
  switch (code) {
    case 'poor': return { text: 'Hộ nghèo', css: 'poor' };
    case 'near_poor': return { text: 'Hộ cận nghèo', css: 'near' };
    case 'average': return { text: 'Hộ có mức sống trung bình', css: 'average' };
    case 'not_poor': return { text: 'Không nghèo, không cận nghèo', css: 'ok' };
    case null: case undefined: case '': return { text: 'Chưa phân loại', css: '' };
    default: return { text: code, css: '' };
  }
}

/** @type {Record<string, string>} */
const SURVEY_STATUS = { pending: 'Chưa rà soát', surveyed: 'Đã rà soát', resurvey: 'Phải rà soát lại' };
/** @type {Record<string, string>} */
const ROUND_STATUS = { surveying: 'Đang rà soát', posting: 'Đang niêm yết', decided: 'Đã có quyết định' };
/** @type {Record<string, string>} */
const KIND = { periodic: 'Định kỳ hằng năm', monthly: 'Thường xuyên hằng tháng' };
/** @type {Record<string, string>} */
const SCOPE = { listed: 'Hộ nghèo, cận nghèo và hộ có đơn', full: 'Toàn bộ hộ trong xã' };
/** @type {Record<string, string>} */
const SOURCE = { listed: 'Danh sách', full: 'Toàn bộ', applicant: 'Có giấy đề nghị' };
/** @type {Record<string, string>} */
const TRANSITION = {
  new_poor: 'Nghèo phát sinh mới',
  re_poor: 'Tái nghèo',
  remains_poor: 'Vẫn nghèo',
  near_poor_to_poor: 'Cận nghèo → nghèo',
  poor_to_near_poor: 'Nghèo → cận nghèo',
  escaped_poverty: 'Thoát nghèo',
  remains_near_poor: 'Vẫn cận nghèo',
  new_near_poor: 'Cận nghèo phát sinh mới',
  escaped_near_poverty: 'Thoát cận nghèo',
  remains_outside: 'Ngoài diện',
};

/** @param {string|null|undefined} s */
export const surveyStatusLabel = (s) => SURVEY_STATUS[s || 'pending'] || String(s);
/** @param {string|null|undefined} s */
export const roundStatusLabel = (s) => ROUND_STATUS[s || ''] || String(s || '');
/** @param {string|null|undefined} s */
export const kindLabel = (s) => KIND[s || ''] || String(s || '');
/** @param {string|null|undefined} s */
export const scopeLabel = (s) => SCOPE[s || ''] || String(s || '');
/** @param {string|null|undefined} s */
export const sourceLabel = (s) => SOURCE[s || ''] || String(s || '');
/** @param {string|null|undefined} s */
export const transitionLabel = (s) => (s ? TRANSITION[s] || s : '');

/**
 * Today's date in local time as YYYY-MM-DD.
 * @param {Date} [now]
 */
export function todayIso(now = new Date()) {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/**
 * A typed date for the core: ISO when it reads as a real date ("5/10/2026" -> "2026-10-05"),
 * otherwise the text as typed, so that the core answers with its own field message.
 * @param {string} text
 */
export function dateForCore(text) {
  const t = (text || '').trim();
  return parseDate(t) || t;
}

/**
 * Reads a whole number typed with Vietnamese grouping ("1.500.000", "1 500 000").
 * Empty -> null; anything else that is not a whole number -> NaN.
 * @param {string} text
 * @returns {number|null}
 */
export function readInteger(text) {
  const t = (text || '').trim().replace(/[\s.]/g, '');
  if (t === '') return null;
  return /^-?\d+$/.test(t) ? Number(t) : Number.NaN;
}

/**
 * Reads a decimal typed with a comma or a dot ("45,5" -> 45.5). Empty -> null; bad -> NaN.
 * @param {string} text
 * @returns {number|null}
 */
export function readDecimal(text) {
  const t = (text || '').trim().replace(',', '.');
  if (t === '') return null;
  return /^\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

/**
 * The agreement of a village meeting as the core records it: a percentage with one decimal,
 * and whether it reaches half of the attendees. Null when the numbers cannot be read yet.
 * @param {number|null} attendees
 * @param {number|null} agreed
 * @returns {{pct: number, atLeastHalf: boolean}|null}
 */
export function agreement(attendees, agreed) {
  if (attendees === null || agreed === null || !Number.isFinite(attendees) || !Number.isFinite(agreed) || attendees <= 0 || agreed < 0) return null;
  return { pct: Math.round((agreed * 1000) / attendees) / 10, atLeastHalf: agreed * 2 >= attendees };
}

/**
 * "72,5 %" — one decimal, Vietnamese comma, no decimal when whole.
 * @param {number} pct
 */
export function formatPct(pct) {
  const s = Number.isInteger(pct) ? String(pct) : pct.toFixed(1).replace('.', ',');
  return `${s} %`;
}

/**
 * The household to survey after `currentId` in the round's list order: the next row that is not
 * surveyed yet, wrapping around to the start; null when every other household is done.
 * @param {{household_id: string, status: string}[]} rows
 * @param {string} currentId
 * @returns {string|null}
 */
export function nextToSurvey(rows, currentId) {
  const i = rows.findIndex((r) => r.household_id === currentId);
  const order = i < 0 ? rows : [...rows.slice(i + 1), ...rows.slice(0, i)];
  const next = order.find((r) => r.status !== 'surveyed' && r.household_id !== currentId);
  return next ? next.household_id : null;
}

/**
 * The latest version of each rule-set id, in id order (what a new round or a what-if offers).
 * @template {{id: string, version: number}} T
 * @param {T[]} sets
 * @returns {T[]}
 */
export function latestVersions(sets) {
  /** @type {Map<string, T>} */
  const m = new Map();
  for (const s of sets) {
    const cur = m.get(s.id);
    if (!cur || s.version > cur.version) m.set(s.id, s);
  }
  return [...m.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The rule set whose validity covers `iso` (the latest such id), else the first one.
 * @template {{id: string, version: number, valid_from: string, valid_to: string}} T
 * @param {T[]} sets
 * @param {string|null} iso
 * @returns {T|null}
 */
export function ruleSetFor(sets, iso) {
  const latest = latestVersions(sets);
  if (!latest.length) return null;
  const ok = iso ? latest.filter((s) => s.valid_from <= iso && iso <= s.valid_to) : [];
  return ok.length ? ok[ok.length - 1] : latest[0];
}
