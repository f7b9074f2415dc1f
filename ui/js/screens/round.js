// @ts-check
/**
 * One review round (một đợt rà soát), in the order the work is done: progress by village, the
 * household list (Phụ lục I) with status, class and explanation per row; applications (Mẫu 01 /
 * Mẫu 04); the village meeting (≥ 50 % or back to survey); public posting; complaints and
 * re-checks (phúc tra); the commune decision (Mẫu 02) — with what still blocks it, as the core
 * says — and the certificates (Mẫu 03) after it. A decided round is locked: a banner says so and
 * every form is gone. Every rule and message is the core's.
 * @module screens/round
 */
import { h, clear, select } from '../dom.js';
import { field, showIssues, focusFirstError } from '../forms.js';
import { formatDate, formatNumber } from '../lib/format.js';
import { tidy } from '../lib/text.js';
import {
  agreement, classInfo, dateForCore, formatPct, kindLabel, readInteger, roundStatusLabel, sourceLabel,
  surveyStatusLabel, todayIso, transitionLabel,
} from '../lib/review.js';
import { reviewIpc } from '../review-ipc.js';

/** The village filter is kept per round while moving between the list and the surveys. */
const memo = { round: '', village: '' };

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  const id = ctx.params[0] || '';
  if (memo.round !== id) { memo.round = id; memo.village = ''; }
  const screen = h('section', { class: 'review round', id: 'round', 'data-testid': 'round' }, h('p', { class: 'loading', text: 'Đang tải…' }));
  root.appendChild(screen);
  let alive = true;

  async function load() {
    let detail, rows, certs;
    try {
      detail = await reviewIpc.round(id);
      [rows, certs] = await Promise.all([
        reviewIpc.roundHouseholds(id, memo.village || null),
        detail.round.locked ? reviewIpc.certificates(id) : Promise.resolve([]),
      ]);
    } catch (e) {
      if (!alive) return;
      clear(screen);
      screen.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
      screen.appendChild(h('a', { href: '#/rounds', text: '‹ Các đợt rà soát' }));
      return;
    }
    if (!alive) return;
    draw(detail, rows, certs);
  }

  /**
   * Runs a core call that returns the round; on success reloads the screen, on failure shows the
   * core's messages in `form`.
   * @param {HTMLElement} form
   * @param {HTMLElement} summary
   * @param {() => Promise<any>} action
   * @param {(detail: any) => string} done  the confirmation message
   */
  async function act(form, summary, action, done) {
    const btns = [...form.querySelectorAll('button')];
    btns.forEach((b) => b.setAttribute('disabled', ''));
    try {
      const detail = await action();
      if (!alive) return;
      ctx.toast(done(detail));
      await load();
    } catch (e) {
      if (!alive) return;
      const err = /** @type {any} */ (e);
      showIssues(form, summary, err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }], 'Chưa ghi được: hãy sửa các ô được đánh dấu.');
      focusFirstError(form);
      btns.forEach((b) => b.removeAttribute('disabled'));
    }
  }

  /**
   * @param {any} detail RoundDetail
   * @param {any[]} rows SurveyRow[]
   * @param {any[]} certs CertificateRow[]
   */
  function draw(detail, rows, certs) {
    const r = detail.round;
    const locked = !!r.locked;
    clear(screen);
    screen.setAttribute('data-status', r.status);
    screen.setAttribute('data-locked', String(locked));

    screen.appendChild(h('div', { class: 'head-line' },
      h('a', { href: '#/rounds', text: '‹ Các đợt rà soát' }),
      h('h1', { id: 'round-title', 'data-testid': 'round-title', text: r.title }),
      h('span', { class: 'tag' + (locked ? ' locked' : ''), id: 'round-status', 'data-testid': 'round-status', text: roundStatusLabel(r.status) }),
      h('span', { class: 'spacer' }),
      h('a', { href: `#/whatif/${encodeURIComponent(r.id)}`, id: 'link-whatif', 'data-testid': 'link-whatif', text: 'Chạy thử theo chuẩn nghèo khác…' })));
    screen.appendChild(h('p', { class: 'round-facts', id: 'round-facts' },
      `${kindLabel(r.kind)}${r.kind === 'periodic' ? ` · ${r.scope === 'full' ? 'toàn bộ hộ' : 'hộ nghèo, cận nghèo và hộ có đơn'}` : ''}`,
      ` · chuẩn nghèo ${r.rules_id}${r.rules_version > 1 ? ` (phiên bản ${r.rules_version})` : ''}`,
      ` · bắt đầu ${formatDate(r.start_date)} · ngày tham chiếu ${formatDate(r.reference_date)}`,
      ` · hạn quyết định ${formatDate(r.deadline)}`,
      ` · niêm yết ${r.posting_days} ngày làm việc`));
    if (locked) {
      screen.appendChild(h('div', { class: 'locked-banner', id: 'round-locked', 'data-testid': 'round-locked', role: 'status' },
        h('strong', { text: 'Đợt rà soát đã khoá. ' }),
        `Quyết định số ${r.decision_number || ''} ngày ${formatDate(r.decision_date)}${r.decision_signer ? `, ${r.decision_signer} ký` : ''}. Không sửa được phiếu, biên bản hay danh sách của đợt này nữa.`));
    }
    for (const w of detail.warnings || []) {
      screen.appendChild(h('div', { class: 'summary warn', 'data-testid': 'round-warning', text: w }));
    }

    const main = h('div', { class: 'round-main' }, progress(detail), locked ? certificates(certs) : null, householdList(r, rows, detail));
    const side = h('div', { class: 'round-side' },
      locked ? null : applications(r),
      meeting(detail),
      posting(detail),
      complaints(detail, rows),
      decision(detail));
    screen.appendChild(h('div', { class: 'round-grid' }, main, side));
    screen.setAttribute('data-loaded', 'true');
  }

  /** Progress by village with the meeting result. @param {any} detail */
  function progress(detail) {
    const villages = detail.villages.filter((/** @type {any} */ v) => v.total > 0);
    const body = h('tbody', {}, villages.map((/** @type {any} */ v) => {
      const m = v.meeting;
      return h('tr', { 'data-testid': 'village-progress', 'data-village': v.village_id },
        h('td', { text: v.village }),
        h('td', { class: 'num', 'data-testid': 'village-surveyed', text: `${formatNumber(v.surveyed)}/${formatNumber(v.total)}` }),
        h('td', { class: 'num', text: v.resurvey ? formatNumber(v.resurvey) : '' }),
        h('td', { class: 'num', text: formatNumber(v.poor) }),
        h('td', { class: 'num', text: formatNumber(v.near_poor) }),
        h('td', { 'data-testid': 'village-meeting' }, m
          ? h('span', { class: 'tag ' + (m.result === 'passed' ? 'ok' : 'poor'), text: `${formatDate(m.date)}: ${formatPct(m.agreement_pct)} đồng ý${m.result === 'passed' ? '' : ' — phải rà soát lại'}` })
          : h('span', { class: 'hint', text: 'Chưa họp' })));
    }));
    const r = detail.round;
    return h('section', { class: 'panel', id: 'round-progress', 'data-testid': 'round-progress' },
      h('h2', {}, 'Tiến độ theo thôn/xóm ',
        h('span', { class: 'hint', id: 'round-counts', 'data-testid': 'round-counts', text: `· đã rà soát ${formatNumber(r.surveyed)}/${formatNumber(r.households)} hộ · ${formatNumber(r.poor)} hộ nghèo · ${formatNumber(r.near_poor)} hộ cận nghèo` })),
      villages.length
        ? h('table', { class: 'list compact' },
          h('thead', {}, h('tr', {}, h('th', { text: 'Thôn/xóm' }), h('th', { class: 'num', text: 'Đã rà soát' }), h('th', { class: 'num', text: 'Rà soát lại' }),
            h('th', { class: 'num', text: 'Nghèo' }), h('th', { class: 'num', text: 'Cận nghèo' }), h('th', { text: 'Họp dân' }))),
          body)
        : h('p', { class: 'hint', text: 'Danh sách rà soát chưa có hộ nào. Ghi giấy đề nghị của hộ để thêm vào danh sách.' }));
  }

  /**
   * The household list (Phụ lục I) with a village filter; a row opens the survey.
   * @param {any} r RoundSummary @param {any[]} rows @param {any} detail
   */
  function householdList(r, rows, detail) {
    const villages = detail.villages.filter((/** @type {any} */ v) => v.total > 0).map((/** @type {any} */ v) => ({ code: v.village_id, label: v.village }));
    const filter = select({ id: 'round-village', 'data-testid': 'round-village', 'aria-label': 'Lọc theo thôn' }, villages, memo.village, 'Tất cả thôn/xóm');
    filter.addEventListener('change', () => { memo.village = /** @type {HTMLSelectElement} */ (filter).value; load(); });
    const open = (/** @type {string} */ hid) => ctx.navigate(`#/survey/${encodeURIComponent(r.id)}/${encodeURIComponent(hid)}`);
    const body = h('tbody', { id: 'round-rows' }, rows.map((x) => {
      const c = classInfo(x.class);
      const tr = h('tr', { 'data-testid': 'survey-row', 'data-id': x.household_id, 'data-status': x.status, tabindex: '0' },
        h('td', { class: 'nowrap', 'data-testid': 'survey-code', text: x.code }),
        h('td', { 'data-testid': 'survey-head', text: x.head_name }),
        h('td', { text: x.village }),
        h('td', { class: 'num', text: formatNumber(x.members) }),
        h('td', { text: sourceLabel(x.source) }),
        h('td', {}, h('span', { class: 'tag status-' + x.status, 'data-testid': 'survey-status', text: surveyStatusLabel(x.status) })),
        h('td', {}, x.class ? h('span', { class: 'tag ' + c.css, 'data-testid': 'survey-class', text: c.text }) : null,
          x.transition ? h('div', { class: 'hint', text: transitionLabel(x.transition) }) : null),
        h('td', { class: 'explain', 'data-testid': 'survey-explanation', text: x.explanation || '' }));
      tr.addEventListener('click', () => open(x.household_id));
      tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') open(x.household_id); });
      return tr;
    }));
    const firstPending = rows.find((x) => x.status !== 'surveyed');
    return h('section', { class: 'panel', id: 'round-households', 'data-testid': 'round-households' },
      h('div', { class: 'toolbar' },
        h('h2', { text: 'Danh sách hộ rà soát (Phụ lục I)' }), filter,
        h('span', { class: 'spacer' }),
        !r.locked && firstPending
          ? h('button', { type: 'button', class: 'primary', id: 'survey-next-pending', 'data-testid': 'survey-next-pending', text: 'Rà soát hộ chưa xong ›', onclick: () => open(firstPending.household_id) })
          : null),
      rows.length
        ? h('div', { class: 'table-wrap flat' }, h('table', { class: 'list' },
          h('thead', {}, h('tr', {}, h('th', { text: 'Mã hộ' }), h('th', { text: 'Chủ hộ' }), h('th', { text: 'Thôn/xóm' }), h('th', { class: 'num', text: 'NK' }),
            h('th', { text: 'Nguồn' }), h('th', { text: 'Trạng thái' }), h('th', { text: 'Phân loại' }), h('th', { text: 'Giải thích' }))),
          body))
        : h('p', { class: 'hint', text: memo.village ? 'Thôn/xóm này không có hộ nào trong danh sách.' : 'Chưa có hộ nào trong danh sách.' }));
  }

  /** Applications Mẫu 01 / Mẫu 04: add a household to the list. @param {any} r */
  function applications(r) {
    const summary = h('div', { class: 'summary', hidden: true });
    const search = h('input', { type: 'search', id: 'app-search', 'data-testid': 'app-search', placeholder: 'Tìm chủ hộ hoặc mã hộ', autocomplete: 'off' });
    const found = select({ id: 'app-household', 'data-testid': 'app-household' }, [], '', '— chọn hộ —');
    const form = select({ id: 'app-form', 'data-testid': 'app-form' },
      [{ code: 'mau01', label: 'Mẫu số 01 — đề nghị rà soát / xét mức sống trung bình' }, { code: 'mau04', label: 'Mẫu số 04 — đề nghị thoát nghèo, thoát cận nghèo' }], 'mau01');
    const purposes = {
      mau01: [{ code: 'review', label: 'Rà soát, xét duyệt hộ nghèo, hộ cận nghèo' }, { code: 'average', label: 'Xét hộ có mức sống trung bình' }],
      mau04: [{ code: 'exit_poor', label: 'Thoát nghèo' }, { code: 'exit_near_poor', label: 'Thoát cận nghèo' }],
    };
    const purpose = select({ id: 'app-purpose', 'data-testid': 'app-purpose' }, purposes.mau01, 'review');
    const reason = h('input', { type: 'text', id: 'app-reason', 'data-testid': 'app-reason', placeholder: 'Lý do (không bắt buộc)', autocomplete: 'off' });
    const date = h('input', { type: 'text', id: 'app-date', 'data-testid': 'app-date', value: formatDate(todayIso()), placeholder: 'dd/mm/yyyy', autocomplete: 'off' });
    const submit = h('button', { type: 'submit', id: 'app-save', 'data-testid': 'app-save', text: 'Ghi giấy đề nghị' });
    form.addEventListener('change', () => {
      const p = /** @type {HTMLSelectElement} */ (purpose);
      clear(p);
      for (const it of purposes[/** @type {'mau01'|'mau04'} */ (/** @type {HTMLSelectElement} */ (form).value)] || []) p.appendChild(h('option', { value: it.code, text: it.label }));
    });
    let seq = 0;
    search.addEventListener('input', async () => {
      const q = /** @type {HTMLInputElement} */ (search).value.trim();
      const mine = ++seq;
      if (!q) return;
      try {
        const page = await ctx.ipc.listHouseholds({ search: q, village_id: null, flags: [], offset: 0, limit: 20 });
        if (mine !== seq || !alive) return;
        const s = /** @type {HTMLSelectElement} */ (found);
        clear(s);
        s.appendChild(h('option', { value: '', text: page.total ? `— ${page.total} hộ khớp —` : '— không có hộ nào khớp —' }));
        for (const it of page.items) s.appendChild(h('option', { value: it.id, text: `${it.code} · ${it.head_name} · ${it.village}` }));
        if (page.items.length === 1) s.value = page.items[0].id;
      } catch { /* the search box stays usable; nothing to show */ }
    });
    const el = h('form', { id: 'application-form', 'data-testid': 'application-form', novalidate: true }, summary,
      h('div', { class: 'form-col' },
        field('household_search', 'Tìm hộ', search),
        field('household_id', 'Hộ gia đình', found),
        field('form', 'Loại giấy', form),
        field('purpose', 'Nội dung đề nghị', purpose),
        field('reason', 'Lý do', reason),
        field('received_date', 'Ngày nhận', date)),
      h('div', { class: 'actions' }, submit));
    const panel = h('details', { class: 'panel', id: 'application-panel', 'data-testid': 'application-panel', open: r.kind === 'monthly' || r.households === 0 },
      h('summary', {}, h('h2', { class: 'inline', text: 'Giấy đề nghị của hộ (Mẫu số 01, 04)' })), el);
    el.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const household_id = /** @type {HTMLSelectElement} */ (found).value;
      if (!household_id) {
        showIssues(el, summary, [{ field: 'household_id', message: 'Chọn hộ gia đình nộp giấy đề nghị.' }]);
        return;
      }
      act(el, summary, () => reviewIpc.addApplication({
        round_id: r.id,
        household_id,
        form: /** @type {HTMLSelectElement} */ (form).value,
        purpose: /** @type {HTMLSelectElement} */ (purpose).value,
        reason: tidy(/** @type {HTMLInputElement} */ (reason).value),
        received_date: dateForCore(/** @type {HTMLInputElement} */ (date).value),
      }), () => 'Đã ghi giấy đề nghị; hộ có trong danh sách rà soát.');
    });
    return panel;
  }

  /** The village meeting (họp dân). @param {any} detail */
  function meeting(detail) {
    const r = detail.round;
    const villages = detail.villages.filter((/** @type {any} */ v) => v.total > 0);
    const list = h('ul', { class: 'plain', id: 'meetings' }, villages.filter((/** @type {any} */ v) => v.meeting).map((/** @type {any} */ v) =>
      h('li', { 'data-testid': 'meeting-row' }, `${v.village}: ${formatDate(v.meeting.date)}, ${v.meeting.agreed}/${v.meeting.attendees} người đồng ý (${formatPct(v.meeting.agreement_pct)}) — `,
        h('strong', { class: v.meeting.result === 'passed' ? 'ok-text' : 'error-text', text: v.meeting.result === 'passed' ? 'đạt' : 'dưới 50%: phải rà soát lại' }))));
    const section = h('section', { class: 'panel', id: 'meeting-panel', 'data-testid': 'meeting-panel' }, h('h2', { text: 'Họp dân thôn/xóm' }), list);
    if (r.locked || !villages.length) return section;
    // A village meets once all its households are surveyed (the core refuses earlier meetings).
    const ready = villages.filter((/** @type {any} */ v) => v.surveyed === v.total);
    if (!ready.length) {
      section.appendChild(h('p', { class: 'hint', id: 'meeting-not-ready', text: 'Họp dân khi thôn/xóm đã rà soát xong tất cả các hộ trong danh sách.' }));
      return section;
    }
    const summary = h('div', { class: 'summary', hidden: true });
    const needing = ready.find((/** @type {any} */ v) => !v.meeting || v.meeting.result !== 'passed');
    if (!needing && ready.length === villages.length) return section;
    const village = select({ id: 'meeting-village', 'data-testid': 'meeting-village' },
      ready.map((/** @type {any} */ v) => ({ code: v.village_id, label: `${v.village} (${v.surveyed}/${v.total} hộ đã rà soát)` })), needing ? needing.village_id : ready[0].village_id);
    const date = h('input', { type: 'text', id: 'meeting-date', 'data-testid': 'meeting-date', value: formatDate(todayIso()), placeholder: 'dd/mm/yyyy', autocomplete: 'off' });
    const attendees = h('input', { type: 'text', id: 'meeting-attendees', 'data-testid': 'meeting-attendees', inputmode: 'numeric', autocomplete: 'off' });
    const agreed = h('input', { type: 'text', id: 'meeting-agreed', 'data-testid': 'meeting-agreed', inputmode: 'numeric', autocomplete: 'off' });
    const chair = h('input', { type: 'text', id: 'meeting-chair', 'data-testid': 'meeting-chair', placeholder: 'Người chủ trì', autocomplete: 'off' });
    const note = h('input', { type: 'text', id: 'meeting-note', 'data-testid': 'meeting-note', placeholder: 'Ghi chú', autocomplete: 'off' });
    const pct = h('output', { id: 'meeting-pct', 'data-testid': 'meeting-pct', class: 'pct' });
    const submit = h('button', { type: 'submit', id: 'meeting-save', 'data-testid': 'meeting-save', text: 'Ghi biên bản họp' });
    const showPct = () => {
      const a = agreement(readInteger(/** @type {HTMLInputElement} */ (attendees).value), readInteger(/** @type {HTMLInputElement} */ (agreed).value));
      pct.className = 'pct' + (a ? (a.atLeastHalf ? ' ok-text' : ' error-text') : '');
      pct.textContent = a ? `Đồng ý ${formatPct(a.pct)}${a.atLeastHalf ? '' : ' — dưới 50%: phải rà soát lại'}` : '';
    };
    attendees.addEventListener('input', showPct);
    agreed.addEventListener('input', showPct);
    const form = h('form', { id: 'meeting-form', 'data-testid': 'meeting-form', novalidate: true }, summary,
      h('div', { class: 'form-col' },
        field('village_id', 'Thôn/xóm', village),
        field('date', 'Ngày họp', date),
        field('attendees', 'Số người dự họp', attendees),
        field('agreed', 'Số người đồng ý với kết quả', agreed),
        field('chair', 'Chủ trì', chair),
        field('note', 'Ghi chú', note)),
      pct,
      h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const att = readInteger(/** @type {HTMLInputElement} */ (attendees).value);
      const agr = readInteger(/** @type {HTMLInputElement} */ (agreed).value);
      const local = [];
      if (att === null || !Number.isFinite(att)) local.push({ field: 'attendees', message: 'Nhập số người dự họp (số nguyên).' });
      if (agr === null || !Number.isFinite(agr)) local.push({ field: 'agreed', message: 'Nhập số người đồng ý (số nguyên).' });
      if (local.length) { showIssues(form, summary, local); focusFirstError(form); return; }
      const vname = (villages.find((/** @type {any} */ v) => v.village_id === /** @type {HTMLSelectElement} */ (village).value) || {}).village || '';
      act(form, summary, () => reviewIpc.recordMeeting({
        round_id: r.id,
        village_id: /** @type {HTMLSelectElement} */ (village).value,
        date: dateForCore(/** @type {HTMLInputElement} */ (date).value),
        attendees: att,
        agreed: agr,
        chair: tidy(/** @type {HTMLInputElement} */ (chair).value),
        note: tidy(/** @type {HTMLInputElement} */ (note).value),
      }), (d) => {
        const v = d.villages.find((/** @type {any} */ x) => x.village_id === /** @type {HTMLSelectElement} */ (village).value);
        return v && v.meeting && v.meeting.result !== 'passed'
          ? `${vname}: dưới 50% đồng ý — các hộ của thôn phải rà soát lại.`
          : `Đã ghi biên bản họp dân ${vname}.`;
      });
    });
    section.appendChild(form);
    return section;
  }

  /** Public posting (niêm yết). @param {any} detail */
  function posting(detail) {
    const r = detail.round;
    const section = h('section', { class: 'panel', id: 'posting-panel', 'data-testid': 'posting-panel' },
      h('h2', { text: 'Niêm yết công khai' }),
      h('p', { id: 'posting-state', 'data-testid': 'posting-state', text: r.posting_start
        ? `Niêm yết từ ${formatDate(r.posting_start)} đến hết ${formatDate(r.posting_end)} (${r.posting_days} ngày làm việc).`
        : `Chưa niêm yết. Thời gian niêm yết: ${r.posting_days} ngày làm việc.` }));
    if (r.locked) return section;
    const waiting = detail.villages.filter((/** @type {any} */ v) => v.total > 0 && (!v.meeting || v.meeting.result !== 'passed'));
    if (waiting.length && !r.posting_start) {
      section.appendChild(h('p', { class: 'hint', id: 'posting-not-ready', text: 'Niêm yết sau khi tất cả thôn/xóm đã họp dân đạt yêu cầu.' }));
      return section;
    }
    const summary = h('div', { class: 'summary', hidden: true });
    const start = h('input', { type: 'text', id: 'posting-start', 'data-testid': 'posting-start', value: formatDate(r.posting_start || todayIso()), placeholder: 'dd/mm/yyyy', autocomplete: 'off' });
    const submit = h('button', { type: 'submit', id: 'posting-save', 'data-testid': 'posting-save', text: r.posting_start ? 'Đổi ngày niêm yết' : 'Bắt đầu niêm yết' });
    const form = h('form', { id: 'posting-form', 'data-testid': 'posting-form', novalidate: true, class: 'inline-form' }, summary,
      field('posting_start', 'Ngày bắt đầu niêm yết', start), submit);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      act(form, summary, () => reviewIpc.startPosting(r.id, dateForCore(/** @type {HTMLInputElement} */ (start).value)),
        (d) => `Niêm yết đến hết ngày ${formatDate(d.round.posting_end)}.`);
    });
    section.appendChild(form);
    return section;
  }

  /** Complaints and re-checks (khiếu nại, phúc tra). @param {any} detail @param {any[]} rows */
  function complaints(detail, rows) {
    const r = detail.round;
    const section = h('section', { class: 'panel', id: 'complaints-panel', 'data-testid': 'complaints-panel' }, h('h2', { text: 'Khiếu nại và phúc tra' }));
    if (!detail.complaints.length) section.appendChild(h('p', { class: 'hint', text: 'Không có khiếu nại.' }));
    for (const c of detail.complaints) {
      const item = h('div', { class: 'complaint', 'data-testid': 'complaint', 'data-status': c.status },
        h('div', {}, h('strong', { text: `${c.household_code} · ${c.head_name}` }), ` — ${formatDate(c.date)}: ${c.content}`),
        c.status === 'resolved'
          ? h('div', { class: 'ok-text', text: `Đã phúc tra ngày ${formatDate(c.recheck_date)}: ${c.recheck_result || ''}` })
          : h('div', { class: 'error-text', text: 'Chưa phúc tra' }));
      if (c.status !== 'resolved' && !r.locked) {
        const summary = h('div', { class: 'summary', hidden: true });
        const date = h('input', { type: 'text', 'data-testid': 'recheck-date', value: formatDate(todayIso()), placeholder: 'dd/mm/yyyy', autocomplete: 'off', id: `recheck-date-${c.id}` });
        const result = h('input', { type: 'text', 'data-testid': 'recheck-result', placeholder: 'Kết quả phúc tra', autocomplete: 'off', id: `recheck-result-${c.id}` });
        const form = h('form', { class: 'inline-form', novalidate: true }, summary,
          field('recheck_date', 'Ngày phúc tra', date), field('recheck_result', 'Kết quả', result),
          h('button', { type: 'submit', 'data-testid': 'recheck-save', text: 'Ghi phúc tra' }));
        form.addEventListener('submit', (ev) => {
          ev.preventDefault();
          act(form, summary, () => reviewIpc.resolveComplaint(c.id, dateForCore(/** @type {HTMLInputElement} */ (date).value), tidy(/** @type {HTMLInputElement} */ (result).value)),
            () => 'Đã ghi kết quả phúc tra.');
        });
        item.appendChild(form);
      }
      section.appendChild(item);
    }
    if (r.locked || !rows.length) return section;
    const summary = h('div', { class: 'summary', hidden: true });
    const household = select({ id: 'complaint-household', 'data-testid': 'complaint-household' },
      rows.map((x) => ({ code: x.household_id, label: `${x.code} · ${x.head_name}` })), '', '— chọn hộ —');
    const date = h('input', { type: 'text', id: 'complaint-date', 'data-testid': 'complaint-date', value: formatDate(todayIso()), placeholder: 'dd/mm/yyyy', autocomplete: 'off' });
    const content = h('input', { type: 'text', id: 'complaint-content', 'data-testid': 'complaint-content', placeholder: 'Nội dung khiếu nại', autocomplete: 'off' });
    const form = h('form', { id: 'complaint-form', 'data-testid': 'complaint-form', novalidate: true }, summary,
      h('div', { class: 'form-col' }, field('household_id', 'Hộ khiếu nại', household), field('date', 'Ngày nhận', date), field('content', 'Nội dung', content)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'complaint-save', 'data-testid': 'complaint-save', text: 'Ghi khiếu nại' })));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const hid = /** @type {HTMLSelectElement} */ (household).value;
      if (!hid) { showIssues(form, summary, [{ field: 'household_id', message: 'Chọn hộ khiếu nại.' }]); return; }
      act(form, summary, () => reviewIpc.addComplaint(r.id, hid, dateForCore(/** @type {HTMLInputElement} */ (date).value), tidy(/** @type {HTMLInputElement} */ (content).value)),
        () => 'Đã ghi khiếu nại; cần phúc tra trước khi ra quyết định.');
    });
    section.appendChild(h('details', {}, h('summary', { text: 'Ghi khiếu nại mới…' }), form));
    return section;
  }

  /** The certificates (Mẫu 03) of a decided round. @param {any[]} certs */
  function certificates(certs) {
    return h('section', { class: 'panel', id: 'certificates-panel', 'data-testid': 'certificates-panel' },
      h('h2', { text: `Giấy chứng nhận hộ nghèo, hộ cận nghèo (Mẫu số 03): ${formatNumber(certs.length)}` }),
      certs.length
        ? h('table', { class: 'list compact', id: 'certificates', 'data-testid': 'certificates' },
          h('thead', {}, h('tr', {}, h('th', { text: 'Số giấy' }), h('th', { text: 'Mã hộ' }), h('th', { text: 'Chủ hộ' }), h('th', { text: 'Loại' }), h('th', { text: 'Ngày cấp' }))),
          h('tbody', {}, certs.map((c) => h('tr', { 'data-testid': 'certificate-row' },
            h('td', { class: 'nowrap', 'data-testid': 'certificate-number', text: c.number }), h('td', { class: 'nowrap', text: c.code }), h('td', { text: c.head_name }),
            h('td', {}, h('span', { class: 'tag ' + classInfo(c.class).css, text: classInfo(c.class).text })), h('td', { text: formatDate(c.issued_date) })))))
        : h('p', { class: 'hint', id: 'certificates', 'data-testid': 'certificates', text: 'Đợt này không có hộ nghèo, hộ cận nghèo nên không cấp giấy chứng nhận.' }));
  }

  /** The decision (Mẫu 02), with what still blocks it. @param {any} detail */
  function decision(detail) {
    const r = detail.round;
    const section = h('section', { class: 'panel', id: 'decision-panel', 'data-testid': 'decision-panel' }, h('h2', { text: 'Quyết định công nhận (Mẫu số 02)' }));
    if (r.locked) {
      section.appendChild(h('p', { id: 'decision-info', 'data-testid': 'decision-info', text: `Quyết định số ${r.decision_number || ''} ngày ${formatDate(r.decision_date)}${r.decision_signer ? ` — ${r.decision_signer}` : ''}.` }));
      return section;
    }
    const blockers = detail.blockers || [];
    section.appendChild(blockers.length
      ? h('div', { class: 'blockers', id: 'decision-blockers', 'data-testid': 'decision-blockers' },
        h('p', { text: 'Chưa thể ra quyết định:' }),
        h('ul', {}, blockers.map((/** @type {string} */ b) => h('li', { 'data-testid': 'decision-blocker', text: b }))))
      : h('p', { class: 'ok-text', id: 'decision-ready', 'data-testid': 'decision-ready', text: 'Đủ điều kiện ra quyết định.' }));
    const summary = h('div', { class: 'summary', hidden: true });
    const number = h('input', { type: 'text', id: 'decision-number', 'data-testid': 'decision-number', placeholder: 'vd. 125/QĐ-UBND', autocomplete: 'off' });
    const date = h('input', { type: 'text', id: 'decision-date', 'data-testid': 'decision-date', value: formatDate(todayIso()), placeholder: 'dd/mm/yyyy', autocomplete: 'off' });
    const signer = h('input', { type: 'text', id: 'decision-signer', 'data-testid': 'decision-signer', placeholder: 'Chủ tịch UBND xã', autocomplete: 'off' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'decision-save', 'data-testid': 'decision-save', text: 'Ra quyết định và khoá đợt', disabled: blockers.length > 0 });
    const form = h('form', { id: 'decision-form', 'data-testid': 'decision-form', novalidate: true }, summary,
      h('div', { class: 'form-col' }, field('number', 'Số quyết định', number), field('date', 'Ngày quyết định', date), field('signer', 'Người ký', signer)),
      h('div', { class: 'actions' }, submit,
        h('span', { class: 'hint', text: 'Sau quyết định, đợt rà soát bị khoá và giấy chứng nhận được cấp số.' })));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      act(form, summary, () => reviewIpc.decideRound({
        round_id: r.id,
        number: tidy(/** @type {HTMLInputElement} */ (number).value),
        date: dateForCore(/** @type {HTMLInputElement} */ (date).value),
        signer: tidy(/** @type {HTMLInputElement} */ (signer).value),
      }), (d) => `Đã ra quyết định số ${d.round.decision_number}; đợt rà soát đã khoá.`);
    });
    section.appendChild(form);
    return section;
  }

  load();
  return () => { alive = false; };
}
