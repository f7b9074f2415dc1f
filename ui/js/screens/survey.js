// @ts-check
/**
 * The survey of one household in a round (phiếu rà soát), in the paper form's order so a
 * reviewer can key in from paper fast: Phiếu A (when it applies), Phiếu B1 (score A typed, or the
 * B1 answers when the rule set has a table; income per person and "hộ làm nông, lâm, ngư, diêm
 * nghiệp" for the average living standard; floor area), Phiếu B2 (each indicator Có thiếu hụt /
 * Không, prefilled from what the register says, with the register's reason; a different answer
 * needs a reason), the causes of poverty (nguyên nhân nghèo, several may apply; shown only while
 * the household is classed poor or near-poor, the list comes from the core), reviewer and date.
 * The class and its explanation come live from the core's
 * `preview_survey` as answers change. Keyboard: Enter saves, Ctrl+Enter saves and opens the next
 * household, Esc goes back (twice when there are unsaved changes).
 * @module screens/survey
 */
import { h, clear } from '../dom.js';
import { field, showIssues, focusFirstError } from '../forms.js';
import { debounce, latestOnly } from '../lib/debounce.js';
import { formatDate, formatMoney, formatNumber } from '../lib/format.js';
import { tidy } from '../lib/text.js';
import { classInfo, dateForCore, nextToSurvey, readDecimal, readInteger, todayIso, transitionLabel } from '../lib/review.js';
import { reviewIpc } from '../review-ipc.js';

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  const roundId = ctx.params[0] || '';
  const householdId = ctx.params[1] || '';
  const screen = h('section', { class: 'review survey', id: 'survey', 'data-testid': 'survey' }, h('p', { class: 'loading', text: 'Đang tải…' }));
  root.appendChild(screen);
  let alive = true;
  /** @type {() => void} */
  let cleanup = () => {};
  (async () => {
    let form, rows;
    try {
      [form, rows] = await Promise.all([reviewIpc.surveyForm(roundId, householdId), reviewIpc.roundHouseholds(roundId, null)]);
    } catch (e) {
      if (!alive) return;
      clear(screen);
      screen.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
      screen.appendChild(h('a', { href: `#/round/${encodeURIComponent(roundId)}`, text: '‹ Về đợt rà soát' }));
      return;
    }
    if (!alive) return;
    cleanup = build(screen, ctx, form, rows);
  })();
  return () => { alive = false; cleanup(); };
}

/**
 * @param {HTMLElement} screen
 * @param {import('../app.js').Ctx} ctx
 * @param {any} sf  SurveyForm
 * @param {any[]} rows  the round's household list
 * @returns {() => void}
 */
