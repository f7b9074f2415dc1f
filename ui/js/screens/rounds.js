// @ts-check
/**
 * The review rounds (đợt rà soát): the list of rounds with their progress, and the form that
 * opens a new one (định kỳ / thường xuyên, phạm vi, chuẩn nghèo, ngày bắt đầu, ngày tham chiếu,
 * số ngày niêm yết). The calendar rules (1/9–14/12, from the 15th, one periodic round a year)
 * and the household list (Phụ lục I) are the core's; this screen shows its messages.
 * @module screens/rounds
 */
import { h, clear, select } from '../dom.js';
import { field, showIssues, focusFirstError } from '../forms.js';
import { formatDate, formatNumber, parseDate } from '../lib/format.js';
import { tidy } from '../lib/text.js';
import {
  dateForCore, kindLabel, latestVersions, readInteger, roundStatusLabel, ruleSetFor, scopeLabel, todayIso,
} from '../lib/review.js';
import { reviewIpc } from '../review-ipc.js';

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  const tbody = h('tbody', { id: 'rounds-rows' });
  const empty = h('p', { class: 'empty', id: 'rounds-empty', hidden: true, text: 'Chưa có đợt rà soát nào. Tạo đợt đầu tiên ở bên phải.' });
  const list = h('section', { class: 'panel', id: 'rounds-list', 'data-testid': 'rounds-list' },
    h('h2', { text: 'Các đợt rà soát' }),
    h('div', { class: 'table-wrap flat' },
      h('table', { class: 'list', 'aria-label': 'Các đợt rà soát' },
        h('thead', {}, h('tr', {},
          h('th', { text: 'Đợt' }), h('th', { text: 'Loại' }), h('th', { text: 'Chuẩn nghèo' }),
          h('th', { text: 'Bắt đầu' }), h('th', { class: 'num', text: 'Đã rà soát' }),
          h('th', { class: 'num', text: 'Hộ nghèo' }), h('th', { class: 'num', text: 'Hộ cận nghèo' }), h('th', { text: 'Trạng thái' }))),
        tbody)),
    empty);

  // The "new round" form.
  const summary = h('div', { class: 'summary', id: 'round-form-summary', hidden: true });
  const kind = select({ id: 'round-kind', 'data-testid': 'round-kind' },
    [{ code: 'periodic', label: kindLabel('periodic') }, { code: 'monthly', label: kindLabel('monthly') }], 'periodic');
  const scope = select({ id: 'round-scope', 'data-testid': 'round-scope' },
    [{ code: 'listed', label: scopeLabel('listed') }, { code: 'full', label: scopeLabel('full') }], 'listed');
  const rules = select({ id: 'round-rules', 'data-testid': 'round-rules' }, [], '');
  const start = h('input', { type: 'text', id: 'round-start', 'data-testid': 'round-start', value: formatDate(todayIso()), placeholder: 'dd/mm/yyyy', autocomplete: 'off' });
  const reference = h('input', { type: 'text', id: 'round-reference', 'data-testid': 'round-reference', placeholder: 'để trống = ngày bắt đầu', autocomplete: 'off' });
  const postingDays = h('input', { type: 'text', id: 'round-posting-days', 'data-testid': 'round-posting-days', value: '3', inputmode: 'numeric', autocomplete: 'off' });
  const title = h('input', { type: 'text', id: 'round-title', 'data-testid': 'round-title', placeholder: 'tự đặt nếu để trống', autocomplete: 'off' });
  const scopeField = field('scope', 'Phạm vi', scope);
  const submit = h('button', { type: 'submit', class: 'primary', id: 'round-create', 'data-testid': 'round-create', text: 'Tạo đợt rà soát' });
  const form = h('form', { class: 'panel', id: 'round-form', 'data-testid': 'round-form', novalidate: true },
    h('h2', { text: 'Tạo đợt rà soát' }),
    summary,
    h('div', { class: 'form-col' },
      field('kind', 'Loại đợt', kind),
      scopeField,
      field('rules_id', 'Chuẩn nghèo', rules),
      field('start_date', 'Ngày bắt đầu', start),
      field('reference_date', 'Ngày tham chiếu (tính tuổi, dữ liệu hộ)', reference),
      field('posting_days', 'Số ngày làm việc niêm yết', postingDays),
      field('title', 'Tên đợt', title)),
    h('p', { class: 'hint', id: 'round-kind-hint' }),
    h('div', { class: 'actions' }, submit));
  const kindHint = /** @type {HTMLElement} */ (form.querySelector('#round-kind-hint'));

  /** @type {any[]} */
  let sets = [];
  function kindChanged() {
    const monthly = /** @type {HTMLSelectElement} */ (kind).value === 'monthly';
    scopeField.hidden = monthly;
    kindHint.textContent = monthly
      ? 'Rà soát thường xuyên: bắt đầu từ ngày 15 hằng tháng; danh sách gồm các hộ có giấy đề nghị (Mẫu 01, Mẫu 04); quyết định trong 15 ngày.'
      : 'Rà soát định kỳ: từ 01/9 đến 14/12 hằng năm; quyết định công nhận trước 14/12.';
  }
  function pickRules() {
    const iso = parseDate(/** @type {HTMLInputElement} */ (start).value);
    const best = ruleSetFor(sets, iso);
    if (best) /** @type {HTMLSelectElement} */ (rules).value = best.id;
  }
  kind.addEventListener('change', kindChanged);
  start.addEventListener('change', pickRules);
  kindChanged();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const monthly = /** @type {HTMLSelectElement} */ (kind).value === 'monthly';
    const days = readInteger(/** @type {HTMLInputElement} */ (postingDays).value);
    if (days !== null && !Number.isFinite(days)) {
      showIssues(form, summary, [{ field: 'posting_days', message: 'Số ngày niêm yết phải là số nguyên.' }], 'Chưa tạo được đợt: hãy sửa các ô được đánh dấu.');
      focusFirstError(form);
      return;
    }
    const refText = /** @type {HTMLInputElement} */ (reference).value.trim();
    const input = {
      kind: /** @type {HTMLSelectElement} */ (kind).value,
      scope: monthly ? 'listed' : /** @type {HTMLSelectElement} */ (scope).value,
      rules_id: /** @type {HTMLSelectElement} */ (rules).value,
      start_date: dateForCore(/** @type {HTMLInputElement} */ (start).value),
      reference_date: refText ? dateForCore(refText) : null,
      posting_days: days,
      title: tidy(/** @type {HTMLInputElement} */ (title).value) || null,
    };
    submit.setAttribute('disabled', '');
    try {
      const detail = await reviewIpc.createRound(input);
      for (const w of detail.warnings || []) ctx.toast(w, 'error');
      if (!(detail.warnings || []).length) ctx.toast(`Đã tạo “${detail.round.title}” với ${formatNumber(detail.round.households)} hộ.`);
      ctx.navigate(`#/round/${encodeURIComponent(detail.round.id)}`);
    } catch (e) {
      const err = /** @type {any} */ (e);
      showIssues(form, summary, err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }], 'Chưa tạo được đợt: hãy sửa các ô được đánh dấu.');
      focusFirstError(form);
    } finally {
      submit.removeAttribute('disabled');
    }
  });

  const screen = h('section', { class: 'review rounds', id: 'rounds', 'data-testid': 'rounds' },
    h('div', { class: 'head-line' },
      h('h1', { text: 'Rà soát hộ nghèo, hộ cận nghèo' }),
      h('span', { class: 'spacer' }),
      h('a', { href: '#/rules', id: 'link-rules', 'data-testid': 'link-rules', text: 'Chuẩn nghèo…' })),
    h('div', { class: 'two-col' }, list, form));
  root.appendChild(screen);

  (async () => {
    try {
      const [rounds, all] = await Promise.all([reviewIpc.rounds(), reviewIpc.ruleSets()]);
      if (!alive) return;
      sets = all;
      const r = /** @type {HTMLSelectElement} */ (rules);
      clear(r);
      for (const s of latestVersions(sets)) {
        r.appendChild(h('option', { value: s.id, text: `${s.label} (${s.legal_short}${s.version > 1 ? `, phiên bản ${s.version}` : ''})` }));
      }
      pickRules();
      drawRounds(rounds);
      screen.setAttribute('data-loaded', 'true');
    } catch (e) {
      if (!alive) return;
      list.appendChild(h('p', { class: 'msg error', role: 'alert', text: 'Không tải được danh sách đợt: ' + /** @type {any} */ (e).message }));
    }
  })();

  /** @param {any[]} rounds */
  function drawRounds(rounds) {
    clear(tbody);
    empty.hidden = rounds.length > 0;
    for (const r of rounds) {
      const tr = h('tr', { 'data-testid': 'round-row', 'data-id': r.id, tabindex: '0' },
        h('td', {}, h('a', { href: `#/round/${encodeURIComponent(r.id)}`, 'data-testid': 'round-title', text: r.title })),
        h('td', { text: r.kind === 'periodic' ? `Định kỳ · ${r.scope === 'full' ? 'toàn bộ' : 'danh sách'}` : 'Thường xuyên' }),
        h('td', { text: r.rules_id }),
        h('td', { text: formatDate(r.start_date) }),
        h('td', { class: 'num', text: `${formatNumber(r.surveyed)}/${formatNumber(r.households)}` }),
        h('td', { class: 'num', text: formatNumber(r.poor) }),
        h('td', { class: 'num', text: formatNumber(r.near_poor) }),
        h('td', {}, h('span', { class: 'tag' + (r.locked ? ' locked' : ''), text: roundStatusLabel(r.status) + (r.locked ? ' · đã khoá' : '') })));
      const open = () => ctx.navigate(`#/round/${encodeURIComponent(r.id)}`);
      tr.addEventListener('click', open);
      tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') open(); });
      tbody.appendChild(tr);
    }
  }

  return () => { alive = false; };
}
