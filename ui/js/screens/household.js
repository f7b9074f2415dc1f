// @ts-check
/**
 * One household (hộ): the edit form with its members (thành viên), the events dialog (biến
 * động) and the history (who changed what, when). Keyboard-first: Tab order follows the form,
 * Enter saves, Esc (twice if there are changes) goes back, Ctrl+M adds a member. Every check is
 * the core's (`check_household` while typing, `save_household` on save); this module only reads
 * the inputs and places the messages.
 * @module screens/household
 */
import { h, clear, select } from '../dom.js';
import { field, showIssues, focusFirstError } from '../forms.js';
import { debounce, latestOnly } from '../lib/debounce.js';
import { formatDate, formatDateTime, readBirth } from '../lib/format.js';
import { fieldName } from '../lib/fields.js';
import { tidy, optional } from '../lib/text.js';
import { openEventDialog } from './event-dialog.js';
import { householdReview } from './household-review.js';
import { conflictIpc } from '../conflict-ipc.js';

const TRI = [{ code: 'true', label: 'Có' }, { code: 'false', label: 'Không' }];

/** @param {boolean|null|undefined} v */
const triCode = (v) => (v === true ? 'true' : v === false ? 'false' : '');
/** @param {string} s @returns {boolean|null} */
const triValue = (s) => (s === 'true' ? true : s === 'false' ? false : null);

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  const id = ctx.params[0] && ctx.params[0] !== 'new' ? ctx.params[0] : null;
  const screen = h('section', { class: 'household', id: 'household', 'data-testid': 'household' },
    h('p', { class: 'loading', text: 'Đang tải…' }));
  root.appendChild(screen);
  let alive = true;
  /** @type {() => void} */
  let cleanup = () => {};

  (async () => {
    /** @type {any} */
    let detail = null;
    if (id) {
      try {
        detail = await ctx.ipc.household(id);
      } catch (e) {
        if (!alive) return;
        clear(screen);
        screen.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
        screen.appendChild(h('a', { href: '#/register', text: '‹ Về sổ hộ' }));
        return;
      }
    }
    if (!alive) return;
    cleanup = build(screen, ctx, detail);
  })();

  return () => { alive = false; cleanup(); };
}

/**
 * Draws the form for `detail` (null = a new household) and returns the cleanup function.
 * @param {HTMLElement} screen
 * @param {import('../app.js').Ctx} ctx
 * @param {any} detail
 */