function build(screen, ctx, sf, rows) {
  clear(screen);
  const round = sf.round;
  const hh = sf.household;
  const saved = sf.saved;
  const locked = !!round.locked;
  const areaText = sf.area === 'urban' ? 'thành thị' : 'nông thôn';
  const back = `#/round/${encodeURIComponent(round.id)}`;
  let dirty = false;
  let escArmed = 0;
  let alive = true;

  const position = rows.findIndex((r) => r.household_id === hh.id);
  screen.appendChild(h('div', { class: 'head-line' },
    h('a', { href: back, id: 'survey-back', text: `‹ ${round.title}` }),
    h('h1', { id: 'survey-title', 'data-testid': 'survey-title', text: `Phiếu rà soát hộ ${hh.head_name}` }),
    h('span', { class: 'code', 'data-testid': 'survey-household-code', text: `Mã hộ ${hh.code} · ${hh.village}` }),
    h('span', { class: 'spacer' }),
    position >= 0 ? h('span', { class: 'hint', id: 'survey-position', text: `Hộ ${position + 1}/${rows.length} trong danh sách` }) : null));
  if (locked) {
    screen.appendChild(h('div', { class: 'locked-banner', 'data-testid': 'round-locked', text: `Đợt rà soát đã có quyết định số ${round.decision_number || ''} và đã khoá: phiếu chỉ để xem.` }));
  }
  const present = hh.members.filter((/** @type {any} */ m) => !m.status || m.status === 'present');
  screen.appendChild(h('p', { class: 'members-line', id: 'survey-members' },
    h('strong', { text: `${present.length} nhân khẩu: ` }),
    present.map((/** @type {any} */ m, /** @type {number} */ i) => `${i ? '; ' : ''}${m.full_name}${m.age_text ? ` (${m.age_text})` : ''}`)));

  const summary = h('div', { class: 'summary', id: 'survey-summary', hidden: true });
  const sections = [];

  // Phiếu A: quick screening of applicants.
  /** @type {HTMLInputElement[]} */
  const phieuA = [];
  if (sf.applies_phieu_a && sf.phieu_a_items.length) {
    const ticked = new Set(saved ? saved.phieu_a_ticked : []);
    sections.push(h('fieldset', { class: 'panel phieu', id: 'phieu-a', 'data-field': 'phieu_a_ticked' },
      h('legend', { text: 'Phiếu A — nhận diện nhanh' }),
      h('p', { class: 'hint', text: 'Đánh dấu nếu hộ có một trong các đặc điểm sau: có bất kỳ mục nào thì dừng rà soát (hộ không thuộc diện nghèo, cận nghèo).' }),
      sf.phieu_a_items.map((/** @type {any} */ it) => {
        const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: `phieu-a-${it.id}`, 'data-testid': `phieu-a-${it.id}`, value: it.id, checked: ticked.has(it.id) }));
        phieuA.push(box);
        return h('div', { class: 'field inline' }, box, h('label', { for: box.id, text: it.label }));
      })));
  }

  // Phiếu B1: score A (typed, or from the answers when the rule set has a table), income, area.
  /** @type {{id: string, sel: HTMLSelectElement}[]} */
  const b1 = [];
  const scoreA = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'survey-score-a', 'data-testid': 'survey-score-a', inputmode: 'numeric', autocomplete: 'off', value: saved && saved.score_a !== null && saved.score_a !== undefined && !Object.keys(saved.b1_answers || {}).length ? String(saved.score_a) : '' }));
  const income = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'survey-income', 'data-testid': 'survey-income', inputmode: 'numeric', autocomplete: 'off', placeholder: 'đồng/người/tháng', value: saved && saved.income_per_capita_month !== null && saved.income_per_capita_month !== undefined ? formatNumber(saved.income_per_capita_month) : '' }));
  const agricultural = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'survey-agricultural', 'data-testid': 'survey-agricultural', checked: saved ? saved.agricultural : false }));
  const area = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'survey-floor-area', 'data-testid': 'survey-floor-area', inputmode: 'decimal', autocomplete: 'off', placeholder: 'm²', value: saved && saved.floor_area_m2 !== null && saved.floor_area_m2 !== undefined ? String(saved.floor_area_m2).replace('.', ',') : '' }));
  const b1Box = h('fieldset', { class: 'panel phieu', id: 'phieu-b1' }, h('legend', { text: 'Phiếu B1 — thu nhập (điểm A)' }));
  if (sf.b1_questions.length) {
    const answers = (saved && saved.b1_answers) || {};
    b1Box.appendChild(h('div', { class: 'form-grid', 'data-field': 'b1_answers' }, sf.b1_questions.map((/** @type {any} */ q) => {
      const sel = /** @type {HTMLSelectElement} */ (h('select', { id: `b1-${q.id}`, 'data-testid': `b1-${q.id}` },
        h('option', { value: '', text: '—' }),
        q.options.map((/** @type {any} */ o) => h('option', { value: o.id, selected: answers[q.id] === o.id, text: o.label }))));
      b1.push({ id: q.id, sel });
      return field(`b1_answers.${q.id}`, q.label, sel);
    })));
  } else if (sf.score_a_line !== null && sf.score_a_line !== undefined) {
    b1Box.appendChild(h('div', { class: 'form-grid' },
      field('score_a', `Tổng điểm A (ghi từ Phiếu B1; ngưỡng ≤ ${sf.score_a_line}, ${areaText})`, scoreA)));
  } else {
    b1Box.appendChild(h('p', { class: 'hint', id: 'survey-no-score-line', text: `Chuẩn nghèo ${sf.rules_label} chưa có ngưỡng điểm A: phân loại theo thu nhập bình quân đầu người.` }));
  }
  b1Box.appendChild(h('div', { class: 'form-grid' },
    field('income_per_capita_month', `Thu nhập bình quân đầu người/tháng (chuẩn ${formatMoney(sf.income_line)}, ${areaText})`, income),
    field('floor_area_m2', 'Diện tích nhà ở (m²)', area)));
  b1Box.appendChild(field('agricultural', 'Hộ làm nông, lâm, ngư, diêm nghiệp (xét mức sống trung bình)', agricultural, { inline: true }));
  sections.push(b1Box);

  // Phiếu B2: the deprivation indicators, prefilled from the register.
  /** @type {Map<string, any>} */
  const derivedById = new Map(sf.derived.map((/** @type {any} */ d) => [d.id, d]));
  /** @type {{id: string, yes: HTMLInputElement, no: HTMLInputElement, reason: HTMLInputElement, reasonBox: HTMLElement, derived: boolean|null, box: HTMLElement}[]} */
  const b2 = [];
  const b2Box = h('fieldset', { class: 'panel phieu', id: 'phieu-b2' },
    h('legend', { text: 'Phiếu B2 — thiếu hụt dịch vụ xã hội cơ bản' }),
    h('p', { class: 'hint', text: 'Câu trả lời được điền sẵn theo dữ liệu trong sổ hộ tại ngày tham chiếu. Trả lời khác với sổ thì phải ghi lý do.' }));
  let dimension = '';
  for (const ind of sf.indicators) {
    if (ind.dimension !== dimension) {
      dimension = ind.dimension;
      b2Box.appendChild(h('h3', { class: 'dimension', text: dimension }));
    }
    const d = derivedById.get(ind.id) || { derived: null, derived_reason: null };
    const derived = d.derived === true || d.derived === false ? d.derived : null;
    const savedAnswer = saved && saved.deprivations && Object.prototype.hasOwnProperty.call(saved.deprivations, ind.id) ? saved.deprivations[ind.id] : null;
    const answer = savedAnswer !== null ? savedAnswer : derived !== null ? derived : false;
    const name = `b2-${ind.id}`;
    const yes = /** @type {HTMLInputElement} */ (h('input', { type: 'radio', name, id: `${name}-yes`, 'data-testid': `${name}-yes`, value: 'true', checked: answer === true }));
    const no = /** @type {HTMLInputElement} */ (h('input', { type: 'radio', name, id: `${name}-no`, 'data-testid': `${name}-no`, value: 'false', checked: answer === false }));
    const reason = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: `${name}-reason`, 'data-testid': `${name}-reason`, autocomplete: 'off', placeholder: 'Lý do trả lời khác với sổ hộ', value: (saved && saved.override_reasons && saved.override_reasons[ind.id]) || '' }));
    const reasonBox = h('div', { class: 'override-reason' }, reason);
    const register = derived === null
      ? 'Sổ hộ chưa đủ dữ liệu để xác định: hỏi trực tiếp.'
      : `Theo sổ hộ: ${derived ? 'thiếu hụt' : 'không thiếu hụt'}${d.derived_reason ? ` — ${d.derived_reason}` : ''}.`;
    const box = h('div', { class: 'indicator', 'data-field': `deprivations.${ind.id}`, 'data-alias': `override_reasons.${ind.id}`, 'data-testid': `indicator-${ind.id}` },
      h('div', { class: 'indicator-name' }, h('strong', { text: ind.name }), ind.provisional ? h('span', { class: 'tag', text: 'tạm thời' }) : null),
      h('div', { class: 'indicator-answer', role: 'radiogroup', 'aria-label': ind.name },
        h('label', { for: yes.id }, yes, ' Có thiếu hụt'), h('label', { for: no.id }, no, ' Không')),
      h('div', { class: 'hint register-says', 'data-testid': `${name}-register`, text: register }),
      reasonBox);
    b2.push({ id: ind.id, yes, no, reason, reasonBox, derived, box });
    b2Box.appendChild(box);
  }
  sections.push(b2Box);

  // Causes of poverty: only for a poor or near-poor household (the core refuses them otherwise).
  /** @type {HTMLInputElement[]} */
  const causes = [];
  const savedCauses = new Set(saved && saved.poverty_causes ? saved.poverty_causes : []);
  const causesBox = h('fieldset', { class: 'panel phieu', id: 'survey-causes', 'data-testid': 'survey-causes', 'data-field': 'poverty_causes', hidden: true },
    h('legend', { text: 'Nguyên nhân nghèo' }),
    h('p', { class: 'hint', text: 'Chọn các nguyên nhân chính (có thể chọn nhiều).' }),
    h('div', { class: 'causes' }, (sf.poverty_causes || []).map((/** @type {any} */ c) => {
      const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: `cause-${c.id}`, 'data-testid': `cause-${c.id}`, value: c.id, checked: savedCauses.has(c.id) }));
      causes.push(box);
      return h('div', { class: 'field inline' }, box, h('label', { for: box.id, text: c.label }));
    })));
  sections.push(causesBox);
  /** @param {string|null|undefined} cls */
  function showCauses(cls) {
    causesBox.hidden = !(cls === 'poor' || cls === 'near_poor') || causes.length === 0;
  }
  showCauses(sf.outcome ? sf.outcome.class : null);

  // Reviewer and date.
  const me = ctx.info && ctx.info.current_user ? ctx.info.current_user.name : '';
  const reviewer = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'survey-reviewer', 'data-testid': 'survey-reviewer', autocomplete: 'off', value: (saved && saved.reviewer) || me }));
  const date = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'survey-date', 'data-testid': 'survey-date', autocomplete: 'off', placeholder: 'dd/mm/yyyy', value: formatDate((saved && saved.survey_date) || todayIso()) }));
  sections.push(h('div', { class: 'panel form-grid', id: 'survey-signature' },
    field('reviewer', 'Người rà soát', reviewer), field('survey_date', 'Ngày rà soát', date)));

  const save = h('button', { type: 'submit', class: 'primary', id: 'survey-save', 'data-testid': 'survey-save', text: 'Lưu (Enter)' });
  const saveNext = h('button', { type: 'button', id: 'survey-save-next', 'data-testid': 'survey-save-next', text: 'Lưu và sang hộ tiếp theo (Ctrl+Enter)' });
  const cancel = h('button', { type: 'button', id: 'survey-cancel', text: 'Quay lại (Esc)' });
  const escHint = h('span', { class: 'hint', id: 'survey-esc-hint', hidden: true, text: 'Có thay đổi chưa lưu: nhấn Esc lần nữa để bỏ.' });
  const form = h('form', { id: 'survey-form', 'data-testid': 'survey-form', novalidate: true },
    summary, sections,
    locked ? null : h('div', { class: 'actions sticky-actions' }, save, saveNext, cancel, escHint,
      h('span', { class: 'hint' }, h('kbd', { text: 'Enter' }), ' lưu · ', h('kbd', { text: 'Ctrl+Enter' }), ' lưu và sang hộ tiếp · ', h('kbd', { text: 'Esc' }), ' quay lại')));
  if (locked) for (const el of form.querySelectorAll('input, select, textarea')) el.setAttribute('disabled', '');

  // The live result.
  const resultClass = h('span', { class: 'tag big', id: 'survey-class', 'data-testid': 'survey-class' });
  const resultExplanation = h('p', { class: 'explanation', id: 'survey-explanation', 'data-testid': 'survey-explanation' });
  const resultScores = h('p', { class: 'hint', id: 'survey-scores', 'data-testid': 'survey-scores' });
  const resultTransition = h('p', { id: 'survey-transition', 'data-testid': 'survey-transition' });
  const resultState = h('p', { class: 'hint', id: 'survey-state', 'data-testid': 'survey-state' });
  const resultErrors = h('ul', { class: 'msg error plain', id: 'survey-preview-errors', 'data-testid': 'survey-preview-errors', hidden: true });
  const result = h('aside', { class: 'panel survey-result', id: 'survey-result', 'data-testid': 'survey-result' },
    h('h2', { text: 'Kết quả phân loại' }), resultClass, resultScores, resultExplanation, resultTransition, resultErrors, resultState,
    h('p', { class: 'hint', text: `Chuẩn nghèo ${sf.rules_label} · ngày tham chiếu ${formatDate(round.reference_date)} · khu vực ${areaText}` }));
  screen.appendChild(h('div', { class: 'survey-grid' }, form, result));

  /** Reads the form into the core's SurveyInput; `local` holds what cannot even be sent. */
  function read() {
    /** @type {{field: string, message: string}[]} */
    const local = [];
    const num = (/** @type {HTMLInputElement} */ el, /** @type {string} */ f, /** @type {(t: string) => number|null} */ parse, /** @type {string} */ msg) => {
      const v = parse(el.value);
      if (v !== null && !Number.isFinite(v)) { local.push({ field: f, message: msg }); return null; }
      return v;
    };
    /** @type {Record<string, string>} */
    const b1Answers = {};
    for (const q of b1) if (q.sel.value) b1Answers[q.id] = q.sel.value;
    /** @type {Record<string, boolean>} */
    const deprivations = {};
    /** @type {Record<string, string>} */
    const reasons = {};
    for (const x of b2) {
      const ans = x.yes.checked;
      const differs = x.derived !== null && ans !== x.derived;
      // Answers the register already gives are left to it; the rest are the reviewer's own.
      if (x.derived === null || differs) deprivations[x.id] = ans;
      const why = tidy(x.reason.value);
      if (differs && why) reasons[x.id] = why;
      x.reasonBox.hidden = !differs;
      x.box.classList.toggle('overridden', differs);
    }
    return {
      input: {
        round_id: round.id,
        household_id: hh.id,
        phieu_a_ticked: phieuA.filter((b) => b.checked).map((b) => b.value),
        score_a: b1.length ? null : num(scoreA, 'score_a', readInteger, 'Điểm A phải là số nguyên.'),
        b1_answers: b1Answers,
        income_per_capita_month: num(income, 'income_per_capita_month', readInteger, 'Thu nhập phải là số đồng (vd. 1.500.000).'),
        agricultural: agricultural.checked,
        floor_area_m2: num(area, 'floor_area_m2', readDecimal, 'Diện tích phải là số (vd. 24,5).'),
        deprivations,
        override_reasons: reasons,
        reviewer: tidy(reviewer.value),
        survey_date: dateForCore(date.value),
        // Hidden (not poor / near-poor): nothing is sent, so a class change clears them.
        poverty_causes: causesBox.hidden ? [] : causes.filter((b) => b.checked).map((b) => b.value),
      },
      local,
    };
  }

  /** @param {any} o SurveyOutcome (or the stored outcome) */
  function showOutcome(o) {
    const c = classInfo(o.class);
    resultClass.className = 'tag big ' + c.css;
    resultClass.textContent = o.class_label || c.text;
    resultExplanation.textContent = o.explanation || '';
    const parts = [];
    if (o.score_a !== null && o.score_a !== undefined) parts.push(`Điểm A: ${o.score_a}`);
    if (o.score_b !== null && o.score_b !== undefined) parts.push(`Điểm B: ${o.score_b}`);
    resultScores.textContent = parts.join(' · ');
    const t = o.transition_label || transitionLabel(o.transition);
    resultTransition.textContent = t ? `Diễn biến so với lần trước: ${t}` : '';
    showCauses(o.class);
    resultErrors.hidden = true;
    clear(resultErrors);
  }

  /** @param {{field: string, message: string}[]} errs */
  function showPreviewErrors(errs) {
    resultClass.className = 'tag big';
    resultClass.textContent = 'Chưa phân loại được';
    resultExplanation.textContent = '';
    resultScores.textContent = '';
    resultTransition.textContent = '';
    clear(resultErrors);
    for (const e of errs) resultErrors.appendChild(h('li', { text: e.message }));
    resultErrors.hidden = errs.length === 0;
  }

  if (sf.outcome) {
    showOutcome(sf.outcome);
    resultState.textContent = 'Đã lưu phiếu này.';
  } else {
    resultState.textContent = 'Chưa lưu phiếu.';
  }

  const latest = latestOnly();
  const preview = debounce(async () => {
    const { input, local } = read();
    if (local.length) { showPreviewErrors(local); return; }
    try {
      const out = await latest(reviewIpc.previewSurvey(input));
      if (!out || !alive) return;
      showOutcome(out);
      // Only the indicator messages belong next to the inputs while typing.
      showIssues(form, summary, []);
    } catch (e) {
      if (!alive) return;
      const err = /** @type {any} */ (e);
      const fields = err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }];
      showPreviewErrors(fields);
      showIssues(form, summary, fields.filter((/** @type {any} */ f) => f.field.startsWith('deprivations.')));
    }
  }, 200);

  function changed() {
    dirty = true;
    escHint.hidden = true;
    escArmed = 0;
    resultState.textContent = 'Có thay đổi chưa lưu.';
    preview();
  }
  if (!locked) {
    form.addEventListener('input', changed);
    form.addEventListener('change', changed);
  }

  let saving = false;
  /** @param {boolean} thenNext */
  async function doSave(thenNext) {
    if (saving || locked) return;
    preview.cancel();
    const { input, local } = read();
    if (local.length) {
      showIssues(form, summary, local, 'Chưa lưu được: hãy sửa các ô được đánh dấu.');
      focusFirstError(form);
      return;
    }
    saving = true;
    save.setAttribute('disabled', '');
    saveNext.setAttribute('disabled', '');
    try {
      const out = await reviewIpc.saveSurvey(input);
      if (!alive) return;
      dirty = false;
      showIssues(form, summary, []);
      showOutcome(out);
      resultState.textContent = 'Đã lưu phiếu này.';
      ctx.toast(`Đã lưu phiếu hộ ${hh.head_name}: ${out.class_label}.`);
      if (thenNext) {
        const fresh = await reviewIpc.roundHouseholds(round.id, null);
        if (!alive) return;
        const next = nextToSurvey(fresh, hh.id);
        if (next) ctx.navigate(`#/survey/${encodeURIComponent(round.id)}/${encodeURIComponent(next)}`);
        else { ctx.toast('Đã rà soát xong tất cả các hộ trong danh sách.'); ctx.navigate(back); }
      }
    } catch (e) {
      if (!alive) return;
      const err = /** @type {any} */ (e);
      const fields = err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }];
      showIssues(form, summary, fields, 'Chưa lưu được: hãy sửa các ô được đánh dấu.');
      focusFirstError(form);
    } finally {
      saving = false;
      save.removeAttribute('disabled');
      saveNext.removeAttribute('disabled');
    }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); doSave(false); });
  saveNext.addEventListener('click', () => doSave(true));
  cancel.addEventListener('click', () => ctx.navigate(back));

  /** @param {KeyboardEvent} ev */
  function onKey(ev) {
    const t = /** @type {HTMLElement} */ (ev.target);
    if (ev.key === 'Enter' && !locked && t && t.tagName !== 'TEXTAREA' && t.tagName !== 'BUTTON' && t.tagName !== 'A') {
      ev.preventDefault();
      doSave(ev.ctrlKey);
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      if (!dirty || (escArmed && Date.now() - escArmed < 4000)) ctx.navigate(back);
      else { escArmed = Date.now(); escHint.hidden = false; }
    }
  }
  document.addEventListener('keydown', onKey);

  // Show the reason inputs for saved overrides and the live class for what is on screen.
  read();
  if (!locked && !sf.outcome) preview();
  const first = /** @type {HTMLElement|null} */ (form.querySelector('input:not([disabled]), select:not([disabled])'));
  if (first && !locked) (b1.length ? b1[0].sel : sf.score_a_line !== null && sf.score_a_line !== undefined ? scoreA : income).focus();
  screen.setAttribute('data-loaded', 'true');

  return () => { alive = false; preview.cancel(); document.removeEventListener('keydown', onKey); };
}
