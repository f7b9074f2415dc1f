// @ts-check
/**
 * The household events dialog (biến động hộ): birth, death, moving away, marriage, change of
 * head, split, merge, move village. Collects the core's EventInput and calls `record_event`;
 * the core decides what the event does to the household and says why when it refuses.
 * @module screens/event-dialog
 */
import { h, clear, select } from '../dom.js';
import { field, showIssues } from '../forms.js';
import { tidy, optional } from '../lib/text.js';
import { readBirth } from '../lib/format.js';

/** Which inputs each event kind needs. */
const NEEDS = {
  birth: ['new_member'],
  death: ['member'],
  move_away: ['member'],
  marriage: ['member'],
  change_head: ['new_head'],
  split: ['member_ids', 'new_head', 'village'],
  merge: ['target'],
  move_village: ['village'],
};

/** Today as YYYY-MM-DD in local time (the default date of an event; the user can change it). */
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {any} detail  the household
 * @param {(updated: any) => void} done  called with the updated household after a recorded event
 */
export function openEventDialog(ctx, detail, done) {
  const present = detail.members.filter((/** @type {any} */ m) => !m.status || m.status === 'present');
  const memberItems = present.map((/** @type {any} */ m) => ({ code: m.id, label: m.full_name }));
  const villages = ((ctx.info && ctx.info.villages) || []).map((/** @type {any} */ v) => ({ code: v.id, label: v.name }));

  const kind = select({ id: 'ev-kind', 'data-testid': 'ev-kind' }, ctx.refs.event_kinds || [], 'birth');
  const date = h('input', { type: 'text', id: 'ev-date', 'data-testid': 'ev-date', value: today().split('-').reverse().join('/'), placeholder: 'dd/mm/yyyy' });
  const member = select({ id: 'ev-member' }, memberItems, '', '— chọn thành viên —');
  const newHead = select({ id: 'ev-new-head' }, memberItems, '', '— chọn chủ hộ mới —');
  const village = select({ id: 'ev-village' }, villages, '', '— chọn thôn/xóm —');
  const target = h('input', { type: 'text', id: 'ev-target', placeholder: 'Mã hộ nhận (vd. 01-0023)', autocomplete: 'off' });
  const targetInfo = h('p', { class: 'hint', id: 'ev-target-info' });
  const babyName = h('input', { type: 'text', id: 'ev-baby-name', placeholder: 'Họ và tên trẻ' });
  const babySex = select({ id: 'ev-baby-sex' }, ctx.refs.sexes || [], '', '—');
  const idsBox = h('div', { class: 'checks', id: 'ev-member-ids' }, present.map((/** @type {any} */ m) =>
    h('label', {}, h('input', { type: 'checkbox', value: m.id }), ' ' + m.full_name)));
  const note = h('input', { type: 'text', id: 'ev-note', placeholder: 'Ghi chú (không bắt buộc)' });
  const summary = h('div', { class: 'summary', hidden: true });
  const ok = h('button', { type: 'submit', class: 'primary', id: 'ev-save', text: 'Ghi biến động' });
  const close = h('button', { type: 'button', id: 'ev-cancel', text: 'Đóng (Esc)' });

  const parts = {
    new_member: h('div', { class: 'form-grid' }, field('new_member.full_name', 'Họ và tên trẻ', babyName), field('new_member.sex', 'Giới tính', babySex)),
    member: field('member_id', 'Thành viên', member),
    new_head: field('new_head_member_id', 'Chủ hộ mới', newHead),
    member_ids: h('div', { 'data-field': 'member_ids' }, h('span', { class: 'label', text: 'Thành viên chuyển sang hộ mới' }), idsBox),
    village: field('target_village_id', 'Thôn/xóm', village),
    target: h('div', {}, field('target_household_id', 'Nhập vào hộ', target), targetInfo),
  };

  const form = h('form', { method: 'dialog', novalidate: true },
    h('h2', { text: `Ghi biến động — hộ ${detail.code}` }),
    summary,
    h('div', { class: 'form-grid' }, field('kind', 'Loại biến động', kind), field('date', 'Ngày', date)),
    Object.values(parts),
    field('note', 'Ghi chú', note),
    h('div', { class: 'actions' }, ok, close));
  const dlg = /** @type {HTMLDialogElement} */ (h('dialog', { id: 'event-dialog', 'data-testid': 'event-dialog' }, form));

  function showParts() {
    const need = /** @type {Record<string, string[]>} */ (NEEDS)[/** @type {HTMLSelectElement} */ (kind).value] || [];
    for (const [k, el] of Object.entries(parts)) el.hidden = !need.includes(k);
  }
  kind.addEventListener('change', showParts);
  showParts();

  /** @type {string|null} */
  let targetId = null;
  target.addEventListener('change', async () => {
    targetId = null;
    clear(targetInfo);
    const code = tidy(/** @type {HTMLInputElement} */ (target).value);
    if (!code) return;
    try {
      const page = await ctx.ipc.listHouseholds({ search: code, village_id: null, flags: [], offset: 0, limit: 5 });
      const hit = page.items.find((/** @type {any} */ x) => x.code === code && x.id !== detail.id) || null;
      targetId = hit ? hit.id : null;
      targetInfo.textContent = hit ? `Hộ ${hit.code}: ${hit.head_name}, ${hit.village}` : 'Không tìm thấy hộ có mã này.';
    } catch (e) {
      targetInfo.textContent = /** @type {any} */ (e).message;
    }
  });

  const v = (/** @type {HTMLElement} */ e) => /** @type {HTMLInputElement} */ (e).value;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const k = v(kind);
    const iso = readBirth(v(date));
    if (iso.bad || !iso.birth_date) {
      showIssues(form, summary, [{ field: 'date', message: 'Ngày không đúng: nhập ngày/tháng/năm, vd. 05/09/2026.' }]);
      return;
    }
    const need = /** @type {Record<string, string[]>} */ (NEEDS)[k] || [];
    const input = {
      household_id: detail.id,
      kind: k,
      date: iso.birth_date,
      member_id: need.includes('member') ? optional(v(member)) : null,
      new_member: need.includes('new_member') ? {
        id: null, full_name: tidy(v(babyName)), birth_date: iso.birth_date, birth_year: Number(iso.birth_date.slice(0, 4)),
        sex: v(babySex), ethnicity: detail.ethnicity || null, relation: 'child', id_number: null,
        health_insurance_card: null, health_insurance: null, attending_school: null, education_level: null,
        work_status: null, labour_contract: null, disability: null, social_allowance: null, nutrition_status: null,
      } : null,
      member_ids: need.includes('member_ids') ? [...idsBox.querySelectorAll('input:checked')].map((x) => /** @type {HTMLInputElement} */ (x).value) : [],
      target_household_id: need.includes('target') ? targetId : null,
      target_village_id: need.includes('village') ? optional(v(village)) : null,
      new_head_member_id: need.includes('new_head') ? optional(v(newHead)) : null,
      note: tidy(v(note)),
    };
    ok.setAttribute('disabled', '');
    try {
      const updated = await ctx.ipc.recordEvent(input);
      dlg.close();
      dlg.remove();
      ctx.toast('Đã ghi biến động.');
      done(updated);
    } catch (e) {
      const err = /** @type {any} */ (e);
      showIssues(form, summary, err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }], 'Chưa ghi được biến động.');
    } finally {
      ok.removeAttribute('disabled');
    }
  });
  close.addEventListener('click', () => { dlg.close(); });
  dlg.addEventListener('close', () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  kind.focus();
}