function build(screen, ctx, detail) {
  clear(screen);
  const refs = ctx.refs;
  const villages = ((ctx.info && ctx.info.villages) || []).map((/** @type {any} */ v) => ({ code: v.id, label: v.name }));
  const isNew = !detail;
  let dirty = false;
  let escArmed = 0;
  // While typing, messages appear only for fields the user has already been in (an empty new
  // member row should not turn red at once); after a save attempt every message shows.
  /** @type {Set<string>} */
  const touched = new Set();
  let showAll = !isNew;

  const summary = h('div', { class: 'summary', id: 'household-summary', 'data-testid': 'household-summary', hidden: true });
  const village = select({ id: 'hh-village', 'data-testid': 'hh-village' }, villages, detail ? detail.village_id : (villages.length === 1 ? villages[0].code : ''), '— chọn thôn/xóm —');
  const address = h('input', { type: 'text', id: 'hh-address', 'data-testid': 'hh-address', value: detail ? detail.address : '', autocomplete: 'off' });
  const ethnicity = select({ id: 'hh-ethnicity', 'data-testid': 'hh-ethnicity' }, refs.ethnicities || [], detail ? detail.ethnicity : '', '— chọn dân tộc —');
  const flag = (/** @type {string} */ code, /** @type {boolean} */ on) => h('input', { type: 'checkbox', id: `hh-${code}`, 'data-testid': `hh-${code}`, checked: on });
  const ethnicMinority = flag('ethnic_minority', detail ? detail.ethnic_minority : false);
  const noLabour = flag('no_labour', detail ? detail.no_labour : false);
  const merit = flag('merit', detail ? detail.merit : false);
  const note = h('textarea', { id: 'hh-note', 'data-testid': 'hh-note', rows: '2', value: detail ? detail.note : '' });
  const membersBox = h('div', { id: 'members', 'data-testid': 'members' });
  const addMember = h('button', { type: 'button', id: 'add-member', 'data-testid': 'add-member', text: '+ Thêm thành viên (Ctrl+M)' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'save-household', 'data-testid': 'save-household', text: 'Lưu (Enter)' });
  const cancel = h('button', { type: 'button', id: 'cancel-household', text: 'Quay lại (Esc)' });
  const escHint = h('span', { class: 'hint', id: 'esc-hint', hidden: true, text: 'Có thay đổi chưa lưu: nhấn Esc lần nữa để bỏ.' });

  /** @type {{el: HTMLElement, get: () => any, existing: any}[]} */
  const rows = [];

  function renumber() {
    rows.forEach((r, i) => {
      for (const c of r.el.querySelectorAll('[data-field]')) {
        const f = /** @type {string} */ (c.getAttribute('data-field'));
        c.setAttribute('data-field', f.replace(/^members\[\d+\]/, `members[${i}]`));
        const al = c.getAttribute('data-alias');
        if (al) c.setAttribute('data-alias', al.replace(/members\[\d+\]/g, `members[${i}]`));
      }
      /** @type {HTMLElement} */ (r.el.querySelector('.member-no')).textContent = `Thành viên ${i + 1}`;
    });
  }

  /** @param {any} m existing member or null for a new one */
  function memberRow(m) {
    const i = rows.length;
    const uid = `m${i}-${Math.random().toString(36).slice(2, 7)}`;
    const inp = (/** @type {string} */ name, /** @type {any} */ value, /** @type {Record<string, any>} */ extra = {}) =>
      h('input', { type: 'text', id: `${uid}-${name}`, 'data-testid': `member-${name}`, value: value ?? '', autocomplete: 'off', ...extra });
    const sel = (/** @type {string} */ name, /** @type {any[]} */ list, /** @type {any} */ value, /** @type {string} */ empty) =>
      select({ id: `${uid}-${name}`, 'data-testid': `member-${name}` }, list, value ?? '', empty);
    const birthText = m ? (m.birth_date ? formatDate(m.birth_date) : m.birth_year ? String(m.birth_year) : '') : '';
    const fullName = inp('full_name', m ? m.full_name : '', { placeholder: 'Họ và tên' });
    const relation = sel('relation', refs.relations || [], m ? m.relation : (rows.length === 0 ? 'head' : ''), '—');
    const sex = sel('sex', refs.sexes || [], m ? m.sex : '', '—');
    const birth = inp('birth', birthText, { placeholder: 'dd/mm/yyyy hoặc năm' });
    // A new member starts with the household's ethnicity (usually the same; can be changed).
    const eth = sel('ethnicity', refs.ethnicities || [], m ? m.ethnicity : /** @type {HTMLSelectElement} */ (ethnicity).value, '—');
    const idNumber = inp('id_number', m ? m.id_number : '', { inputmode: 'numeric', maxlength: '12', placeholder: '12 chữ số' });
    const hiCard = inp('health_insurance_card', m ? m.health_insurance_card : '', { placeholder: 'Số thẻ BHYT' });
    const hi = sel('health_insurance', TRI, m ? triCode(m.health_insurance) : '', '—');
    const school = sel('attending_school', TRI, m ? triCode(m.attending_school) : '', '—');
    const edu = sel('education_level', refs.education_levels || [], m ? m.education_level : '', '—');
    const work = sel('work_status', refs.work_statuses || [], m ? m.work_status : '', '—');
    const contract = sel('labour_contract', TRI, m ? triCode(m.labour_contract) : '', '—');
    const disability = sel('disability', TRI, m ? triCode(m.disability) : '', '—');
    const allowance = sel('social_allowance', TRI, m ? triCode(m.social_allowance) : '', '—');
    const nutrition = sel('nutrition_status', refs.nutrition_statuses || [], m ? m.nutrition_status : '', '—');
    const remove = m ? null : h('button', { type: 'button', class: 'danger', 'data-testid': 'remove-member', title: 'Bỏ thành viên chưa lưu này', text: 'Bỏ' });
    const f = (/** @type {string} */ name) => fieldName(i, name);
    const gone = m && m.status && m.status !== 'present';
    const el = h('div', { class: 'member' + (gone ? ' gone' : ''), 'data-testid': 'member-row' },
      h('div', { class: 'member-head' },
        h('span', { class: 'member-no', text: `Thành viên ${i + 1}` }),
        m && m.age_text ? h('span', { class: 'status', text: m.age_text }) : null,
        gone ? h('span', { class: 'status', text: m.status === 'dead' ? '· Đã chết' : m.status === 'moved_away' ? '· Đã chuyển đi' : `· ${m.status}` }) : null,
        h('span', { class: 'spacer' })),
      h('div', { class: 'member-grid' },
        field(f('full_name'), 'Họ và tên', fullName, { wide: true }),
        field(f('relation'), 'Quan hệ với chủ hộ', relation),
        field(f('sex'), 'Giới tính', sex),
        field(f('birth_date'), 'Ngày sinh / năm sinh', birth, { alias: [f('birth_year')] }),
        field(f('ethnicity'), 'Dân tộc', eth),
        field(f('id_number'), 'Số định danh cá nhân', idNumber, { wide: true }),
        field(f('health_insurance_card'), 'Số thẻ BHYT', hiCard),
        field(f('health_insurance'), 'Có BHYT', hi),
        field(f('attending_school'), 'Đang đi học', school),
        field(f('education_level'), 'Trình độ học vấn', edu),
        field(f('work_status'), 'Việc làm', work),
        field(f('labour_contract'), 'Có hợp đồng lao động', contract),
        field(f('disability'), 'Khuyết tật', disability),
        field(f('social_allowance'), 'Hưởng trợ cấp xã hội', allowance),
        field(f('nutrition_status'), 'Dinh dưỡng (trẻ em)', nutrition),
        remove ? h('div', { class: 'field member-remove' }, remove) : null));
    const v = (/** @type {HTMLElement} */ e) => /** @type {HTMLInputElement} */ (e).value;
    const row = {
      el,
      existing: m,
      get: () => {
        const b = readBirth(v(birth));
        return {
          input: {
            id: m ? m.id : null,
            full_name: tidy(v(fullName)),
            birth_date: b.birth_date,
            birth_year: b.birth_year,
            sex: v(sex),
            ethnicity: optional(v(eth)),
            relation: v(relation),
            id_number: optional(v(idNumber).replace(/\s+/g, '')),
            health_insurance_card: optional(v(hiCard)),
            health_insurance: triValue(v(hi)),
            attending_school: triValue(v(school)),
            education_level: optional(v(edu)),
            work_status: optional(v(work)),
            labour_contract: triValue(v(contract)),
            disability: triValue(v(disability)),
            social_allowance: triValue(v(allowance)),
            nutrition_status: optional(v(nutrition)),
          },
          badBirth: b.bad,
        };
      },
    };
    if (remove) remove.addEventListener('click', () => {
      const k = rows.indexOf(row);
      if (k >= 0) rows.splice(k, 1);
      el.remove();
      renumber();
      changed();
    });
    rows.push(row);
    membersBox.appendChild(el);
    if (!m && rows.length > 1) requestAnimationFrame(() => el.scrollIntoView({ block: 'center' }));
    return fullName;
  }

  for (const m of detail ? detail.members : []) memberRow(m);
  if (isNew) memberRow(null);

  const form = h('form', { id: 'household-form', class: 'household-form-body', 'data-testid': 'household-form', novalidate: true },
    summary,
    h('div', { class: 'panel' },
      h('div', { class: 'form-grid' },
        field('village_id', 'Thôn/xóm', village),
        field('address', 'Địa chỉ', address),
        field('ethnicity', 'Dân tộc của hộ', ethnicity)),
      h('div', { class: 'checks' },
        field('ethnic_minority', 'Hộ dân tộc thiểu số', ethnicMinority, { inline: true }),
        field('no_labour', 'Hộ không có khả năng lao động', noLabour, { inline: true }),
        field('merit', 'Hộ có người có công với cách mạng', merit, { inline: true })),
      field('note', 'Ghi chú', note)),
    h('h2', { text: 'Thành viên' }),
    h('div', { 'data-field': 'members', class: 'members-wrap' }, membersBox),
    addMember,
    h('div', { class: 'actions sticky-actions' }, save, cancel, escHint,
      h('span', { class: 'hint' }, 'Tab chuyển ô · ', h('kbd', { text: 'Enter' }), ' lưu · ', h('kbd', { text: 'Esc' }), ' quay lại · ', h('kbd', { text: 'Ctrl+M' }), ' thêm thành viên')));

  const title = isNew ? 'Thêm hộ mới' : `Hộ ${detail.head_name}`;
  const eventBtn = isNew ? null : h('button', { type: 'button', id: 'open-event', 'data-testid': 'open-event', text: 'Ghi biến động…' });
  screen.appendChild(h('div', { class: 'head-line' },
    h('a', { href: '#/register', text: '‹ Sổ hộ' }),
    h('h1', { id: 'household-title', text: title }),
    detail ? h('span', { class: 'code', 'data-testid': 'household-code', text: `Mã hộ ${detail.code}` }) : null,
    detail ? householdReview(ctx, detail) : null,
    h('span', { class: 'spacer' }), eventBtn));
  // Approved or locked by the office: say so before anyone types (the edit will wait for it).
  if (detail && detail.office_hold) {
    screen.appendChild(h('p', { class: 'summary warn', id: 'household-office-hold', 'data-testid': 'household-office-hold', role: 'note', text: detail.office_hold }));
  }
  screen.appendChild(form);
  // Open review items on this household or its members: a badge to the conflict review screen.
  const headLine = screen.querySelector('.head-line');
  if (detail && headLine) conflictIpc.household(detail.id).then((/** @type {any[]} */ open) => {
    const line = headLine;
    if (!open.length || !line.isConnected) return;
    line.insertBefore(h('a', { class: 'badge warn', id: 'household-conflicts', 'data-testid': 'household-conflicts', href: `#/conflicts/${encodeURIComponent(detail.id)}`, text: `${open.length} mục cần xem xét` }), line.querySelector('.spacer'));
  }, () => { /* the badge is a hint; the form works without it */ });

  /** Reads the whole form into the core's HouseholdInput. */
  function read() {
    const members = rows.map((r) => r.get());
    return {
      input: {
        id: detail ? detail.id : null,
        village_id: /** @type {HTMLSelectElement} */ (village).value,
        address: tidy(/** @type {HTMLInputElement} */ (address).value),
        ethnicity: optional(/** @type {HTMLSelectElement} */ (ethnicity).value),
        ethnic_minority: /** @type {HTMLInputElement} */ (ethnicMinority).checked,
        no_labour: /** @type {HTMLInputElement} */ (noLabour).checked,
        merit: /** @type {HTMLInputElement} */ (merit).checked,
        note: /** @type {HTMLTextAreaElement} */ (note).value.trim(),
        members: members.map((m) => m.input),
      },
      local: members.flatMap((m, i) => (m.badBirth
        ? [{ field: fieldName(i, 'birth_date'), message: 'Ngày sinh không đúng: nhập ngày/tháng/năm (vd. 05/09/1948) hoặc chỉ năm sinh (vd. 1948).', severity: 'error' }]
        : [])),
    };
  }

  const latest = latestOnly();
  const check = debounce(async () => {
    const { input, local } = read();
    let issues;
    try {
      issues = await latest(ctx.ipc.checkHousehold(input));
    } catch { return; }
    if (!issues) return;
    const all = [...local, ...issues];
    showIssues(form, summary, showAll ? all : all.filter((i) => touched.has(i.field)));
  }, 300);

  function changed() {
    dirty = true;
    escHint.hidden = true;
    escArmed = 0;
    check();
  }
  /** @param {Event} ev */
  function touch(ev) {
    const c = /** @type {HTMLElement} */ (ev.target).closest('[data-field]');
    if (!c) return;
    touched.add(/** @type {string} */ (c.getAttribute('data-field')));
    for (const a of (c.getAttribute('data-alias') || '').split(' ').filter(Boolean)) touched.add(a);
  }
  form.addEventListener('input', (ev) => { touch(ev); changed(); });
  form.addEventListener('change', (ev) => { touch(ev); changed(); });
  form.addEventListener('focusout', (ev) => { touch(ev); });

  let saving = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (saving) return;
    check.cancel();
    showAll = true;
    const { input, local } = read();
    if (local.length) {
      showIssues(form, summary, local, 'Chưa lưu được: hãy sửa các ô được đánh dấu.');
      focusFirstError(form);
      return;
    }
    saving = true;
    save.setAttribute('disabled', '');
    try {
      const out = await ctx.ipc.saveHousehold(input);
      dirty = false;
      const code = out.household.code;
      if (out.household.office_hold) {
        ctx.toast(`Đã lưu thay đổi của hộ ${code} — đang chờ văn phòng chấp nhận.`);
      } else if (out.warnings && out.warnings.length) {
        ctx.toast(`Đã lưu hộ ${code}, có ${out.warnings.length} cảnh báo cần xem lại.`);
      } else {
        ctx.toast(`Đã lưu hộ ${code}.`);
      }
      sessionStorage.setItem('saved-warnings', JSON.stringify(out.warnings || []));
      if (isNew) ctx.navigate(`#/household/${encodeURIComponent(out.household.id)}`);
      else cleanupAndRebuild(out.household, out.warnings || []);
    } catch (e) {
      const err = /** @type {any} */ (e);
      const fields = err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }];
      showIssues(form, summary, fields, 'Chưa lưu được: hãy sửa các ô được đánh dấu.');
      focusFirstError(form);
    } finally {
      saving = false;
      save.removeAttribute('disabled');
    }
  });

  // Enter saves from any single-line input or select; textareas keep Enter for new lines.
  form.addEventListener('keydown', (ev) => {
    const t = /** @type {HTMLElement} */ (ev.target);
    const box = t.tagName === 'INPUT' && /** @type {HTMLInputElement} */ (t).type === 'checkbox';
    if (ev.key === 'Enter' && !ev.shiftKey && (t.tagName === 'SELECT' || box)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  // Choosing the household's ethnicity fills it in for members that have none yet.
  ethnicity.addEventListener('change', () => {
    const code = /** @type {HTMLSelectElement} */ (ethnicity).value;
    for (const sel of membersBox.querySelectorAll('[data-testid=member-ethnicity]')) {
      const s = /** @type {HTMLSelectElement} */ (sel);
      if (!s.value && code) s.value = code;
    }
  });

  addMember.addEventListener('click', () => { memberRow(null).focus(); changed(); });
  cancel.addEventListener('click', () => ctx.navigate('#/register'));

  /** @param {KeyboardEvent} ev */
  function onKey(ev) {
    if (document.querySelector('dialog[open]')) return;
    if (ev.ctrlKey && (ev.key === 'm' || ev.key === 'M')) {
      ev.preventDefault();
      memberRow(null).focus();
      changed();
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      if (!dirty || (escArmed && Date.now() - escArmed < 4000)) {
        ctx.navigate('#/register');
      } else {
        escArmed = Date.now();
        escHint.hidden = false;
      }
    }
  }
  document.addEventListener('keydown', onKey);

  /** @type {() => void} */
  let historyCleanup = () => {};
  if (!isNew) {
    const events = h('section', { class: 'panel events', id: 'household-events', 'data-testid': 'household-events' },
      h('h2', { text: 'Biến động' }),
      detail.events && detail.events.length
        ? h('ul', {}, detail.events.map((/** @type {any} */ e) => h('li', { text: `${formatDate(e.date)} — ${e.summary}${e.note ? ` (${e.note})` : ''}` })))
        : h('p', { class: 'hint', text: 'Chưa có biến động nào.' }));
    const history = h('section', { class: 'panel history', id: 'household-history', 'data-testid': 'household-history' },
      h('h2', { text: 'Lịch sử thay đổi' }), h('p', { class: 'hint', text: 'Đang tải…' }));
    screen.appendChild(events);
    screen.appendChild(history);
    let alive = true;
    historyCleanup = () => { alive = false; };
    ctx.ipc.householdHistory(detail.id).then((/** @type {any[]} */ list) => {
      if (!alive) return;
      clear(history);
      history.appendChild(h('h2', { text: 'Lịch sử thay đổi' }));
      if (!list.length) { history.appendChild(h('p', { class: 'hint', text: 'Chưa có thay đổi nào được ghi.' })); return; }
      history.appendChild(h('ul', {}, list.map((x) => h('li', { 'data-testid': 'history-entry' },
        h('span', { class: 'when', text: `${formatDateTime(x.time)} · ${x.user}${x.device ? ` · máy ${x.device}` : ''}` }), h('br'),
        h('strong', { text: x.what }),
        x.changes && x.changes.length
          ? h('ul', {}, x.changes.map((/** @type {any} */ c) => h('li', { text: `${c.label}: ${c.value}` })))
          : null))));
    }, (/** @type {any} */ e) => {
      if (!alive) return;
      clear(history);
      history.appendChild(h('p', { class: 'msg error', text: e.message }));
    });
    if (eventBtn) eventBtn.addEventListener('click', () => {
      openEventDialog(ctx, detail, (/** @type {any} */ updated) => cleanupAndRebuild(updated, []));
    });
  }

  // Warnings from a save that just navigated here (new household) are shown once.
  const carried = sessionStorage.getItem('saved-warnings');
  if (carried && !isNew) {
    sessionStorage.removeItem('saved-warnings');
    try {
      const w = JSON.parse(carried);
      if (w.length) showIssues(form, summary, w);
    } catch { /* ignore */ }
  }

  function cleanupAndRebuild(/** @type {any} */ updated, /** @type {any[]} */ warnings) {
    teardown();
    const next = build(screen, ctx, updated);
    cleanupRef.current = next;
    if (warnings.length) {
      const f = /** @type {HTMLElement} */ (screen.querySelector('#household-form'));
      const s = /** @type {HTMLElement} */ (screen.querySelector('#household-summary'));
      showIssues(f, s, warnings);
    }
  }

  function teardown() {
    check.cancel();
    historyCleanup();
    document.removeEventListener('keydown', onKey);
  }
  const cleanupRef = { current: teardown };

  // Focus: a new household starts at the village (or address), an existing one at the address.
  if (isNew && !/** @type {HTMLSelectElement} */ (village).value) village.focus(); else address.focus();
  return () => cleanupRef.current();
}
