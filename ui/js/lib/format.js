// @ts-check
/**
 * Pure formatting helpers, the Vietnamese way: "1.234.567" for numbers, "1.234.567 đ" for money
 * (integer đồng), "dd/mm/yyyy" for dates. No DOM, no IPC: tested with `node --test`.
 * @module format
 */

/**
 * Groups digits with dots: 1234567 -> "1.234.567", -1500 -> "-1.500".
 * @param {number|bigint|null|undefined} n
 * @returns {string}
 */
export function formatNumber(n) {
  if (n === null || n === undefined) return '';
  if (typeof n === 'number' && !Number.isFinite(n)) return '';
  const neg = typeof n === 'bigint' ? n < 0n : n < 0;
  const digits = (typeof n === 'bigint' ? (neg ? -n : n) : Math.trunc(Math.abs(n))).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return (neg ? '-' : '') + grouped;
}

/**
 * Money in integer đồng: 2500000 -> "2.500.000 đ".
 * @param {number|bigint|null|undefined} dong
 */
export function formatMoney(dong) {
  const s = formatNumber(dong);
  return s === '' ? '' : s + ' đ';
}

/**
 * "2026-03-09" -> "09/03/2026". Anything that is not an ISO date comes back unchanged.
 * @param {string|null|undefined} iso
 */
export function formatDate(iso) {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/**
 * "2026-03-09T14:05:00Z" or "2026-03-09 14:05:00" -> "14:05 09/03/2026".
 * @param {string|null|undefined} iso
 */
export function formatDateTime(iso) {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(iso);
  return m ? `${m[4]}:${m[5]} ${m[3]}/${m[2]}/${m[1]}` : formatDate(iso);
}

/**
 * Reads a date typed the Vietnamese way ("9/3/2026", "09-03-2026", "09.03.2026") or as ISO
 * ("2026-03-09") and returns ISO "YYYY-MM-DD", or null if it is not a real calendar date.
 * @param {string} text
 * @returns {string|null}
 */
export function parseDate(text) {
  const t = (text || '').trim();
  let y, mo, d;
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (m) { y = +m[1]; mo = +m[2]; d = +m[3]; } else {
    m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
    if (!m) return null;
    d = +m[1]; mo = +m[2]; y = +m[3];
  }
  if (mo < 1 || mo > 12 || d < 1) return null;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (d > days[mo - 1]) return null;
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * "Trang 2/14 · 1.500 hộ" style page summary: first..last of total.
 * @param {number} offset
 * @param {number} count items on this page
 * @param {number} total
 */
export function pageRange(offset, count, total) {
  if (total === 0 || count === 0) return `0 / ${formatNumber(total)} hộ`;
  return `${formatNumber(offset + 1)}–${formatNumber(offset + count)} / ${formatNumber(total)} hộ`;
}

/**
 * The birth input accepts a full date ("12/05/1948") or a year alone ("1948").
 * @param {string} text
 * @returns {{birth_date: string|null, birth_year: number|null, bad: boolean}}
 */
export function readBirth(text) {
  const t = (text || '').trim();
  if (t === '') return { birth_date: null, birth_year: null, bad: false };
  if (/^\d{4}$/.test(t)) return { birth_date: null, birth_year: Number(t), bad: false };
  const iso = parseDate(t);
  return iso ? { birth_date: iso, birth_year: Number(iso.slice(0, 4)), bad: false } : { birth_date: null, birth_year: null, bad: true };
}

