// @ts-check
/**
 * The review corner of the household screen: the household's latest decided class (phân loại)
 * and a "Rà soát hộ này" link for each open round whose list (Phụ lục I) has it. Kept apart from
 * screens/household.js, which only places the element this returns.
 * @module screens/household-review
 */
import { h } from '../dom.js';
import { classInfo, surveyStatusLabel } from '../lib/review.js';
import { reviewIpc } from '../review-ipc.js';

/**
 * @param {import('../app.js').Ctx} _ctx
 * @param {any} detail  HouseholdDetail
 * @returns {HTMLElement}
 */
export function householdReview(_ctx, detail) {
  const c = classInfo(detail.class);
  const links = h('span', { class: 'review-links', id: 'household-review-links' });
  const el = h('span', { class: 'household-review', id: 'household-review', 'data-testid': 'household-review' },
    h('span', { class: 'tag ' + c.css, id: 'household-class', 'data-testid': 'household-class', title: 'Phân loại theo quyết định gần nhất', text: detail.class ? c.text : 'Chưa có phân loại' }),
    links);
  reviewIpc.householdRounds(detail.id).then((/** @type {any[]} */ rounds) => {
    for (const r of rounds) {
      links.appendChild(h('a', {
        href: `#/survey/${encodeURIComponent(r.round_id)}/${encodeURIComponent(detail.id)}`,
        class: 'button', 'data-testid': 'household-review-link', title: `${r.title} · ${surveyStatusLabel(r.survey_status)}`,
        text: rounds.length > 1 ? `Rà soát hộ này (${r.title})` : 'Rà soát hộ này',
      }));
    }
  }, () => { /* no link when the rounds cannot be read; the register still works */ });
  return el;
}
