// @ts-check
/**
 * What-if (chạy thử): re-runs a round's surveys under another rule set without changing
 * anything, and lists the households whose class would change (with counts by village) and the
 * ones that cannot be classified under it, with the core's reason.
 * @module screens/whatif
 */
import { h, clear, select } from '../dom.js';
import { formatNumber } from '../lib/format.js';
import { classInfo, latestVersions } from '../lib/review.js';
import { reviewIpc } from '../review-ipc.js';

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  const roundId = ctx.params[0] || '';
  let alive = true;
  const rules = select({ id: 'whatif-rules', 'data-testid': 'whatif-rules', 'aria-label': 'Chuẩn nghèo để chạy thử' }, [], '');
  const run = h('button', { type: 'button', class: 'primary', id: 'whatif-run', 'data-testid': 'whatif-run', text: 'Chạy thử' });
  const out = h('div', { id: 'whatif-result', 'data-testid': 'whatif-result' });
  const title = h('h1', { id: 'whatif-title', text: 'Chạy thử theo chuẩn nghèo khác' });
  const back = h('a', { href: `#/round/${encodeURIComponent(roundId)}`, text: '‹ Về đợt rà soát' });
  const screen = h('section', { class: 'review whatif', id: 'whatif', 'data-testid': 'whatif' },
    h('div', { class: 'head-line' }, back, title),
    h('div', { class: 'panel toolbar' },
      h('label', { for: 'whatif-rules', text: 'Chuẩn nghèo:' }), rules, run,
      h('span', { class: 'hint', text: 'Chạy thử không thay đổi dữ liệu của đợt rà soát.' })),
    out);
  root.appendChild(screen);

  (async () => {
    try {
      const [detail, sets] = await Promise.all([reviewIpc.round(roundId), reviewIpc.ruleSets()]);
      if (!alive) return;
      title.textContent = `Chạy thử: ${detail.round.title}`;
      back.textContent = `‹ ${detail.round.title}`;
      const sel = /** @type {HTMLSelectElement} */ (rules);
      const latest = latestVersions(sets);
      for (const s of latest) sel.appendChild(h('option', { value: s.id, text: `${s.label} (${s.legal_short})${s.id === detail.round.rules_id ? ' — chuẩn của đợt' : ''}` }));
      const other = latest.find((s) => s.id !== detail.round.rules_id);
      if (other) sel.value = other.id;
      screen.setAttribute('data-loaded', 'true');
    } catch (e) {
      if (!alive) return;
      out.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
    }
  })();

  run.addEventListener('click', async () => {
    const id = /** @type {HTMLSelectElement} */ (rules).value;
    if (!id) return;
    run.setAttribute('disabled', '');
    clear(out);
    out.appendChild(h('p', { class: 'loading', text: 'Đang chạy thử…' }));
    try {
      const w = await reviewIpc.whatIf(roundId, id);
      if (!alive) return;
      draw(w);
    } catch (e) {
      if (!alive) return;
      clear(out);
      out.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
    } finally {
      run.removeAttribute('disabled');
    }
  });

  /** @param {any} w WhatIf */
  function draw(w) {
    clear(out);
    const cls = (/** @type {string|null} */ c) => {
      const i = classInfo(c);
      return h('span', { class: 'tag ' + i.css, text: c ? i.text : '—' });
    };
    out.appendChild(h('p', { class: 'panel', id: 'whatif-summary', 'data-testid': 'whatif-summary',
      text: `Theo chuẩn nghèo ${w.rules_label} (phiên bản ${w.rules_version}): ${formatNumber(w.households)} hộ đã rà soát, ${formatNumber(w.changed.length)} hộ đổi phân loại, ${formatNumber(w.unclassifiable.length)} hộ không phân loại được.` }));
    out.appendChild(h('section', { class: 'panel' },
      h('h2', { text: 'Theo thôn/xóm' }),
      h('table', { class: 'list compact', id: 'whatif-villages', 'data-testid': 'whatif-villages' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Thôn/xóm' }), h('th', { class: 'num', text: 'Số hộ' }), h('th', { class: 'num', text: 'Đổi phân loại' }),
          h('th', { class: 'num', text: 'Hộ nghèo: hiện tại → chạy thử' }), h('th', { class: 'num', text: 'Hộ cận nghèo: hiện tại → chạy thử' }), h('th', { class: 'num', text: 'Không phân loại được' }))),
        h('tbody', {}, w.by_village.map((/** @type {any} */ v) => h('tr', { 'data-testid': 'whatif-village' },
          h('td', { text: v.village }), h('td', { class: 'num', text: formatNumber(v.households) }), h('td', { class: 'num', text: formatNumber(v.changed) }),
          h('td', { class: 'num', text: `${formatNumber(v.poor_before)} → ${formatNumber(v.poor_after)}` }),
          h('td', { class: 'num', text: `${formatNumber(v.near_poor_before)} → ${formatNumber(v.near_poor_after)}` }),
          h('td', { class: 'num', text: formatNumber(v.unclassifiable) }))))) ));
    const table = (/** @type {string} */ id, /** @type {any[]} */ rows, /** @type {boolean} */ withTo) => h('table', { class: 'list', id, 'data-testid': id },
      h('thead', {}, h('tr', {}, h('th', { text: 'Mã hộ' }), h('th', { text: 'Chủ hộ' }), h('th', { text: 'Thôn/xóm' }), h('th', { text: 'Hiện tại' }),
        withTo ? h('th', { text: 'Chạy thử' }) : null, h('th', { text: withTo ? 'Giải thích' : 'Lý do' }))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-testid': `${id}-row`, 'data-id': r.household_id },
        h('td', { class: 'nowrap', text: r.code }), h('td', { text: r.head_name }), h('td', { text: r.village }), h('td', {}, cls(r.from)),
        withTo ? h('td', {}, cls(r.to)) : null, h('td', { class: 'explain', text: r.explanation })))));
    out.appendChild(h('section', { class: 'panel' }, h('h2', { text: `Hộ đổi phân loại (${formatNumber(w.changed.length)})` }),
      w.changed.length ? table('whatif-changed', w.changed, true) : h('p', { class: 'hint', text: 'Không hộ nào đổi phân loại.' })));
    out.appendChild(h('section', { class: 'panel' }, h('h2', { text: `Hộ không phân loại được (${formatNumber(w.unclassifiable.length)})` }),
      w.unclassifiable.length ? table('whatif-unclassifiable', w.unclassifiable, false) : h('p', { class: 'hint', text: 'Mọi hộ đều phân loại được.' })));
  }

  return () => { alive = false; };
}
